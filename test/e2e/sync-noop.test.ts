/**
 * A pass that sends nothing to Docker (the hosts already match) observes the hosts once: the
 * second observation, after an apply, is made only when something was applied; and a pass given
 * an observation begun before it (as `corral sync --once` begins one while it reads the
 * repository) uses it. Counted on the pass's own Docker clients (real fleet clients whose
 * `docker info` is counted).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { observe } from '../../src/observe/index.js';
import { clientsFor, type DockerClients } from '../../src/reconcile/index.js';
import { cleanup, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const stack = uniqueName('noop');
const repo = new TestRepo().withSpread();
let hosts: HostConfig[] = [];

before(async () => {
  hosts = (await fleetHosts()).slice(0, 1);
});
after(async () => {
  await cleanup(hosts, [stack]);
  repo.remove();
});

/** The pass's clients, with the number of observations (`docker info` calls) made through them. */
function countedClients(): { clients: DockerClients; observations: () => number } {
  const clients = clientsFor(hosts);
  let count = 0;
  for (const docker of clients.observe.values()) {
    const info = docker.info.bind(docker);
    docker.info = (() => {
      count++;
      return info();
    }) as typeof docker.info;
  }
  return { clients, observations: () => count };
}

test('a pass that creates observes before and after its apply; a no-op pass observes once and reports the stack Synced', async () => {
  repo.stack(stack, 'spread', { scale: 1 });
  const cold = countedClients();
  const created = summary(await repo.sync(hosts, [stack], false, { clients: cold.clients }), stack);
  assert.equal(created.converged, true, created.ops.join('\n'));
  assert.ok(created.ops.length > 0);
  assert.equal(cold.observations(), 2);

  const noop = countedClients();
  const result = await repo.sync(hosts, [stack], false, { clients: noop.clients });
  const unchanged = summary(result, stack);
  assert.deepEqual([unchanged.converged, unchanged.sync, unchanged.health, unchanged.ops], [true, 'Synced', 'Healthy', []]);
  assert.equal(noop.observations(), 1);
  assert.equal(result.after, result.observed);
  assert.equal((await placementOf(hosts, stack)).length, 1);
});

test('a no-op pass given an observation begun before it observes no more', async () => {
  const early = countedClients();
  const observation = observe(hosts, { clients: early.clients.observe });
  const result = await repo.sync(hosts, [stack], false, { clients: early.clients, observation });
  const unchanged = summary(result, stack);
  assert.deepEqual([unchanged.converged, unchanged.sync, unchanged.ops], [true, 'Synced', []]);
  assert.equal(early.observations(), 1);
  assert.equal(result.observed, await observation);
});
