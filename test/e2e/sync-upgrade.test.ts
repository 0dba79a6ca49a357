/**
 * Upgrades on the fleet, one `corral sync` pass at a time: a new image is pulled on every host
 * before any old container stops, so a bump to an image that does not exist changes nothing and
 * the status (RolledBack) names the pull error; a change of a top-level volume declaration, which
 * changes the create request but no key of the service, replaces the container; an upgrade goes
 * one batch at a time, each old container stopping only after the previous batch's new ones passed
 * their gate, and is kept until the whole upgrade passed; a gate that fails rolls the stack back to
 * the very same containers, the next passes do not try that revision again, and its revert is a
 * no-op. start_first on hosts with `network: bridge` starts the new container before the old one
 * stops; with `network: overlay` each unit stops first (Docker renames no running container on an
 * overlay), the plan says so, and at scale 2 the service still answers throughout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { OperationResult } from '../../src/apply/index.js';
import { hostMemory, stackHistory } from '../../src/cli/state.js';
import type { HostConfig } from '../../src/config/config.js';
import type { HostNetwork } from '../../src/config/network.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { type ReconcileInput, reconcile } from '../../src/reconcile/index.js';
import { loadDesiredState } from '../../src/render/index.js';
import { readDirectoryTree } from '../../src/source/directory.js';
import type { StackHistoryStore } from '../../src/state/stack-history-store.js';
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
const stateDirs: string[] = [];

/** A state directory of its own, as `corral sync --state-dir` gives every pass: rolled-back upgrades are remembered there. */
function memory(): NonNullable<ReconcileInput['memory']> {
  const path = mkdtempSync(join(tmpdir(), 'corral-e2e-state-'));
  stateDirs.push(path);
  return hostMemory(path, true, { hosts, catalogs: [] });
}

/** The stacks' histories in a state directory of their own, as `corral sync --state-dir` writes them: what `corral history` shows. */
function history(): StackHistoryStore {
  const path = mkdtempSync(join(tmpdir(), 'corral-e2e-history-'));
  stateDirs.push(path);
  return stackHistory(path, true);
}

/** The result and cause of the stack's last revision, as its history has it. */
async function lastRevision(store: StackHistoryStore, stack: string): Promise<{ result?: string; cause?: string }> {
  const entry = (await store.read(stack)).at(-1);
  return entry ? { result: entry.result, cause: entry.cause } : {};
}

before(async () => {
  hosts = await fleetHosts();
});

after(async () => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
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

test('a bump to an image that does not exist stops nothing: same containers, same start times; RolledBack names the pull error', async () => {
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
    const revisions = history();
    const result = await repo.sync(hosts, [stack], false, { history: revisions });
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
    assert.equal(outcome?.status.sync, 'RolledBack');
    const last = await lastRevision(revisions, stack);
    assert.equal(last.result, 'RolledBack');
    assert.match(last.cause ?? '', /^PullImage /);
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
    // An external volume needs the policy's grant (src/policy).
    const granted = { ...DEFAULT_POLICY, allow: [...DEFAULT_POLICY.allow, 'external_volumes' as const] };
    const state = loadDesiredState(await readDirectoryTree(repo.dir, ['catalog', 'stacks']), { policy: granted });
    assert.deepEqual(state.failed, []);
    const result = await reconcile({ hosts, desired: state.stacks, failed: state.failed, prune: true, only: [stack] });
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

    const again = await reconcile({ hosts, desired: state.stacks, failed: state.failed, prune: true, only: [stack], dryRun: true });
    assert.equal(again.plan.stacks.find((p) => p.stack === stack)?.actionable, true);
    assert.deepEqual(
      again.plan.operations.filter((op) => op.stack === stack),
      [],
    );
    assert.equal(result.plan.operations.filter((op) => op.stack === stack && op.kind === 'CreateContainer').length, 1);
  } finally {
    repo.remove();
  }
});

const BATCHED = (command: string) => `version: '2'
services:
  app:
    image: ${BUSYBOX}
    command: ${command}
    stop_signal: SIGKILL
`;
const BATCHED_RANCHER = `app:
  scale: 3
  min_ready: 1
  upgrade_strategy:
    batch_size: 1
    interval_millis: 200
  health_check:
    port: 80
    initializing_timeout: 3000
`;

/** `work`'s result, and what `sample` answered meanwhile: asked at once, then `everyMs` after each answer, until the work is done. */
async function sampledWhile<T, S>(everyMs: number, sample: () => Promise<S>, work: () => Promise<T>): Promise<{ result: T; samples: S[] }> {
  const samples: S[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await sample());
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  try {
    return { result: await work(), samples };
  } finally {
    sampling = false;
    await sampler;
  }
}

