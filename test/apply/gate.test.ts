/** An upgrade gate in apply: waits for readiness within the gate's time, then its interval; a failed gate skips what follows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { type AwaitReadyOperation, awaitReady, type GateReading } from '../../src/apply/gate.js';
import { apply } from '../../src/apply/index.js';
import { RequestTimeoutError } from '../../src/observe/request-timeout.js';
import type { Operation } from '../../src/plan/types.js';

function gate(timeoutMs: number, thenWaitMs: number): AwaitReadyOperation {
  return {
    id: '#2',
    kind: 'AwaitReady',
    host: 'h1',
    target: 'web-app-1',
    stack: 'web',
    dependsOn: [],
    cause: 'batch 1/2',
    gate: { service: 'app', batch: 1, batches: 2, minReadyMs: 5000, timeoutMs, thenWaitMs },
  };
}

/** A clock that sleeps by moving forward. */
function fakeTime() {
  const clock = { now: 0, slept: [] as number[] };
  return {
    clock,
    now: () => clock.now,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
  };
}

test('a gate asks until the container is ready, then waits its interval', async () => {
  const time = fakeTime();
  const readings: GateReading[] = [
    { ready: false, detail: 'running 1 s of min_ready 5 s' },
    { ready: false, detail: 'running 3 s of min_ready 5 s' },
    { ready: true, detail: 'running 5 s without a restart' },
  ];
  await awaitReady(gate(60_000, 2000), async () => readings.shift() as GateReading, time.now, time.sleep);
  assert.equal(readings.length, 0);
  assert.deepEqual(time.clock.slept, [250, 250, 2000]);
});

test('a container not ready within the gate time fails the gate with what it last showed', async () => {
  const time = fakeTime();
  await assert.rejects(
    awaitReady(gate(1000, 2000), async () => ({ ready: false, detail: 'unhealthy: HTTP 500' }), time.now, time.sleep),
    { message: 'web-app-1 not ready within 1 s: unhealthy: HTTP 500' },
  );
  assert.ok(!time.clock.slept.includes(2000), 'no interval after a failed gate');
});

/** What the Docker client gives when dockerd has not answered a request within its timeout. */
function timedOut(): Error {
  return new RequestTimeoutError(5000);
}

test('a read that fails is no verdict: the gate asks again and passes once the container is ready', async () => {
  const time = fakeTime();
  const readings: Array<GateReading | Error> = [
    { ready: false, detail: 'running 1 s of min_ready 5 s' },
    timedOut(),
    { ready: true, detail: 'running 5 s without a restart' },
  ];
  const readiness = async () => {
    const next = readings.shift();
    if (next instanceof Error) throw next;
    return next as GateReading;
  };
  await awaitReady(gate(60_000, 2000), readiness, time.now, time.sleep);
  assert.equal(readings.length, 0);
  assert.deepEqual(time.clock.slept, [250, 250, 2000]);
});

test('reads that keep failing fail the gate at its time, naming the host and the error', async () => {
  const time = fakeTime();
  let reads = 0;
  const readiness = async (): Promise<GateReading> => {
    reads++;
    throw timedOut();
  };
  await assert.rejects(awaitReady(gate(1000, 2000), readiness, time.now, time.sleep), {
    message: 'web-app-1 not ready within 1 s: could not read it from h1: ETIMEDOUT: request timed out: no answer within 5 s',
  });
  assert.equal(reads, 5, 'asked at 0, 250, 500, 750 and 1000 ms');
  assert.ok(!time.clock.slept.includes(2000), 'no interval after a failed gate');
});

test('in apply, the operations after a failed gate are not run, and a gate takes no Docker slot of its host', async () => {
  const started: string[] = [];
  const client = {
    getContainer: (name: string) => ({
      start: async () => {
        started.push(name);
      },
    }),
  } as unknown as Docker;
  const startOf = (id: string, target: string, dependsOn: string[]): Operation => ({
    id,
    kind: 'StartContainer',
    host: 'h1',
    target,
    stack: 'web',
    dependsOn,
    cause: 'test',
  });
  const failing = { ...gate(0, 0), id: '#2', dependsOn: ['#1'] };
  const results = await apply(
    { stacks: [], operations: [startOf('#1', 'web-app-1', []), failing, startOf('#3', 'web-app-2', ['#2']), startOf('#4', 'other', [])] },
    { clients: new Map([['h1', client]]), perHost: 1, readiness: async () => ({ ready: false, detail: 'exited (exit code 1)' }) },
  );
  assert.deepEqual(
    results.map((r) => [r.operation.id, r.status, r.error ?? '']),
    [
      ['#1', 'ok', ''],
      ['#2', 'failed', 'web-app-1 not ready within 0 s: exited (exit code 1)'],
      ['#3', 'skipped', 'not run: #2 did not succeed'],
      ['#4', 'ok', ''],
    ],
  );
  assert.deepEqual(started.sort(), ['other', 'web-app-1']);
});
