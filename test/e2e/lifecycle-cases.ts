/**
 * corral sync on the fleet: create, scale, self-heal, replace, prune — and a bystander
 * container is never touched. Registered once per transport: corral reaches the hosts over
 * `transport` (unix sockets, TCP+TLS or ssh), while the checks read the hosts through their
 * unix sockets, the ground truth.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import { waitFor } from './daemon-harness.js';
import { fleetConfigPath, type Transport } from './fleet.js';
import { BUSYBOX, cleanup, clientOf, fleetHosts, networksOf, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const SLEEPER = `version: '2'
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    environment:
      ROLE: worker
`;

export function lifecycleCases(transport: Transport): void {
  const over = transport === 'unix' ? '' : ` (over ${transport})`;
  const stack = uniqueName(transport === 'unix' ? 'life' : `life-${transport}`);
  const repo = new TestRepo().template('sleeper', SLEEPER, 'app:\n  scale: ${scale}\n');
  /** The hosts as the checks see them (unix sockets) and as corral reaches them. */
  let hosts: HostConfig[] = [];
  let corralHosts: HostConfig[] = [];
  let bystanderId = '';

  before(async () => {
    hosts = await fleetHosts();
    corralHosts = await fleetHosts(transport);
    const docker = clientOf(hosts[0] as HostConfig);
    // Same Rancher labels as the stack's containers, but not corral's ownership label: never touched.
    const bystander = await docker.createContainer({
      name: `${stack}-bystander`,
      Image: BUSYBOX,
      Cmd: ['sleep', '3600'],
      Labels: { [`io.rancher.stack.name`]: stack },
      HostConfig: { NetworkMode: 'bridge' },
    });
    await bystander.start();
    bystanderId = bystander.id;
  });

  after(async () => {
    await clientOf(hosts[0] as HostConfig)
      .getContainer(bystanderId)
      .remove({ force: true })
      .catch(() => undefined);
    await cleanup(hosts, [stack]);
    repo.remove();
  });

  async function bystanderRunning(): Promise<boolean> {
    const info = await clientOf(hosts[0] as HostConfig)
      .getContainer(bystanderId)
      .inspect();
    return info.State.Running;
  }

  test(`a new stack converges, and \`corral plan --exit-code\` returns 0 right after${over}`, async () => {
    repo.stack(stack, 'sleeper', { scale: 1 });
    const result = summary(await repo.sync(corralHosts, [stack]), stack);
    assert.equal(result.converged, true, result.ops.join('\n'));
    assert.deepEqual([result.sync, result.health], ['Synced', 'Healthy']);
    assert.equal((await placementOf(hosts, stack)).length, 1);
    const plan = spawnSync(
      process.execPath,
      ['bin/corral', 'plan', '--repo', repo.dir, '--config', await fleetConfigPath(transport), '--stack', stack, '--exit-code'],
      { encoding: 'utf8' },
    );
    assert.equal(plan.status, 0, plan.stdout + plan.stderr);
    assert.equal(plan.stdout, `stack ${stack}: no changes\n`);
    assert.equal(await bystanderRunning(), true);
  });

  test(`scale 1 → 5 → 2 leaves exactly instances 1 and 2${over}`, async () => {
    repo.stack(stack, 'sleeper', { scale: 5 });
    const up = summary(await repo.sync(corralHosts, [stack]), stack);
    assert.equal(up.converged, true, up.ops.join('\n'));
    assert.deepEqual(
      (await placementOf(hosts, stack)).map((p) => p.split(':')[1]).sort(),
      [1, 2, 3, 4, 5].map((n) => `${stack}-app-${n}`),
    );
    repo.stack(stack, 'sleeper', { scale: 2 });
    const down = summary(await repo.sync(corralHosts, [stack]), stack);
    assert.equal(down.converged, true, down.ops.join('\n'));
    assert.deepEqual((await placementOf(hosts, stack)).map((p) => p.split(':')[1]).sort(), [`${stack}-app-1`, `${stack}-app-2`]);
    assert.equal(await bystanderRunning(), true);
  });

  test(`a container removed by hand is recreated by the next sync${over}`, async () => {
    const [where] = (await placementOf(hosts, stack)).filter((p) => p.endsWith('-app-1'));
    const host = hosts.find((h) => h.name === where?.split(':')[0]) as HostConfig;
    await clientOf(host).getContainer(`${stack}-app-1`).remove({ force: true });
    const result = await repo.sync(corralHosts, [stack]);
    const outcome = summary(result, stack);
    assert.equal(outcome.converged, true, outcome.ops.join('\n'));
    assert.ok(
      result.plan.operations.some(
        (op) => op.kind === 'CreateContainer' && op.target === `${stack}-app-1` && op.cause === 'missing, create',
      ),
    );
    assert.equal((await placementOf(hosts, stack)).length, 2);
  });

  test(`a container changed by hand (different config) is replaced${over}`, async () => {
    const [where] = (await placementOf(hosts, stack)).filter((p) => p.endsWith('-app-1'));
    const docker = clientOf(hosts.find((h) => h.name === where?.split(':')[0]) as HostConfig);
    const original = await docker.getContainer(`${stack}-app-1`).inspect();
    const labels = {
      ...original.Config.Labels,
      [CorralLabel.configHash]: 'by-hand',
      [CorralLabel.configKeys]: (original.Config.Labels[CorralLabel.configKeys] ?? '').replace(/command=\w+/, 'command=00000000'),
    };
    await docker.getContainer(original.Id).remove({ force: true });
    const byHand = await docker.createContainer({
      name: `${stack}-app-1`,
      Image: BUSYBOX,
      Cmd: ['sleep', '7'],
      Labels: labels,
      HostConfig: { NetworkMode: 'bridge' },
    });
    await byHand.start();
    const result = await repo.sync(corralHosts, [stack]);
    assert.equal(summary(result, stack).converged, true);
    assert.ok(
      result.plan.operations.some(
        (op) => op.kind === 'CreateContainer' && op.target === `${stack}-app-1` && op.cause === 'config changed: command',
      ),
      JSON.stringify(result.plan.operations.map((op) => op.cause)),
    );
    const replaced = await docker.getContainer(`${stack}-app-1`).inspect();
    assert.notEqual(replaced.Id, byHand.id);
    assert.deepEqual(replaced.Config.Cmd, ['sleep', '3600']);
    assert.equal(replaced.Config.Labels[CorralLabel.configHash], original.Config.Labels[CorralLabel.configHash]);
  });

  test(`deleting the stack's folder prunes all its containers and networks; the bystander survives${over}`, async () => {
    assert.notDeepEqual(await networksOf(hosts, stack), []);
    repo.removeStack(stack);
    const result = summary(await repo.sync(corralHosts, [stack]), stack);
    assert.equal(result.converged, true, result.ops.join('\n'));
    assert.deepEqual(await placementOf(hosts, stack), []);
    const workers = await swarmWorkers(hosts);
    const workersCopy = (listed: string) => listed.endsWith('_overlay') && workers.includes(listed.split(':')[0] ?? '');
    assert.deepEqual(
      (await networksOf(hosts, stack)).filter((listed) => !workersCopy(listed)),
      [],
    );
    await waitFor(
      `the workers' copies of ${stack}'s overlay network gone`,
      30_000,
      async () => (await networksOf(hosts, stack)).length === 0,
      100,
    );
    assert.equal(await bystanderRunning(), true);
  });
}

/**
 * Hosts that are swarm workers. corral removes a stack's overlay network through the swarm manager
 * and waits until the manager no longer lists it; a worker that had a container on it drops its own
 * copy when the swarm tells it, a moment later (listed 28 ms after the manager stopped listing it on
 * an idle fleet, longer under load), so right after a prune only the manager's list is final.
 */
async function swarmWorkers(hosts: HostConfig[]): Promise<string[]> {
  const infos = await Promise.all(hosts.map(async (host) => ({ host: host.name, info: await clientOf(host).info() })));
  return infos
    .filter(({ info }) => info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable !== true)
    .map(({ host }) => host);
}