/** How many of the stack's containers run, on all hosts. */
async function runningCount(stack: string): Promise<number> {
  const counts = await Promise.all(
    hosts.map(async (host) => {
      const list = await clientOf(host).listContainers({ filters: { label: [`io.corral.stack=${stack}`], status: ['running'] } });
      return list.length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** One pass over the repository with every operation's end time (remembering rolled-back upgrades and the history, when given); meanwhile the stack's running containers are counted every 100 ms. */
async function syncSampled(repo: TestRepo, stack: string, remembered?: ReconcileInput['memory'], revisions?: StackHistoryStore) {
  const state = loadDesiredState(await readDirectoryTree(repo.dir, ['catalog', 'stacks']));
  const ended: { result: OperationResult; at: number }[] = [];
  const { result, samples } = await sampledWhile(
    100,
    () => runningCount(stack),
    () =>
      reconcile({
        hosts,
        desired: state.stacks,
        failed: state.failed,
        prune: true,
        only: [stack],
        onResult: (r) => ended.push({ result: r, at: Date.now() }),
        ...(remembered ? { memory: remembered } : {}),
        ...(revisions ? { history: revisions } : {}),
      }),
  );
  return { result, ended, samples };
}

test('an upgrade with batch_size 1: each old container stops only after the new one before it passed its gate; 2 of 3 always run', async () => {
  const stack = uniqueName('batch');
  stacks.push(stack);
  const repo = new TestRepo().template('batched', BATCHED('["sleep", "3600"]'), BATCHED_RANCHER);
  try {
    repo.stack(stack, 'batched');
    const first = await syncSampled(repo, stack);
    assert.equal(summary(first.result, stack).converged, true, summary(first.result, stack).ops.join('\n'));
    const before = await containersOf(stack);

    repo.template('batched', BATCHED('["sleep", "3601"]'), BATCHED_RANCHER);
    const { result, ended, samples } = await syncSampled(repo, stack);
    const outcome = summary(result, stack);
    assert.equal(outcome.converged, true, outcome.ops.join('\n'));
    const endOf = (kind: string, target: string) =>
      ended.find((e) => e.result.operation.kind === kind && e.result.operation.target === target);
    for (const [previous, next] of [
      [1, 2],
      [2, 3],
    ]) {
      const gate = endOf('AwaitReady', `${stack}-app-${previous}`);
      const stop = endOf('StopContainer', `${stack}-app-${next}`);
      assert.ok(gate && stop, outcome.ops.join('\n'));
      assert.equal(gate.result.status, 'ok');
      assert.ok(stop.at - stop.result.durationMs >= gate.at, `stop of ${next} began after the gate of ${previous}`);
      assert.ok(gate.result.durationMs >= 1000 + 200, `the gate waited min_ready 1 s and the interval: ${gate.result.durationMs} ms`);
    }
    assert.ok(samples.length > 5 && Math.min(...samples) >= 2, `running counts: ${samples.join(',')}`);
    const after = await containersOf(stack);
    assert.equal(after.length, 3);
    assert.ok(after.every((c) => c.running && !before.some((b) => b.id === c.id)));
  } finally {
    repo.remove();
  }
});

test('a gate that fails rolls the stack back to the same containers: RolledBack, not tried again by the next passes; the revert changes nothing', async () => {
  const stack = uniqueName('badgate');
  stacks.push(stack);
  const state = memory();
  const repo = new TestRepo().template('batched', BATCHED('["sleep", "3600"]'), BATCHED_RANCHER);
  try {
    repo.stack(stack, 'batched');
    const first = await syncSampled(repo, stack, state);
    assert.equal(summary(first.result, stack).converged, true);
    const before = await containersOf(stack);
    const ids = (list: Running[]) => list.map((c) => `${c.name}=${c.id}:${c.running}`).sort();

    repo.template('batched', BATCHED('["sh", "-c", "exit 3"]'), BATCHED_RANCHER);
    const revisions = history();
    const { result } = await syncSampled(repo, stack, state, revisions);
    const outcome = result.stacks.find((s) => s.stack === stack);
    const ops = summary(result, stack).ops;
    assert.equal(outcome?.converged, false, ops.join('\n'));
    assert.equal(outcome?.status.sync, 'RolledBack', ops.join('\n'));
    assert.match(
      outcome?.status.message ?? '',
      new RegExp(`failed and was rolled back at .+: AwaitReady ${stack}-app-1 on h\\d: ${stack}-app-1 not ready within 3 s`),
    );
    assert.equal((await lastRevision(revisions, stack)).result, 'RolledBack');
    assert.ok(
      ops.some((op) => op.startsWith('RenameContainer') && op.includes(`${stack}-app-1-prev ok`)),
      ops.join('\n'),
    );
    // The very same containers run again, and nothing else is left: no new one, no kept one.
    assert.deepEqual(ids(await containersOf(stack)), ids(before));

    for (let pass = 1; pass <= 2; pass++) {
      const again = await repo.sync(hosts, [stack], false, { memory: state });
      const held = summary(again, stack);
      assert.deepEqual(held.ops, [], `pass ${pass} tries nothing`);
      assert.equal(held.sync, 'RolledBack');
    }
    assert.deepEqual(ids(await containersOf(stack)), ids(before));

    repo.template('batched', BATCHED('["sleep", "3600"]'), BATCHED_RANCHER);
    const reverted = summary(await repo.sync(hosts, [stack], false, { memory: state }), stack);
    assert.deepEqual(reverted.ops, []);
    assert.equal(reverted.sync, 'Synced');
    assert.equal(reverted.converged, true);
    assert.deepEqual(ids(await containersOf(stack)), ids(before));
  } finally {
    repo.remove();
  }
});

const ANSWERING = (title: string) => `version: '2'
services:
  web:
    image: ${BUSYBOX}
    command: ["sh", "-c", "mkdir -p /www && echo ${title} > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["80"]
    stop_signal: SIGKILL
`;
const START_FIRST_RANCHER = `web:
  scale: 1
  min_ready: 1
  upgrade_strategy:
    start_first: true
`;
/** Two units, upgraded one at a time; each new one is ready once its port 80 accepts (and it ran 1 s). */
const START_FIRST_TWO_RANCHER = `web:
  scale: 2
  min_ready: 1
  upgrade_strategy:
    start_first: true
    batch_size: 1
    interval_millis: 200
  health_check:
    port: 80
    interval: 500
    initializing_timeout: 60000
`;

/**
 * The fleet's hosts as a copy of the fleet's config saying `network: <mode>` for every host
 * would give them. The fleet's hosts are one swarm, so both modes work on it whatever its own
 * corral.yml says; the start_first tests pick theirs.
 */
function hostsOn(mode: HostNetwork): HostConfig[] {
  return hosts.map((host) => ({ ...host, network: mode }));
}

/** The networks each container of the stack is attached to: `web-1: corral-x_overlay`, sorted. */
async function attachmentsOf(stack: string): Promise<string[]> {
  const found: string[] = [];
  for (const c of await containersOf(stack)) {
    const host = hosts.find((h) => h.name === c.host) as HostConfig;
    const info = await clientOf(host).getContainer(c.id).inspect();
    found.push(`${c.name.slice(stack.length + 1)}: ${Object.keys(info.NetworkSettings.Networks).sort().join(',')}`);
  }
  return found.sort();
}

/** Asks every running container of the stack's published port for its page; the first answer, or undefined. */
async function answerOf(stack: string): Promise<string | undefined> {
  for (const host of hosts) {
    const list = await clientOf(host).listContainers({ filters: { label: [`io.corral.stack=${stack}`], status: ['running'] } });
    for (const port of list.flatMap((c) => c.Ports.filter((p) => p.PublicPort))) {
      const address = host.address ?? '';
      try {
        const response = await fetch(`http://${address}:${port.PublicPort}/`, { signal: AbortSignal.timeout(3000) });
        if (response.ok) return (await response.text()).trim();
      } catch {
        // not this one
      }
    }
  }
  return undefined;
}

test('start_first on bridge networks: the new container starts before the old one stops, so the service answers at every sample; the new page is served at the end', async () => {
  const stack = uniqueName('startfirst');
  stacks.push(stack);
  const bridged = hostsOn('bridge');
  const repo = new TestRepo().template('answering', ANSWERING('one'), START_FIRST_RANCHER);
  try {
    repo.stack(stack, 'answering');
    const first = summary(await repo.sync(bridged, [stack]), stack);
    assert.equal(first.converged, true, first.ops.join('\n'));
    assert.deepEqual(await attachmentsOf(stack), [`web-1: corral-${stack}`]);
    assert.equal(await answerOf(stack), 'one');

    repo.template('answering', ANSWERING('two'), START_FIRST_RANCHER);
    const { result, samples: answers } = await sampledWhile(
      50,
      () => answerOf(stack),
      () => repo.sync(bridged, [stack]),
    );
    const outcome = summary(result, stack);
    assert.equal(outcome.converged, true, outcome.ops.join('\n'));
    const notes = result.stacks.find((s) => s.stack === stack)?.notes ?? [];
    assert.ok(!notes.some((n) => n.message.includes('start_first not possible')), JSON.stringify(notes));
    const at = (prefix: string) => outcome.ops.findIndex((op) => op.startsWith(prefix));
    const order = [`RenameContainer h`, `StartContainer h`, `AwaitReady h`, `StopContainer h`].map(at);
    assert.ok(
      order.every((index, n) => index >= 0 && (n === 0 || index > (order[n - 1] ?? 0))),
      outcome.ops.join('\n'),
    );
    assert.match(outcome.ops.find((op) => op.startsWith('StopContainer')) ?? '', new RegExp(`:${stack}-web-1-prev ok`));
    assert.ok(answers.length > 5, `samples: ${answers.length}`);
    assert.deepEqual(
      answers.filter((a) => a !== 'one' && a !== 'two'),
      [],
      `every sample answered: ${answers.join(',')}`,
    );
    assert.equal(await answerOf(stack), 'two');
    assert.deepEqual(await placementOf(hosts, stack), [`${(await containersOf(stack))[0]?.host}:${stack}-web-1`]);
  } finally {
    repo.remove();
  }
});

test('start_first on an overlay network: each unit stops first (Docker renames no running container there) and the plan says so; at scale 2, one unit at a time, the service answers at every sample', async () => {
  const stack = uniqueName('startfirst-ov');
  stacks.push(stack);
  const overlaid = hostsOn('overlay');
  const overlay = `corral-${stack}_overlay`;
  const repo = new TestRepo().template('answering', ANSWERING('one'), START_FIRST_TWO_RANCHER);
  try {
    repo.stack(stack, 'answering');
    const first = summary(await repo.sync(overlaid, [stack]), stack);
    assert.equal(first.converged, true, first.ops.join('\n'));
    assert.deepEqual(await attachmentsOf(stack), [`web-1: ${overlay}`, `web-2: ${overlay}`]);
    assert.equal(await answerOf(stack), 'one');
    const before = await containersOf(stack);

    repo.template('answering', ANSWERING('two'), START_FIRST_TWO_RANCHER);
    const state = loadDesiredState(await readDirectoryTree(repo.dir, ['catalog', 'stacks']));
    const ended: { result: OperationResult; at: number }[] = [];
    const { result, samples: answers } = await sampledWhile(
      50,
      () => answerOf(stack),
      () =>
        reconcile({
          hosts: overlaid,
          desired: state.stacks,
          failed: state.failed,
          prune: true,
          only: [stack],
          onResult: (r) => ended.push({ result: r, at: Date.now() }),
        }),
    );
    const outcome = summary(result, stack);
    assert.equal(outcome.converged, true, outcome.ops.join('\n'));
    const notes = (result.stacks.find((s) => s.stack === stack)?.notes ?? []).map((n) => `${n.level}: ${n.message}`);
    for (const unit of [1, 2])
      assert.ok(
        notes.includes(
          `info: ${stack}-web-${unit}: start_first not possible, the old ${stack}-web-${unit} is on the overlay network ${overlay}, where Docker renames no running container: stops first`,
        ),
        notes.join('\n'),
      );
    const endOf = (kind: string, target: string) =>
      ended.find((e) => e.result.operation.kind === kind && e.result.operation.target === target);
    const stops = ended.filter((e) => e.result.operation.kind === 'StopContainer');
    assert.deepEqual(
      stops.map((e) => `${e.result.operation.target} ${e.result.status}`).sort(),
      [`${stack}-web-1 ok`, `${stack}-web-2 ok`],
      outcome.ops.join('\n'),
    );
    // Stop first, one unit at a time: whichever unit went second stopped only after the first one's new container passed its gate.
    const [earlier, later] = [...stops].sort((a, b) => a.at - b.at);
    const gate = endOf('AwaitReady', earlier?.result.operation.target ?? '');
    assert.ok(gate && later, outcome.ops.join('\n'));
    assert.equal(gate.result.status, 'ok');
    assert.ok(later.at - later.result.durationMs >= gate.at, `the second unit stopped after the first one's gate`);
    assert.ok(answers.length > 5, `samples: ${answers.length}`);
    assert.deepEqual(
      answers.filter((a) => a !== 'one' && a !== 'two'),
      [],
      `every sample answered: ${answers.join(',')}`,
    );
    assert.equal(await answerOf(stack), 'two');
    const after = await containersOf(stack);
    assert.deepEqual(after.map((c) => c.name).sort(), [`${stack}-web-1`, `${stack}-web-2`]);
    assert.ok(
      after.every((c) => c.running && !before.some((b) => b.id === c.id)),
      JSON.stringify(after),
    );
    assert.deepEqual(await attachmentsOf(stack), [`web-1: ${overlay}`, `web-2: ${overlay}`]);
  } finally {
    repo.remove();
  }
});
