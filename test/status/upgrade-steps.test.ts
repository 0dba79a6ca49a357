/** The steps of an upgrade as events: batch started, gate passed or failed, service done, a pull that failed, a rollback. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationResult } from '../../src/apply/index.js';
import { plan } from '../../src/plan/index.js';
import { desiredStackKey } from '../../src/plan/stack-key.js';
import type { Operation } from '../../src/plan/types.js';
import { RollbackSteps, rollbackEnded, rollbackStarted, rollbacksEnded, UpgradeSteps } from '../../src/status/upgrade-steps.js';
import { host, IMAGE, live, placement, stack } from '../plan/fixtures.js';

/** web at scale 3, image web:1 → web:2, batch_size 2: two batches (units 1+2, then 3). */
function upgradePlan() {
  const before = stack('shop', { web: { image: 'web:1', scale: 3 } });
  const after = stack('shop', {
    web: { image: 'web:2', scale: 3, upgrade: { batchSize: 2, intervalMs: 500, startFirst: false, minReadyMs: 1000 } },
  });
  const where: [string, number, string][] = [1, 2, 3].map((n) => ['web', n, n === 3 ? 'h2' : 'h1']);
  const hosts = ['h1', 'h2'].map((name) =>
    host(name, {
      networks: ['corral-shop'],
      images: ['web:1', IMAGE],
      containers: where.filter(([, , h]) => h === name).flatMap(([s, n, h]) => live(after, s, n, h, { from: before })),
    }),
  );
  return plan([after], [placement('shop', where)], { hosts }, { prune: true });
}

const ok = (operation: Operation, durationMs = 1500): OperationResult => ({ operation, status: 'ok', durationMs });

test('a two-batch upgrade: each batch starts with its first operation and passes once all its gates did; then the service is done', () => {
  const p = upgradePlan();
  const steps = new UpgradeSteps(p);
  const said: string[] = [];
  for (const op of p.operations) {
    said.push(...steps.sent(op).map((s) => `${s.level} ${s.message}`));
    said.push(...steps.finished(ok(op)).map((s) => `${s.level} ${s.message}`));
  }
  assert.deepEqual(said, [
    'info upgrade of web: batch 1/2 started: shop-web-1 on h1, shop-web-2 on h1',
    'info upgrade of web: batch 1/2 passed its gate (shop-web-2 ready; the gate and the interval after it took 1.5 s)',
    'info upgrade of web: batch 2/2 started: shop-web-3 on h2',
    'info upgrade of web: batch 2/2 passed its gate (shop-web-3 ready; the gate and the interval after it took 1.5 s)',
    'info upgrade of web done: 2 batches',
  ]);
});

test('a gate that fails is said once, as a warning naming what the container showed; a failed pull says nothing was stopped', () => {
  const p = upgradePlan();
  const steps = new UpgradeSteps(p);
  const [gate] = p.operations.filter((op) => op.kind === 'AwaitReady');
  assert.ok(gate);
  steps.sent(p.operations[0] as Operation);
  const failed = steps.finished({
    operation: gate,
    status: 'failed',
    error: 'shop-web-1 not ready within 60 s: restarting',
    durationMs: 60_000,
  });
  assert.deepEqual(failed, [
    {
      stack: 'shop',
      level: 'warn',
      message:
        'upgrade of web: batch 1/2 gate failed: shop-web-1 not ready within 60 s: restarting; the stack is rolled back to the containers it ran',
    },
  ]);
  const [, second] = p.operations.filter((op) => op.kind === 'AwaitReady');
  assert.deepEqual(steps.finished({ operation: second as Operation, status: 'skipped', error: 'not run', durationMs: 0 }), []);
  const pull = p.operations.find((op) => op.kind === 'PullImage');
  assert.ok(pull);
  assert.deepEqual(
    steps.finished({ operation: pull, status: 'failed', error: 'manifest unknown', durationMs: 10 }).map((s) => s.message),
    ['pull of web:2 on h1 failed, so no container of the stack was stopped: manifest unknown'],
  );
});

