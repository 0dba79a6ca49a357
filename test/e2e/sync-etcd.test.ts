/** The bundled etcd stack: one member per host, a healthy 3-member cluster, healed after a member is removed by hand. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { cleanup, clientOf, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const stack = uniqueName('etcd');
const repo = new TestRepo().withBundledCatalog(process.cwd());
let hosts: HostConfig[] = [];

before(async () => {
  hosts = (await fleetHosts()).slice(0, 3);
});
after(async () => {
  await cleanup(hosts, [stack]);
  repo.remove();
});

/** `etcdctl endpoint health --cluster`, retried until every member answers healthy or the time is up. */
async function healthyMembers(timeoutMs = 60_000): Promise<number> {
  const endpoints = hosts.map((h) => `http://${h.address}:2379`).join(',');
  const deadline = Date.now() + timeoutMs;
  let healthy = 0;
  while (Date.now() < deadline) {
    const run = spawnSync(
      'etcdctl',
      ['--endpoints', endpoints, '--dial-timeout', '2s', '--command-timeout', '3s', 'endpoint', 'health', '--cluster'],
      { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3', NO_PROXY: '*', no_proxy: '*' } },
    );
    healthy = `${run.stdout}${run.stderr}`.split('\n').filter((line) => / is healthy/.test(line)).length;
    if (healthy === hosts.length && run.status === 0) return healthy;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return healthy;
}

test('the etcd stack lands one member per host and the cluster reports 3 healthy members', async () => {
  repo.stack(stack, 'etcd', { hosts: hosts.map((h) => h.address).join(','), cluster_token: stack });
  const result = summary(await repo.sync(hosts, [stack]), stack);
  assert.equal(result.converged, true, result.ops.join('\n'));
  assert.deepEqual(
    (await placementOf(hosts, stack)).map((p) => p.split(':')[0]),
    hosts.map((h) => h.name),
  );
  assert.equal(await healthyMembers(), 3);
});

test('after a member container is removed by hand, the next sync recreates it and the cluster is healthy again', async () => {
  const [member] = (await placementOf(hosts, stack)).filter((p) => p.startsWith(`${hosts[1]?.name}:`));
  await clientOf(hosts[1] as HostConfig)
    .getContainer(member?.split(':')[1] ?? '')
    .remove({ force: true });
  const result = summary(await repo.sync(hosts, [stack]), stack);
  assert.equal(result.converged, true, result.ops.join('\n'));
  assert.equal((await placementOf(hosts, stack)).length, 3);
  assert.equal(await healthyMembers(), 3);
});
