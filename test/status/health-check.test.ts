/** The rancher-compose health_check state machine, driven by probe outcomes and an injected clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HealthCheckSpec, ProbeOutcome, ProbeState } from '../../src/model/health.js';
import { checkTimeouts, interpretProbe, recordProbe, restartProbe, startProbe } from '../../src/status/health-check.js';
import { HEALTHZ, healthCheckSpec } from '../fixtures/health.js';

const spec = healthCheckSpec({ http: HEALTHZ, reinitializingTimeoutMs: 30_000 });

const pass: ProbeOutcome = { kind: 'pass', detail: 'HTTP/1.0 200 OK' };
const fail: ProbeOutcome = { kind: 'fail', detail: 'HTTP/1.0 500 Internal Server Error' };
const unknown: ProbeOutcome = { kind: 'unknown', detail: 'probe agent on h1: connection refused' };

/** Feeds outcomes one interval apart, starting at `fromMs`; returns the state and the clock. */
function run(state: ProbeState, outcomes: ProbeOutcome[], fromMs: number): { state: ProbeState; nowMs: number } {
  let nowMs = fromMs;
  let current = state;
  for (const outcome of outcomes) {
    current = recordProbe(current, spec, outcome, nowMs);
    nowMs += spec.intervalMs;
  }
  return { state: current, nowMs };
}

test('a new container is initializing, and healthy after healthy_threshold passes in a row', () => {
  const start = startProbe(1000);
  assert.equal(start.status, 'initializing');
  const once = recordProbe(start, spec, pass, 3000);
  assert.equal(once.status, 'initializing');
  const twice = recordProbe(once, spec, pass, 5000);
  assert.deepEqual([twice.status, twice.sinceMs, twice.wasHealthy, twice.lastResult], ['healthy', 5000, true, 'HTTP/1.0 200 OK']);
});

test('failures while initializing count for nothing until initializing_timeout; then it is unhealthy, naming the last result', () => {
  const { state } = run(startProbe(0), [fail, fail, fail, fail, fail], 2000);
  assert.equal(state.status, 'initializing');
  assert.equal(state.consecutiveFailures, 5);
  const late = recordProbe(state, spec, fail, 60_000);
  assert.equal(late.status, 'unhealthy');
  assert.equal(late.lastResult, 'not healthy within initializing_timeout (60000 ms); last probe: HTTP/1.0 500 Internal Server Error');
  assert.equal(checkTimeouts(state, spec, 59_999).status, 'initializing');
  assert.equal(checkTimeouts(state, spec, 60_000).status, 'unhealthy');
});

test('a healthy container turns unhealthy after unhealthy_threshold failures in a row; a pass in between resets the count', () => {
  const healthy = run(startProbe(0), [pass, pass], 2000);
  const flaky = run(healthy.state, [fail, fail, pass, fail, fail], healthy.nowMs);
  assert.equal(flaky.state.status, 'healthy');
  const broken = run(flaky.state, [fail], flaky.nowMs);
  assert.deepEqual([broken.state.status, broken.state.lastResult], ['unhealthy', 'HTTP/1.0 500 Internal Server Error']);
  assert.equal(broken.state.sinceMs, flaky.nowMs);
});

test('an unhealthy container (strategy none) is healthy again after healthy_threshold passes', () => {
  const unhealthy = run(startProbe(0), [pass, pass, fail, fail, fail], 2000);
  assert.equal(unhealthy.state.status, 'unhealthy');
  assert.equal(run(unhealthy.state, [pass], unhealthy.nowMs).state.status, 'unhealthy');
  assert.equal(run(unhealthy.state, [pass, pass], unhealthy.nowMs).state.status, 'healthy');
});

test('a probe that cannot be run makes the health unknown: counts stay, no timeout fires, the next answer clears it', () => {
  const started = run(startProbe(0), [fail], 2000);
  const lost = recordProbe(started.state, spec, unknown, 50_000);
  assert.equal(lost.unknown, 'probe agent on h1: connection refused');
  assert.equal(lost.consecutiveFailures, 1);
  assert.equal(checkTimeouts(lost, spec, 120_000).status, 'initializing', 'never unhealthy for a probe that could not run');
  const back = recordProbe(lost, spec, pass, 121_000);
  assert.equal(back.unknown, undefined);
  assert.equal(back.consecutiveSuccesses, 1);
  const healthy = run(startProbe(0), [pass, pass, unknown, unknown, unknown, unknown], 2000);
  assert.equal(healthy.state.status, 'healthy', 'unknown results never count as failures');
});

