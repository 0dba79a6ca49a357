/**
 * The controller with a fake reconcile and an injected clock: how stack passes, the coordinator,
 * new revisions, failed fetches and passes, requests during a pass and stop() behave, without Docker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import winston from 'winston';
import type { Clock } from '../../src/daemon/clock.js';
import { Controller, type ControllerOptions } from '../../src/daemon/controller.js';
import { DesiredStateSource } from '../../src/desired/index.js';
import type { Leadership, LeadershipChange } from '../../src/ha/leadership.js';
import type { Operation } from '../../src/plan/types.js';
import type { ReconcileInput, ReconcileResult, StackOutcome } from '../../src/reconcile/index.js';
import type { RepoSnapshot, Source } from '../../src/source/types.js';
import { StackHistoryStore } from '../../src/state/stack-history-store.js';
import { StateDir } from '../../src/state/state-dir.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { parseMetrics, samples } from './prometheus-text.js';

/** A repository in memory: one template, the named stacks. */
class MemoryRepo implements Source {
  files: Map<string, string>;
  revision = 'r1';
  /** When set, reading the repository fails with this error. */
  failure?: () => Error;
  private seen?: string;

  constructor(stacks: string[]) {
    this.files = new Map([
      ['catalog/templates/web/config.yml', 'name: web\nversion: 1.0.0\n'],
      ['catalog/templates/web/0/docker-compose.yml', 'web:\n  image: busybox\n'],
      ['catalog/templates/web/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
      ...stacks.map((stack): [string, string] => [`stacks/${stack}/stack.yml`, 'template: web\n']),
    ]);
  }

  describe(): string {
    return 'memory';
  }

  async refresh(): Promise<{ changed: boolean; revision: string }> {
    if (this.failure) throw this.failure();
    const changed = this.seen !== this.revision;
    this.seen = this.revision;
    return { changed, revision: this.revision };
  }

  async snapshot(): Promise<RepoSnapshot> {
    return { files: this.files, revision: this.revision };
  }
}

/** A promise with its resolve function, to hold a pass open. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * The fleet as the fake reconcile sees it: stacks with changes pending; a stack pass applies
 * them. Every pass is recorded, once per stack it holds and once as a whole (`stackPasses`); a
 * stack can be held open with a gate, which holds its pass.
 */
class FakeWorld {
  readonly pending = new Set<string>();
  readonly passes: { stack: string; dryRun: boolean }[] = [];
  /** The stacks of each stack pass, in the order the passes started. */
  readonly stackPasses: string[][] = [];
  readonly gates = new Map<string, { promise: Promise<void>; open(): void }>();
  readonly started = new Map<string, number>();
  /** Stack passes in flight. */
  inFlight = 0;
  maxInFlight = 0;
  readonly inFlightPerStack = new Map<string, number>();
  maxPerStack = 0;
  /** Called inside every stack pass (to move the clock, say). */
  duringPass: (stack: string) => void = () => {};

  dryRunGate?: { promise: Promise<void>; open(): void };
  /** The input of the latest stack pass. */
  lastInput?: ReconcileInput;

  /** Holds the next dry run (a full check) open until told. */
  holdDryRun(): { open(): void } {
    this.dryRunGate = gate();
    return this.dryRunGate;
  }

  hold(stack: string): { open(): void } {
    const held = gate();
    this.gates.set(stack, held);
    return held;
  }

  passesOf(stack: string): number {
    return this.passes.filter((p) => p.stack === stack && !p.dryRun).length;
  }

  reconcile = async (input: ReconcileInput): Promise<ReconcileResult> => {
    const names = input.only ?? input.desired.map((s) => s.name);
    if (input.dryRun) {
      this.passes.push({ stack: '*', dryRun: true });
      await this.dryRunGate?.promise;
      this.dryRunGate = undefined;
      return result(
        names.map((name) => outcome(name, this.pending.has(name), [])),
        [...this.pending].filter((n) => names.includes(n)),
      );
    }
    const stacks = [...names];
    this.lastInput = input;
    this.stackPasses.push(stacks);
    for (const stack of stacks) {
      this.passes.push({ stack, dryRun: false });
      this.started.set(stack, (this.started.get(stack) ?? 0) + 1);
    }
    this.enter(stacks, 1);
    try {
      for (const stack of stacks) this.duringPass(stack);
      await Promise.all(stacks.map((stack) => this.gates.get(stack)?.promise));
      return result(
        stacks.map((stack) => this.applyPending(stack)),
        [],
      );
    } finally {
      this.enter(stacks, -1);
    }
  };

