/** The steps of an upgrade as events: batch started, gate passed or failed, service done, a pull that failed, a rollback. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationResult } from '../../src/apply/index.js';
import { plan } from '../../src/plan/index.js';
import type { Operation } from '../../src/plan/types.js';
import { rollbackEnded, rollbackStarted, UpgradeSteps } from '../../src/status/upgrade-steps.js';
import { host, IMAGE, live, placement, stack } from '../plan/fixtures.js';

/** web at scale 3, image web:1 → web:2, batch_size 2: two batches (units 1+2, then 3). */
function upgradePlan() {
  const before = stack('shop', { web: { image: 'web:1', scale: 3 } });
  const after = stack('shop', { web: { image: 'web:2', scale: 3 } });
  Object.assign(after.services['web'] as object, { upgrade: { batchSize: 2, intervalMs: 500, startFirst: false, minReadyMs: 1000 } });
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
  const other = { ...first, stack: 'other' };
  assert.deepEqual(rollbackEnded('shop', [ok(first), ok(second), ok(other)]), {
    stack: 'shop',
    level: 'info',
    message: 'rolled back: the containers it ran are back (2 operations)',
  });
  assert.equal(
    rollbackEnded('shop', [ok(first), { operation: second, status: 'failed', error: 'no such container', durationMs: 1 }]).message,
    `rollback incomplete: 1 of 2 operations failed (${second.kind} ${second.target} on ${second.host}: no such container); the next pass goes on with it`,
  );
});