test('a restart of a container that was healthy reinitializes, with reinitializing_timeout from the restart', () => {
  const healthy = run(startProbe(0), [pass, pass], 2000);
  const restarted = restartProbe(healthy.state, 100_000);
  assert.deepEqual([restarted.status, restarted.firstSeenMs, restarted.consecutiveSuccesses], ['reinitializing', 100_000, 0]);
  assert.equal(checkTimeouts(restarted, spec, 129_999).status, 'reinitializing');
  const timedOut = checkTimeouts(restarted, spec, 130_000);
  assert.equal(timedOut.status, 'unhealthy');
  assert.match(timedOut.lastResult ?? '', /^not healthy within reinitializing_timeout \(30000 ms\); no probe answered/);
  assert.equal(restartProbe(startProbe(0), 5000).status, 'initializing', 'never healthy before: initializing again');
});

test('HTTP answers: 2xx and 3xx pass, anything else fails with the status line; no answer fails with the timeout', () => {
  const answer = (output: string, exitCode = 0, timedOut = false) => interpretProbe({ kind: 'answer', exitCode, timedOut, output }, spec);
  assert.deepEqual(answer('HTTP/1.0 200 OK\r'), { kind: 'pass', detail: 'HTTP/1.0 200 OK' });
  assert.deepEqual(answer('HTTP/1.1 302 Found'), { kind: 'pass', detail: 'HTTP/1.1 302 Found' });
  assert.deepEqual(answer('HTTP/1.1 500 Boom'), { kind: 'fail', detail: 'HTTP/1.1 500 Boom' });
  assert.deepEqual(answer('HTTP/1.0 404 Not Found'), { kind: 'fail', detail: 'HTTP/1.0 404 Not Found' });
  assert.deepEqual(answer("nc: can't connect to remote host (172.20.0.2): Connection refused", 0), {
    kind: 'fail',
    detail: 'port 80: connection refused',
  });
  assert.deepEqual(answer('', 143, true), { kind: 'fail', detail: 'no answer on port 80 within 2000 ms' });
  assert.deepEqual(answer('SSH-2.0-OpenSSH'), { kind: 'fail', detail: 'SSH-2.0-OpenSSH' });
  assert.deepEqual(answer(''), { kind: 'fail', detail: 'port 80 closed without an HTTP answer' });
});

test('TCP answers: a connection passes, a refusal or a timeout fails; a gone container or a lost agent is unknown', () => {
  const tcp = { ...spec, http: undefined, port: 6379 } as HealthCheckSpec;
  const answer = (output: string, exitCode: number, timedOut = false) =>
    interpretProbe({ kind: 'answer', exitCode, timedOut, output }, tcp);
  assert.deepEqual(answer('', 0), { kind: 'pass', detail: 'port 6379 accepts connections' });
  assert.deepEqual(answer("nc: can't connect to remote host (10.0.0.5): No route to host", 1), {
    kind: 'fail',
    detail: 'port 6379: no route to host',
  });
  assert.deepEqual(answer('', 143, true), { kind: 'fail', detail: 'no answer on port 6379 within 2000 ms' });
  assert.deepEqual(interpretProbe({ kind: 'gone' }, tcp), { kind: 'unknown', detail: 'the container is not running' });
  assert.deepEqual(interpretProbe({ kind: 'unreachable', detail: 'probe agent on h2: EHOSTUNREACH' }, tcp), {
    kind: 'unknown',
    detail: 'probe agent on h2: EHOSTUNREACH',
  });
  const noisy = answer(`nc: bad address '\u001b[31mx'\nmore`, 1);
  assert.equal(noisy.detail.includes('\u001b'), false, 'control characters never reach causes and logs');
});
