/** health_check strategies in the plan: the health comes in as observed data; the plan decides, with the cause. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { HealthStrategy, ProbeState } from '../../src/model/health.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import { HEALTHZ, healthCheckSpec } from '../fixtures/health.js';
import { host, live, placement, stack } from './fixtures.js';

function webWith(strategy: HealthStrategy, quorum?: number): DesiredStack {
  const check = healthCheckSpec({ http: HEALTHZ, strategy, ...(quorum ? { quorum } : {}) });
  return stack('web', { app: { scale: 3, healthCheck: check } });
}

const probe = (status: ProbeState['status'], lastResult: string): ProbeState => ({
  status,
  firstSeenMs: 0,
  sinceMs: 0,
  wasHealthy: true,
  consecutiveSuccesses: 0,
  consecutiveFailures: 3,
  lastResult,
});

/** Three instances on h1; the given instances' probes say unhealthy, the others healthy. */
function planFor(desired: DesiredStack, unhealthy: number[], extra: (c: ObservedContainer) => ObservedContainer = (c) => c): string {
  const containers = [1, 2, 3].flatMap((n) =>
    live(desired, 'app', n, 'h1').map((c) =>
      extra({
        ...c,
        probe: unhealthy.includes(n) ? probe('unhealthy', 'HTTP/1.0 500 Internal Server Error') : probe('healthy', 'HTTP/1.0 200 OK'),
      }),
    ),
  );
  return formatPlan(
    plan(
      [desired],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h1'],
          ['app', 3, 'h1'],
        ]),
      ],
      { hosts: [host('h1', { networks: ['corral-web'], containers })] },
      { prune: true },
    ),
  );
}

test('recreate: an unhealthy container is replaced, with the probe result as the cause', () => {
  assert.equal(
    planFor(webWith('recreate'), [2]),
    `stack web
  #1 h1 StopContainer web-app-2: unhealthy: HTTP/1.0 500 Internal Server Error
  #2 h1 RemoveContainer web-app-2 after #1: unhealthy: HTTP/1.0 500 Internal Server Error
  #3 h1 CreateContainer web-app-2 after #2: unhealthy: HTTP/1.0 500 Internal Server Error
  #4 h1 StartContainer web-app-2 after #3: replaced, start
`,
  );
});

test('none: an unhealthy container is only reported', () => {
  assert.equal(
    planFor(webWith('none'), [2]),
    `stack web
  info: web-app-2 is unhealthy (HTTP/1.0 500 Internal Server Error); health_check strategy none: left as is
`,
  );
});

test('recreateOnQuorum: replaced while at least quorum instances are healthy, left alone below it', () => {
  assert.match(planFor(webWith('recreateOnQuorum', 2), [3]), /StopContainer web-app-3: unhealthy: HTTP\/1.0 500/);
  assert.equal(
    planFor(webWith('recreateOnQuorum', 2), [2, 3]),
    `stack web
  info: web-app-2 is unhealthy (HTTP/1.0 500 Internal Server Error); not recreated: 1 healthy, quorum 2 (recreateOnQuorum)
  info: web-app-3 is unhealthy (HTTP/1.0 500 Internal Server Error); not recreated: 1 healthy, quorum 2 (recreateOnQuorum)
`,
  );
});

test('a container still initializing, or whose probe cannot be run, is never replaced', () => {
  const initializing = (c: ObservedContainer) =>
    c.name === 'web-app-1' ? { ...c, probe: { ...probe('initializing', 'port 80: connection refused'), wasHealthy: false } } : c;
  assert.equal(planFor(webWith('recreate'), [], initializing), 'stack web: no changes\n');
  const unknown = (c: ObservedContainer) =>
    c.name === 'web-app-1' ? { ...c, probe: { ...probe('unhealthy', 'HTTP/1.0 500'), unknown: 'probe agent on h1: gone' } } : c;
  assert.equal(planFor(webWith('recreate'), [], unknown), 'stack web: no changes\n');
});

test("Docker's HEALTHCHECK alone is reported, not acted on; with a health_check strategy it counts", () => {
  const plain = stack('web', { app: { scale: 3 } });
  const dockerUnhealthy = (c: ObservedContainer) => (c.name === 'web-app-1' ? { ...c, health: 'unhealthy' as const } : c);
  assert.equal(planFor(plain, [], dockerUnhealthy), 'stack web: no changes\n');
  assert.match(planFor(webWith('recreate'), [], dockerUnhealthy), /StopContainer web-app-1: unhealthy: Docker HEALTHCHECK fails/);
});

test('an unhealthy container whose latest probe passed is recovering: not recreated', () => {
  const recovering = (c: ObservedContainer) =>
    c.name === 'web-app-2' && c.probe ? { ...c, probe: { ...c.probe, consecutiveSuccesses: 1, consecutiveFailures: 0 } } : c;
  assert.equal(
    planFor(webWith('recreate'), [2], recovering),
    `stack web
  info: web-app-2 is unhealthy (HTTP/1.0 500 Internal Server Error) but its latest probe passed: not recreated while it recovers
`,
  );
});