  private applyPending(stack: string): StackOutcome {
    this.gates.delete(stack);
    const applied = this.pending.has(stack) ? [{ operation: operationOf(stack), status: 'ok' as const, durationMs: 0 }] : [];
    this.pending.delete(stack);
    return outcome(stack, false, applied);
  }

  private enter(stacks: readonly string[], step: number): void {
    this.inFlight += step;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    for (const stack of stacks) {
      const mine = (this.inFlightPerStack.get(stack) ?? 0) + step;
      this.inFlightPerStack.set(stack, mine);
      this.maxPerStack = Math.max(this.maxPerStack, mine);
    }
  }
}

function operationOf(stack: string): Operation {
  return { kind: 'StartContainer', id: '#1', host: 'h1', target: `${stack}-web-1`, stack, dependsOn: [], cause: 'exited, restart' };
}

function outcome(stack: string, pending: boolean, operations: StackOutcome['operations']): StackOutcome {
  const status: StackStatus = {
    name: stack,
    sync: pending ? 'OutOfSync' : 'Synced',
    health: 'Healthy',
    message: pending ? 'changes pending' : 'converged',
    services: [
      {
        name: 'web',
        health: 'Healthy',
        checkedBy: 'running',
        containers: [],
        desired: 1,
        running: pending ? 0 : 1,
        healthy: pending ? 0 : 1,
        unhealthy: 0,
        starting: 0,
        unknown: 0,
      },
    ],
    endpoints: [],
    events: [],
  };
  return { stack, converged: !pending, operations, notes: [], status };
}

function result(stacks: StackOutcome[], pendingStacks: string[]): ReconcileResult {
  const operations = pendingStacks.map(operationOf);
  const empty = { hosts: [] };
  return {
    observed: empty,
    after: empty,
    placements: [],
    results: [],
    plan: { operations, stacks: stacks.map((s) => ({ stack: s.stack, actionable: true, notes: [] })) },
    stacks,
  };
}

/** A clock that only moves when told to. */
class FakeClock implements Clock {
  time = Date.parse('2024-05-01T12:00:00Z');
  now(): number {
    return this.time;
  }
  setInterval(): unknown {
    return undefined;
  }
  clearInterval(): void {}
}

/** A controller that has read the repository and converged every stack once; the world's records start after that. */
async function controllerFor(
  stacks: string[],
  world: FakeWorld,
  clock = new FakeClock(),
  repo = new MemoryRepo(stacks),
  logger = winston.createLogger({ silent: true }),
) {
  const repository = await DesiredStateSource.open({ repo });
  const controller = new Controller({ repository, config: { hosts: [], catalogs: [] }, logger, clock, reconcile: world.reconcile });
  controller.requestFullCheck('start');
  await controller.idle();
  world.passes.length = 0;
  world.stackPasses.length = 0;
  return { controller, clock };
}

/** A controller over the named stacks with a reconcile of the test's own (and more options), after its first full check. */
async function startedController(stacks: string[], options: Pick<ControllerOptions, 'reconcile'> & Partial<ControllerOptions>) {
  const repository = await DesiredStateSource.open({ repo: new MemoryRepo(stacks) });
  const logger = winston.createLogger({ silent: true });
  const controller = new Controller({ repository, config: { hosts: [], catalogs: [] }, logger, clock: new FakeClock(), ...options });
  controller.requestFullCheck('start');
  await controller.idle();
  return controller;
}

/** A new revision r2 that changes the template every stack uses, fetched and converged. */
async function pushTemplateChange(repo: MemoryRepo, controller: Controller): Promise<void> {
  repo.files.set('catalog/templates/web/0/docker-compose.yml', 'web:\n  image: busybox\n  command: ["sleep", "1000"]\n');
  repo.revision = 'r2';
  controller.requestFetch('push');
  await controller.idle();
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (condition()) return;
    await settle();
  }
  assert.fail(`never happened: ${what}`);
}

