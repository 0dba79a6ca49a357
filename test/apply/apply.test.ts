/**
 * The executor's own logic — dependency order, per-host bound, failure isolation — with a
 * recording stand-in for dockerode. What each Docker call does is tested on the fleet (test/e2e).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { apply } from '../../src/apply/index.js';
import type { Operation, Plan } from '../../src/plan/types.js';

function start(id: string, host: string, target: string, dependsOn: string[] = []): Operation {
  return { id, kind: 'StartContainer', host, target, stack: 's', dependsOn, cause: 'test' };
}

/** Starts take `delayMs`; starting a container named in `failing` fails like Docker does. */
function recordingClient(log: string[], active: { now: number; max: number }, failing: string[] = [], delayMs = 5): Docker {
  return {
    getContainer: (name: string) => ({
      start: async () => {
        active.now++;
        active.max = Math.max(active.max, active.now);
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        active.now--;
        if (failing.includes(name)) throw Object.assign(new Error('boom'), { statusCode: 500, json: { message: `cannot start ${name}` } });
      },
    }),
  } as unknown as Docker;
}

test('dependencies run first; a failure skips only what depends on it; the rest goes on', async () => {
  const log: string[] = [];
  const active = { now: 0, max: 0 };
  const plan: Plan = {
    stacks: [],
    operations: [
      start('#1', 'h1', 'a'),
      start('#2', 'h1', 'b', ['#1']),
      start('#3', 'h1', 'c', ['#2']),
      start('#4', 'h2', 'd'),
      start('#5', 'h2', 'e', ['#4']),
    ],
  };
  const clients = new Map([
    ['h1', recordingClient(log, active, ['a'])],
    ['h2', recordingClient(log, active)],
  ]);
  const results = await apply(plan, { clients });
  assert.deepEqual(
    results.map((r) => [r.operation.id, r.status, r.error]),
    [
      ['#1', 'failed', 'cannot start a'],
      ['#2', 'skipped', 'not run: #1 did not succeed'],
      ['#3', 'skipped', 'not run: #2 did not succeed'],
      ['#4', 'ok', undefined],
      ['#5', 'ok', undefined],
    ],
  );
  assert.ok(log.indexOf('start d') < log.indexOf('start e'));
  assert.ok(!log.includes('start b'));
});

test('at most perHost operations run at once on a host; hosts run in parallel', async () => {
  const log: string[] = [];
  const active = { now: 0, max: 0 };
  const operations = Array.from({ length: 12 }, (_, i) => start(`#${i + 1}`, i % 2 === 0 ? 'h1' : 'h2', `c${i}`));
  const clients = new Map([
    ['h1', recordingClient(log, active)],
    ['h2', recordingClient(log, active)],
  ]);
  const results = await apply({ stacks: [], operations }, { clients, perHost: 3 });
  assert.equal(results.filter((r) => r.status === 'ok').length, 12);
  assert.equal(active.max, 6);
});

test('an operation for a host without a client fails with the host named', async () => {
  const [result] = await apply({ stacks: [], operations: [start('#1', 'h9', 'x')] }, { clients: new Map() });
  assert.deepEqual([result?.status, result?.error], ['failed', 'no Docker client for host h9']);
});

test('the fence is asked before each operation: once it refuses, nothing more is sent and the reason is recorded', async () => {
  const log: string[] = [];
  const active = { now: 0, max: 0 };
  const operations = [
    start('#1', 'h1', 'a'),
    start('#2', 'h1', 'b', ['#1']),
    start('#3', 'h1', 'c', ['#2']),
    start('#4', 'h1', 'd', ['#2']),
  ];
  let asked = 0;
  const fence = () => {
    asked += 1;
    return asked > 2 ? 'not sent: the lease could expire' : undefined;
  };
  const results = await apply({ stacks: [], operations }, { clients: new Map([['h1', recordingClient(log, active)]]), fence });
  assert.deepEqual(log, ['start a', 'start b']);
  assert.deepEqual(
    results.map((r) => [r.operation.id, r.status, r.error]),
    [
      ['#1', 'ok', undefined],
      ['#2', 'ok', undefined],
      ['#3', 'skipped', 'not sent: the lease could expire'],
      ['#4', 'skipped', 'not sent: the lease could expire'],
    ],
  );
});
