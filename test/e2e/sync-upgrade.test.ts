/**
 * Upgrades on the fleet, one `corral sync` pass at a time: a new image is pulled on every host
 * before any old container stops, so a bump to an image that does not exist changes nothing and
 * the status names the pull error; a change of a top-level volume declaration, which changes the
 * create request but no key of the service, replaces the container.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { REGISTRY } from './fleet.js';
import { BUSYBOX, cleanup, clientOf, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const SLEEPER = `version: '2'
services:
  app:
    image: \${image}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
`;
const IMAGE_QUESTION = '    - variable: image\n      type: string\n      default: none\n';

function withVolume(declaration: string): string {
  return `version: '2'
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    volumes: ["data:/data"]
volumes:
  data: ${declaration}
`;
}

interface Running {
  host: string;
  name: string;
  id: string;
  startedAt: string;
  running: boolean;
}

let hosts: HostConfig[] = [];
const stacks: string[] = [];
const externalVolume = uniqueName('corral-e2e-ext');

before(async () => {
  hosts = await fleetHosts();
});

after(async () => {
  await cleanup(hosts, stacks);
  await Promise.all(
    hosts.map((host) =>
      clientOf(host)
        .getVolume(externalVolume)
        .remove()
        .catch(() => undefined),
    ),
  );
});

/** Every container of the stack, with the facts a stop or a replace would change. */
async function containersOf(stack: string): Promise<Running[]> {
  const found: Running[] = [];
  for (const entry of await placementOf(hosts, stack)) {
    const [hostName = '', name = ''] = entry.split(':');
    const host = hosts.find((h) => h.name === hostName) as HostConfig;
    const info = await clientOf(host).getContainer(name).inspect();
    found.push({ host: hostName, name, id: info.Id, startedAt: info.State.StartedAt, running: info.State.Running });
  }
  return found;
}

test('a bump to an image that does not exist stops nothing: same containers, same start times; the status names the pull error', async () => {
  const stack = uniqueName('pullfirst');
  stacks.push(stack);
  const repo = new TestRepo().template('sleeper', SLEEPER, `${IMAGE_QUESTION}app:\n  scale: \${scale}\n`);
  try {
    repo.stack(stack, 'sleeper', { scale: 3, image: BUSYBOX });
    const first = summary(await repo.sync(hosts, [stack]), stack);
    assert.equal(first.converged, true, first.ops.join('\n'));
    const before = await containersOf(stack);
    assert.equal(before.length, 3);
    assert.ok(new Set(before.map((c) => c.host)).size >= 2, `spread over hosts: ${JSON.stringify(before)}`);

    const missing = `${REGISTRY}/corral/does-not-exist:1`;
    repo.stack(stack, 'sleeper', { scale: 3, image: missing });
    const result = await repo.sync(hosts, [stack]);
    const outcome = result.stacks.find((s) => s.stack === stack);
    const ops = summary(result, stack).ops;
    assert.equal(outcome?.converged, false, ops.join('\n'));
    assert.ok(
      ops.some((op) => op.startsWith(`PullImage`) && op.includes(missing) && op.includes(' failed ')),
      ops.join('\n'),
    );
    assert.ok(
      ops.filter((op) => /^(StopContainer|RemoveContainer|CreateContainer)/.test(op)).every((op) => op.includes(' skipped ')),
      ops.join('\n'),
    );
    assert.deepEqual(await containersOf(stack), before);
    assert.ok(before.every((c) => c.running));
    assert.match(outcome?.status.message ?? '', new RegExp(`PullImage ${missing.replace(/[.]/g, '\\.')} on h\\d: .+`));
    assert.equal(outcome?.status.sync, 'Failed');
  } finally {
    repo.remove();
  }
});

test('a top-level volume declaration that changes the mount (data: {} → external) replaces the container', async () => {
  const stack = uniqueName('volume');
  stacks.push(stack);
  await Promise.all(hosts.map((host) => clientOf(host).createVolume({ Name: externalVolume })));
  const repo = new TestRepo().template('vol', withVolume('{}'));
  try {
    repo.stack(stack, 'vol');
    const first = summary(await repo.sync(hosts, [stack]), stack);
    assert.equal(first.converged, true, first.ops.join('\n'));
    const [before] = await containersOf(stack);
    assert.ok(before);

    repo.template('vol', withVolume(`{external: {name: ${externalVolume}}}`));
    const result = await repo.sync(hosts, [stack]);
    const changed = summary(result, stack);
    assert.equal(changed.converged, true, changed.ops.join('\n'));
    const create = result.plan.operations.find((op) => op.kind === 'CreateContainer' && op.stack === stack);
    assert.equal(create?.cause, 'config changed: volume data');
    const [replaced] = await containersOf(stack);
    assert.notEqual(replaced?.id, before.id);
    const host = hosts.find((h) => h.name === replaced?.host) as HostConfig;
    const mounts = (
      await clientOf(host)
        .getContainer(replaced?.id ?? '')
        .inspect()
    ).Mounts;
    assert.deepEqual(
      mounts.map((m) => [m.Name, m.Destination]),
      [[externalVolume, '/data']],
    );

    const again = await repo.sync(hosts, [stack], true);
    assert.deepEqual(
      again.plan.operations.filter((op) => op.stack === stack),
      [],
    );
    assert.equal(result.plan.operations.filter((op) => op.stack === stack && op.kind === 'CreateContainer').length, 1);
  } finally {
    repo.remove();
  }
});