test('a full check sends only the stacks with changes pending to a stack pass; the others get their status from the dry run', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a', 'b', 'c'], world);
  world.pending.add('b');
  controller.requestFullCheck('interval');
  await controller.idle();
  assert.deepEqual(
    world.passes.filter((p) => !p.dryRun).map((p) => p.stack),
    ['b'],
  );
  assert.deepEqual(
    controller.stacks().map((s) => [s.name, s.sync]),
    [
      ['a', 'Synced'],
      ['b', 'Synced'],
      ['c', 'Synced'],
    ],
  );
});

test('the stacks a full check finds pending share one pass; a stack asked for meanwhile runs beside it; the passes of one stack never overlap', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a', 'b', 'c', 'd'], world);
  for (const stack of ['a', 'b', 'c']) world.pending.add(stack);
  const held = ['a', 'b', 'c'].map((stack) => world.hold(stack));
  controller.requestFullCheck('interval');
  await until('the pass of a, b and c in flight', () => world.inFlight === 1);
  assert.deepEqual(world.stackPasses, [['a', 'b', 'c']]);
  for (let i = 0; i < 5; i += 1) controller.requestSync('a', 'again');
  const heldD = world.hold('d');
  controller.requestSync('d', 'container died');
  await until('d in a pass of its own beside it', () => world.inFlight === 2);
  assert.equal(world.passesOf('a'), 1, 'no second pass of a while the first runs');
  for (const h of [...held, heldD]) h.open();
  await controller.idle();
  assert.equal(world.maxPerStack, 1);
  assert.deepEqual(world.stackPasses, [['a', 'b', 'c'], ['d'], ['a']], 'the requests during the pass of a made it run once more');
});

test('a stack asked for while its pass runs waits for that pass, while others asked for meanwhile go at once', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a', 'b', 'c'], world);
  const heldA = world.hold('a');
  controller.requestSync('a', 'container died');
  await until('the pass of a in flight', () => world.inFlight === 1);
  const heldB = world.hold('b');
  controller.requestSync('b', 'health check failed');
  await until('b in a pass of its own', () => world.inFlight === 2);
  controller.requestSync('a', 'died again');
  controller.requestSync('b', 'failed again');
  controller.requestSync('c', 'container died');
  await until('c in a pass of its own', () => world.stackPasses.length === 3);
  assert.deepEqual(world.stackPasses, [['a'], ['b'], ['c']], 'a and b wait for their passes; c does not');
  world.hold('b');
  heldB.open();
  await until('b again', () => world.stackPasses.length === 4);
  assert.deepEqual(world.stackPasses[3], ['b'], 'a still waits for its pass');
  heldA.open();
  world.gates.get('b')?.open();
  await controller.idle();
  assert.deepEqual(world.stackPasses.slice(4), [['a']], 'a ran once more after its pass');
  assert.equal(world.maxPerStack, 1);
});

test('requests during a pass run it exactly once more', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a'], world);
  const held = world.hold('a');
  controller.requestSync('a', 'container died');
  await until('the pass of a in flight', () => world.inFlight === 1);
  controller.requestSync('a', 'died again');
  controller.requestSync('a', 'and again');
  held.open();
  await controller.idle();
  assert.equal(world.passesOf('a'), 2);
  controller.requestSync('a', 'later');
  await controller.idle();
  assert.equal(world.passesOf('a'), 3, 'a request after the pass ended starts a new pass');
});