test('a plan without batches (a new stack, a self-heal) has no upgrade steps', () => {
  const s = stack('solo', { db: {} });
  const p = plan([s], [placement('solo', [['db', 1, 'h1']])], { hosts: [host('h1')] }, { prune: true });
  const steps = new UpgradeSteps(p);
  assert.ok(p.operations.length > 0);
  assert.deepEqual(
    p.operations.flatMap((op) => [...steps.sent(op), ...steps.finished(ok(op))]),
    [],
  );
});

test('an upgrade resumed after an interruption: the gate of the unit already replaced is "resumed", and only the last real batch says done', () => {
  const before = stack('shop', { web: { image: 'web:1', scale: 2 } });
  const after = stack('shop', { web: { image: 'web:2', scale: 2 } });
  const where: [string, number, string][] = [1, 2].map((n) => ['web', n, 'h1']);
  const containers = [
    ...live(after, 'web', 1, 'h1'),
    ...live(after, 'web', 1, 'h1', { from: before, kept: true, state: 'exited' }),
    ...live(after, 'web', 2, 'h1', { from: before }),
  ];
  const p = plan(
    [after],
    [placement('shop', where)],
    { hosts: [host('h1', { networks: ['corral-shop'], images: ['web:2', IMAGE], containers })] },
    { prune: true },
  );
  const steps = new UpgradeSteps(p);
  const said: string[] = [];
  for (const op of p.operations) {
    said.push(...steps.sent(op).map((s) => s.message));
    said.push(...steps.finished(ok(op)).map((s) => s.message));
  }
  assert.deepEqual(said, [
    'upgrade of web (resumed) passed its gate (shop-web-1 ready; the gate and the interval after it took 1.5 s)',
    'upgrade of web: batch 1/1 started: shop-web-2 on h1',
    'upgrade of web: batch 1/1 passed its gate (shop-web-2 ready; the gate and the interval after it took 1.5 s)',
    'upgrade of web done: 1 batch',
  ]);
});

test('a rollback: begun with the version and the cause; ended with the old containers back, or with what failed', () => {
  const record = {
    key: 'k',
    template: 'hello-web',
    version: '1.1.0',
    revision: 'abc',
    cause: 'AwaitReady shop-web-1 on h1: shop-web-1 not ready within 60 s: exited (3)',
    time: '2026-11-29T23:00:00.000Z',
  };
  assert.deepEqual(rollbackStarted('shop', record), {
    stack: 'shop',
    level: 'warn',
    message: 'upgrade to hello-web 1.1.0 failed (AwaitReady shop-web-1 on h1: shop-web-1 not ready within 60 s: exited (3)): rolling back',
  });
  const p = upgradePlan();
  const [first, second] = p.operations as [Operation, Operation];
  assert.deepEqual(rollbackEnded('shop', [ok(first), ok(second)]), {
    stack: 'shop',
    level: 'info',
    message: 'rolled back: the containers it ran are back (2 operations)',
  });
  assert.equal(
    rollbackEnded('shop', [ok(first), { operation: second, status: 'failed', error: 'no such container', durationMs: 1 }]).message,
    `rollback incomplete: 1 of 2 operations failed (${second.kind} ${second.target} on ${second.host}: no such container); the next pass goes on with it`,
  );
});

test("the end of several stacks' rollbacks: each counts only its own operations, whatever the order of the results", () => {
  const [first, second] = upgradePlan().operations as [Operation, Operation];
  const cart = (op: Operation): Operation => ({ ...op, stack: 'cart' });
  const failed: OperationResult = { operation: cart(second), status: 'failed', error: 'no such container', durationMs: 1 };
  const results = [ok(first), ok(cart(first)), ok(second), failed, ok({ ...first, stack: 'idle' })];
  assert.deepEqual(
    rollbacksEnded(['shop', 'cart', 'gone'], results).map((step) => [step.stack, step.level, step.message]),
    [
      ['shop', 'info', 'rolled back: the containers it ran are back (2 operations)'],
      [
        'cart',
        'warn',
        `rollback incomplete: 1 of 2 operations failed (${second.kind} ${second.target} on ${second.host}: no such container); the next pass goes on with it`,
      ],
      ['gone', 'info', 'rolled back: the containers it ran are back (0 operations)'],
    ],
  );
});

