/**
 * An unreachable host (a config entry pointing at a dead socket) leaves its stacks Degraded:
 * nothing pruned, nothing duplicated while it is within host_down_grace (what it held is
 * known from the state directory, a temporary one here).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { KnownHostsStore } from '../../src/state/known-hosts-store.js';
import { StateDir } from '../../src/state/state-dir.js';
import { cleanup, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const stack = uniqueName('spread');
const repo = new TestRepo().withSpread();
let hosts: HostConfig[] = [];
let withDeadHost: HostConfig[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'corral-state-'));
const memory = { store: new KnownHostsStore(new StateDir(stateDir, true)) };

before(async () => {
  hosts = (await fleetHosts()).slice(0, 3);
  withDeadHost = hosts.map((h, i) =>
    i === 1 ? { ...h, docker: { kind: 'unix', url: 'unix:///run/corral-fleet/dead.sock', socketPath: '/run/corral-fleet/dead.sock' } } : h,
  );
});
after(async () => {
  await cleanup(hosts, [stack]);
  repo.remove();
  rmSync(stateDir, { recursive: true, force: true });
});

test('with a host unreachable, its instance is left alone and not duplicated; the stack is Degraded', async () => {
  repo.stack(stack, 'spread', { scale: 3 });
  assert.equal(summary(await repo.sync(hosts, [stack], false, { memory }), stack).converged, true);
  const placed = await placementOf(hosts, stack);
  assert.equal(placed.length, 3);
  const result = summary(await repo.sync(withDeadHost, [stack], false, { memory }), stack);
  assert.deepEqual([result.converged, result.sync, result.health, result.ops], [false, 'Unknown', 'Degraded', []]);
  assert.deepEqual(await placementOf(hosts, stack), placed);
});

test('a stack removed from git while a host is unreachable is pruned on the others, and on that host once it is back', async () => {
  repo.removeStack(stack);
  await repo.sync(withDeadHost, [stack]);
  const deadHost = hosts[1]?.name ?? '';
  assert.deepEqual(
    (await placementOf(hosts, stack)).map((p) => p.split(':')[0]),
    [deadHost],
  );
  assert.equal(summary(await repo.sync(hosts, [stack]), stack).converged, true);
  assert.deepEqual(await placementOf(hosts, stack), []);
});