test('at most four stack passes at once; the stacks asked for meanwhile wait and then share one', async () => {
  const world = new FakeWorld();
  const stacks = ['s1', 's2', 's3', 's4', 's5', 's6'];
  const { controller } = await controllerFor(stacks, world);
  const held = stacks.map((stack) => world.hold(stack));
  for (const [at, stack] of ['s1', 's2', 's3', 's4'].entries()) {
    controller.requestSync(stack, 'sync');
    await until(`${at + 1} passes in flight`, () => world.inFlight === at + 1);
  }
  controller.requestSync('s5', 'sync');
  controller.requestSync('s6', 'sync');
  await settle();
  assert.equal(world.inFlight, 4);
  held[0]?.open();
  await until('the fifth pass in flight', () => world.stackPasses.length === 5);
  for (const h of held) h.open();
  await controller.idle();
  assert.equal(world.maxInFlight, 4);
  assert.deepEqual(world.stackPasses, [['s1'], ['s2'], ['s3'], ['s4'], ['s5', 's6']]);
});

test('a new revision that changes many stacks converges them in one pass, not one each', async () => {
  const world = new FakeWorld();
  const stacks = Array.from({ length: 40 }, (_, i) => `s${i + 1}`);
  const repo = new MemoryRepo(stacks);
  const { controller } = await controllerFor(stacks, world, new FakeClock(), repo);
  const passCount = async () => {
    const families = parseMetrics(await controller.metrics());
    const [count] = samples(families, 'corral_reconcile_duration_seconds', { pass: 'stack' }, 'corral_reconcile_duration_seconds_count');
    return count?.value ?? 0;
  };
  const passesBefore = await passCount();
  await pushTemplateChange(repo, controller);
  assert.deepEqual(
    world.stackPasses.map((pass) => pass.length),
    [40],
  );
  assert.equal((await passCount()) - passesBefore, 1, 'the metrics count one stack pass');
});

test('a revision that changes 250 stacks converges them in passes of at most a hundred', async () => {
  const world = new FakeWorld();
  const stacks = Array.from({ length: 250 }, (_, i) => `s${i + 1}`);
  const repo = new MemoryRepo(stacks);
  const { controller } = await controllerFor(stacks, world, new FakeClock(), repo);
  await pushTemplateChange(repo, controller);
  assert.deepEqual(
    world.stackPasses.map((pass) => pass.length),
    [100, 100, 50],
  );
  assert.equal(new Set(world.stackPasses.flat()).size, 250);
});

test('a stack whose passes throw fails alone: the others of its pass converge, and its status shows the error', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['bad', 'good'], world);
  world.pending.add('bad');
  world.pending.add('good');
  world.duringPass = (stack) => {
    if (stack === 'bad') throw new Error('no spec for bad-web-1');
  };
  controller.requestFullCheck('interval');
  await controller.idle();
  assert.deepEqual(world.stackPasses, [['bad', 'good'], ['bad'], ['good']]);
  assert.equal(world.pending.has('good'), false, 'good converged');
  assert.equal(controller.stack('bad')?.lastError, 'its last pass failed: no spec for bad-web-1');
  assert.equal(controller.stack('good')?.lastError, undefined);
  world.pending.add('good');
  controller.requestFullCheck('interval');
  await controller.idle();
  assert.deepEqual(world.stackPasses.slice(3), [['good'], ['bad']], 'bad keeps passes of its own, after the others');
  world.duringPass = () => {};
  controller.requestSync('bad', 'fixed');
  await controller.idle();
  assert.equal(controller.stack('bad')?.lastError, undefined, 'a pass that succeeds clears the error');
});

test('a new stack whose passes throw is shown, with the error', async () => {
  const world = new FakeWorld();
  const repo = new MemoryRepo(['good']);
  const { controller } = await controllerFor(['good'], world, new FakeClock(), repo);
  world.duringPass = (stack) => {
    if (stack === 'fresh') throw new Error('no spec for fresh-web-1');
  };
  repo.files.set('stacks/fresh/stack.yml', 'template: web\n');
  repo.revision = 'r2';
  world.pending.add('fresh');
  controller.requestFullCheck('push');
  await controller.idle();
  const fresh = controller.stack('fresh');
  assert.equal(fresh?.sync, 'OutOfSync', "the full check's dry run");
  assert.equal(fresh?.lastError, 'its last pass failed: no spec for fresh-web-1');
});

