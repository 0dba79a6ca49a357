/** Placement on the fleet: a global service lands only on hosts matching its host_label; an unschedulable stack fails alone. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { BUSYBOX, cleanup, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const compose = (labels: string) => `version: '2'
services:
  agent:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    labels:
${labels}
`;

const edge = uniqueName('edge');
const nowhere = uniqueName('nowhere');
const repo = new TestRepo()
  .template('edge-agent', compose(`      io.rancher.scheduler.global: "true"\n      io.rancher.scheduler.affinity:host_label: edge=true`))
  .template('pinned', compose(`      io.rancher.scheduler.affinity:host_label: zone=nowhere`))
  .stack(edge, 'edge-agent')
  .stack(nowhere, 'pinned');
let hosts: HostConfig[] = [];

before(async () => {
  hosts = await fleetHosts();
});
after(async () => {
  await cleanup(hosts, [edge, nowhere]);
  repo.remove();
});

test('a global service lands only on the hosts matching its host_label; an unschedulable stack fails alone', async () => {
  const result = await repo.sync(hosts, [edge, nowhere]);
  const global = summary(result, edge);
  assert.equal(global.converged, true, global.ops.join('\n'));
  const edgeHosts = hosts.filter((h) => h.labels['edge'] === 'true').map((h) => h.name);
  assert.deepEqual(
    (await placementOf(hosts, edge)).map((p) => p.split(':')[0]),
    edgeHosts,
  );
  const failed = summary(result, nowhere);
  assert.deepEqual([failed.converged, failed.sync, failed.ops], [false, 'Failed', []]);
  assert.match(result.stacks.find((s) => s.stack === nowhere)?.status.message ?? '', /zone=nowhere/);
  assert.deepEqual(await placementOf(hosts, nowhere), []);
});