/** shop's web upgraded web:1 → web:2 failed at shop-web-1's gate: shop-web-1 (new, restarting) and shop-web-1-prev (kept); shop-web-2 still the old one. */
function rollbackPlan() {
  const before = stack('shop', { web: { image: 'web:1', scale: 2 } });
  const after = stack('shop', { web: { image: 'web:2', scale: 2 } });
  const containers = [
    ...live(after, 'web', 1, 'h1', { state: 'restarting' }),
    ...live(after, 'web', 1, 'h1', { from: before, kept: true, state: 'exited' }),
    ...live(after, 'web', 2, 'h1', { from: before }),
  ];
  const record = {
    key: desiredStackKey(after),
    template: 'demo',
    version: '2',
    cause: 'AwaitReady shop-web-1 on h1: not ready',
    time: 't',
  };
  const where: [string, number, string][] = [1, 2].map((n) => ['web', n, 'h1']);
  const observed = host('h1', { networks: ['corral-shop'], images: ['web:1', 'web:2', IMAGE], containers });
  const p = plan([after], [placement('shop', where)], { hosts: [observed] }, { prune: true, rolledBack: new Map([['shop', record]]) });
  return { p, kept: containers[1]?.id ?? '' };
}

test("a rollback's own operations are steps: each unit's rollback started (what it will do) and done (what it did, the container back)", () => {
  const { p, kept } = rollbackPlan();
  assert.deepEqual(
    p.operations.map((op) => `${op.kind} ${op.target}`),
    ['StopContainer shop-web-1', 'RemoveContainer shop-web-1', 'RenameContainer shop-web-1-prev', 'StartContainer shop-web-1'],
  );
  const steps = new RollbackSteps(p);
  const said: string[] = [];
  for (const op of p.operations) {
    said.push(...steps.sent(op).map((s) => `${s.stack} ${s.level} ${s.message}`));
    said.push(...steps.finished(ok(op)).map((s) => `${s.stack} ${s.level} ${s.message}`));
  }
  assert.deepEqual(said, [
    'shop info rollback of shop-web-1 on h1 started: stop shop-web-1, remove shop-web-1, rename shop-web-1-prev to shop-web-1, start shop-web-1',
    `shop info rollback of shop-web-1 on h1 done: stopped shop-web-1, removed shop-web-1, renamed shop-web-1-prev to shop-web-1, started shop-web-1 (container ${kept.slice(0, 12)})`,
  ]);
  // The upgrade's steps know nothing of these operations.
  const upgrade = new UpgradeSteps(p);
  assert.deepEqual(
    p.operations.flatMap((op) => [...upgrade.sent(op), ...upgrade.finished(ok(op))]),
    [],
  );
});

test("a rollback step that fails is said once, as a warning naming the operation and Docker's message; nothing is said done", () => {
  const { p } = rollbackPlan();
  const steps = new RollbackSteps(p);
  const [stop, remove, rename, start] = p.operations as [Operation, Operation, Operation, Operation];
  assert.equal(steps.sent(stop).length, 1);
  assert.deepEqual(steps.sent(remove), []);
  assert.deepEqual(steps.finished(ok(stop)), []);
  assert.deepEqual(steps.finished(ok(remove)), []);
  assert.deepEqual(steps.finished({ operation: rename, status: 'failed', error: 'name in use', durationMs: 5 }), [
    { stack: 'shop', level: 'warn', message: 'rollback of shop-web-1 on h1: RenameContainer shop-web-1-prev failed: name in use' },
  ]);
  assert.deepEqual(steps.finished({ operation: start, status: 'skipped', error: 'a dependency failed', durationMs: 0 }), []);
  const fenced = new RollbackSteps(p);
  assert.deepEqual(
    fenced.finished({ operation: stop, status: 'skipped', error: 'no longer the leader', durationMs: 0 }).map((s) => s.message),
    ['rollback of shop-web-1 on h1: StopContainer shop-web-1 not run: no longer the leader'],
  );
});