test('a shared pass that fails after this replica stopped leading leaves its stacks to the standby’s full checks', async () => {
  const world = new FakeWorld();
  let leading = true;
  let leadershipChanged: ((change: LeadershipChange) => void) | undefined;
  const leadership = {
    replica: 'r1',
    role: () => (leading ? 'leader' : 'standby'),
    leader: () => undefined,
    fence: () => undefined,
    onChange: (listener: (change: LeadershipChange) => void) => {
      leadershipChanged = listener;
    },
  } as unknown as Leadership;
  let fenced = false;
  const reconcile = async (input: ReconcileInput): Promise<ReconcileResult> => {
    const passed = await world.reconcile(input);
    if (input.dryRun || !fenced) return passed;
    for (const stack of input.only ?? []) world.pending.add(stack);
    throw new Error('not the leader: the fence is closed');
  };
  const controller = await startedController(['a', 'b'], { reconcile, leadership });
  for (const stack of ['a', 'b']) world.pending.add(stack);
  const held = ['a', 'b'].map((stack) => world.hold(stack));
  controller.requestFullCheck('interval');
  await until('the shared pass in flight', () => world.inFlight === 1);
  leading = false;
  fenced = true;
  leadershipChanged?.({ role: 'standby', reason: 'r2 holds the election key' });
  for (const h of held) h.open();
  await controller.idle();
  controller.requestSync(undefined, 'a look as a standby');
  await controller.idle();
  assert.deepEqual(
    ['a', 'b'].map((stack) => controller.stack(stack)?.sync),
    ['OutOfSync', 'OutOfSync'],
    'the standby shows what its dry run found',
  );
});

/**
 * Stacks `slow` and `x`, converged: a dry run finds both Synced; once `xGone`, a pass of x waits
 * for `xPass` and finds x OutOfSync (its container cannot start again). Reading slow's history
 * waits for `slowReads` (and sets `slowRead`). Both gates start open.
 */
async function staleDryRunWorld() {
  const world = { xGone: false, xPass: gate(), slowReads: gate(), slowRead: false };
  world.xPass.open();
  world.slowReads.open();
  const reconcile = async (input: ReconcileInput): Promise<ReconcileResult> => {
    const names = input.only ?? input.desired.map((s) => s.name);
    if (input.dryRun || !world.xGone)
      return result(
        names.map((name) => outcome(name, false, [])),
        [],
      );
    await world.xPass.promise;
    const failed = { operation: operationOf('x'), status: 'failed' as const, error: 'no such image', durationMs: 0 };
    return result(
      names.map((name) => ({ ...outcome(name, true, [failed]), converged: false })),
      [],
    );
  };
  const history = {
    read: async (stack: string) => {
      if (stack === 'slow') {
        world.slowRead = true;
        await world.slowReads.promise;
      }
      return [];
    },
  } as unknown as StackHistoryStore;
  const controller = await startedController(['slow', 'x'], { reconcile, history });
  assert.equal(controller.stack('x')?.sync, 'Synced');
  world.slowReads = gate();
  world.slowRead = false;
  world.xGone = true;
  return { controller, world };
}

test('a full check does not record its dry run over the status of a pass that ran while it read the histories', async () => {
  const { controller, world } = await staleDryRunWorld();
  controller.requestFullCheck('interval');
  await until('the full check reading the histories', () => world.slowRead);
  controller.requestSync('x', 'container of x died');
  await until('the pass of x recorded', () => controller.stack('x')?.sync === 'OutOfSync');
  world.slowReads.open();
  await controller.idle();
  assert.equal(controller.stack('x')?.sync, 'OutOfSync', "the dry run's older status did not replace the pass's");
});

test('a full check does not record its dry run over the status of a pass that was in flight when it began and ended while it read the histories', async () => {
  const { controller, world } = await staleDryRunWorld();
  world.xPass = gate();
  controller.requestSync('x', 'container of x died');
  await settle();
  controller.requestFullCheck('interval');
  await until('the full check reading the histories', () => world.slowRead);
  world.xPass.open();
  await until('the pass of x recorded', () => controller.stack('x')?.sync === 'OutOfSync');
  world.slowReads.open();
  await controller.idle();
  assert.equal(controller.stack('x')?.sync, 'OutOfSync', "the dry run's older status did not replace the pass's");
});

test('stop (SIGTERM) finishes the passes in flight, drops queued work and takes no more', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a', 'b'], world);
  const held = world.hold('a');
  controller.requestSync('a', 'died');
  await until('the pass of a in flight', () => world.inFlight === 1);
  controller.requestSync('a', 'died again');
  controller.requestFullCheck('interval');
  let stopped = false;
  const stopping = controller.stop().then(() => {
    stopped = true;
  });
  await settle();
  assert.equal(stopped, false, 'stop waits for the pass in flight');
  held.open();
  await stopping;
  const checks = world.passes.filter((p) => p.dryRun).length;
  controller.requestSync('b', 'after stop');
  controller.requestFullCheck('after stop');
  await controller.idle();
  assert.equal(world.passesOf('a'), 1, 'the queued second pass of a was dropped');
  assert.equal(world.passesOf('b'), 0);
  assert.equal(world.passes.filter((p) => p.dryRun).length, checks, 'no full check after stop');
});

test('event times and pass durations come from the injected clock', async () => {
  const world = new FakeWorld();
  const clock = new FakeClock();
  const { controller } = await controllerFor(['a'], world, clock);
  world.pending.add('a');
  world.duringPass = () => {
    clock.time += 2500;
  };
  controller.requestSync('a', 'container died');
  await controller.idle();
  const status = controller.stack('a');
  assert.deepEqual(status?.events, [{ time: '2024-05-01T12:00:02.500Z', message: '#1 h1 StartContainer a-web-1: exited, restart' }]);
  const families = parseMetrics(await controller.metrics());
  const [sum] = samples(families, 'corral_reconcile_duration_seconds', { pass: 'stack' }, 'corral_reconcile_duration_seconds_sum');
  assert.equal(sum?.value, 2.5);
});

test('a new revision sends only the stacks whose rendered state changed to a stack pass', async () => {
  const world = new FakeWorld();
  const repo = new MemoryRepo(['a', 'b', 'c']);
  const { controller } = await controllerFor(['a', 'b', 'c'], world, new FakeClock(), repo);
  repo.files.set('catalog/templates/api/config.yml', 'name: api\nversion: 1.0.0\n');
  repo.files.set('catalog/templates/api/0/docker-compose.yml', 'api:\n  image: busybox\n');
  repo.files.set('catalog/templates/api/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n');
  repo.files.set('stacks/b/stack.yml', 'template: api\n');
  repo.files.set('stacks/d/stack.yml', 'template: web\n');
  repo.revision = 'r2';
  controller.requestFetch('push');
  await controller.idle();
  assert.deepEqual(world.passes, [
    { stack: 'b', dryRun: false },
    { stack: 'd', dryRun: false },
  ]);
  assert.deepEqual(world.stackPasses, [['b', 'd']], 'in one pass');
  controller.requestFetch('push, same revision');
  await controller.idle();
  assert.equal(world.passes.length, 2, 'an unchanged revision starts no pass');
});

test('a failed fetch keeps serving the last good revision and says so in every status; its duration comes from the clock', async () => {
  const world = new FakeWorld();
  const repo = new MemoryRepo(['a']);
  const clock = new FakeClock();
  const { controller } = await controllerFor(['a'], world, clock, repo);
  repo.failure = () => {
    clock.time += 4000;
    return new Error('connection refused');
  };
  repo.revision = 'r2';
  controller.requestFullCheck('interval');
  await controller.idle();
  assert.equal(controller.stack('a')?.lastError, 'repository: connection refused');
  assert.equal(world.passes.filter((p) => p.dryRun).length, 1, 'the full check still ran, on the last good revision');
  assert.equal(controller.desiredState()?.stacks[0]?.name, 'a');
  const families = parseMetrics(await controller.metrics());
  const [failed] = samples(families, 'corral_git_fetch_duration_seconds', { result: 'failed' }, 'corral_git_fetch_duration_seconds_sum');
  assert.equal(failed?.value, 4);

  repo.failure = undefined;
  world.pending.add('a');
  controller.requestFullCheck('interval');
  await controller.idle();
  assert.equal(controller.stack('a')?.lastError, undefined, 'readable again: the error is gone');
});

test('a pass that throws is logged, and the next request for the stack runs again', async () => {
  const world = new FakeWorld();
  const logged: string[] = [];
  const logger = winston.createLogger({
    transports: [new winston.transports.Console({ silent: true })],
    format: winston.format((info) => {
      logged.push(`${info.level}: ${info.message} ${JSON.stringify(info['reasons'])}`);
      return info;
    })(),
  });
  const { controller } = await controllerFor(['a'], world, new FakeClock(), new MemoryRepo(['a']), logger);
  world.duringPass = () => {
    throw new Error('Docker answered 500');
  };
  controller.requestSync('a', 'container died');
  await controller.idle();
  assert.deepEqual(
    logged.filter((line) => line.startsWith('error')),
    ['error: pass failed ["container died"]'],
  );
  world.duringPass = () => {};
  controller.requestSync('a', 'died again');
  await controller.idle();
  assert.equal(world.passesOf('a'), 2);
  const families = parseMetrics(await controller.metrics());
  const [errors] = samples(
    families,
    'corral_reconcile_duration_seconds',
    { pass: 'stack', result: 'error' },
    'corral_reconcile_duration_seconds_count',
  );
  assert.equal(errors?.value, 1);
});

test('stop during a full check waits for it, and the stacks it found pending get no pass', async () => {
  const world = new FakeWorld();
  const { controller } = await controllerFor(['a', 'b'], world);
  world.pending.add('a');
  const held = world.holdDryRun();
  controller.requestFullCheck('interval');
  await until('the dry run in flight', () => world.passes.some((p) => p.dryRun));
  let stopped = false;
  const stopping = controller.stop().then(() => {
    stopped = true;
  });
  await settle();
  assert.equal(stopped, false, 'stop waits for the check in flight');
  held.open();
  await stopping;
  assert.equal(world.passesOf('a'), 0);
});

test('an upgrade step is an event of the stack at once, during its pass, and a log line; the status carries the stack history', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'corral-controller-history-'));
  try {
    const history = new StackHistoryStore(new StateDir(stateDir, true));
    const world = new FakeWorld();
    const logged: string[] = [];
    const logger = winston.createLogger({
      transports: [
        new winston.transports.Stream({ stream: new Writable({ write: (line, _enc, next) => next(void logged.push(String(line))) }) }),
      ],
    });
    const repository = await DesiredStateSource.open({ repo: new MemoryRepo(['a']) });
    const controller = new Controller({
      repository,
      config: { hosts: [], catalogs: [] },
      logger,
      clock: new FakeClock(),
      reconcile: world.reconcile,
      history,
    });
    controller.requestFullCheck('start');
    await controller.idle();
    const held = world.hold('a');
    world.pending.add('a');
    world.duringPass = () =>
      world.lastInput?.onStep?.({ stack: 'a', level: 'info', message: 'upgrade of web: batch 1/2 started: a-web-1 on h1' });
    // What the pass's reconcile writes (reconcile/history.ts); the controller shows what the store holds.
    await history.record('a', {
      time: '2024-05-01T12:00:00.000Z',
      version: '1.0.0',
      result: 'Synced',
      cause: '1 container: 1 replaced (config changed: image)',
      digest: 'd1',
    });
    controller.requestSync('a', 'bump');
    await until('the step shown while the pass runs', () =>
      (controller.stack('a')?.events ?? []).some((e) => e.message === 'upgrade of web: batch 1/2 started: a-web-1 on h1'),
    );
    assert.ok(
      logged.some((line) => line.includes('upgrade of web: batch 1/2 started')),
      logged.join(''),
    );
    held.open();
    await controller.idle();
    assert.deepEqual(
      controller.stack('a')?.history?.map((e) => [e.version, e.result]),
      [['1.0.0', 'Synced']],
    );
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
