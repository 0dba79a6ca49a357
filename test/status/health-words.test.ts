/** Health words for containers, services and stacks, from every source: probe, Docker HEALTHCHECK, running alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService } from '../../src/model/desired.js';
import type { HealthCheckSpec, ProbeState } from '../../src/model/health.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import { checkedHealth, containerHealth, RESTART_SETTLE_MS } from '../../src/status/container-health.js';
import { healthChanges, stackStatus } from '../../src/status/stack-status.js';
import { type HealthCounts, HealthStatus, serviceHealth, worstHealth } from '../../src/status/words.js';
import { desiredStack } from '../fixtures/desired.js';
import { healthCheckSpec } from '../fixtures/health.js';

const NOW = Date.parse('2030-01-01T00:10:00Z');
const check = healthCheckSpec();

function service(name: string, scale: number, healthCheck?: HealthCheckSpec): DesiredService {
  return {
    name,
    compose: { labels: {}, environment: {} },
    rancher: {},
    scale,
    global: false,
    sidekicks: [],
    ...(healthCheck ? { healthCheck } : {}),
  };
}

function probe(status: ProbeState['status'], lastResult: string, unknown?: string): ProbeState {
  return {
    status,
    firstSeenMs: NOW - 30_000,
    sinceMs: NOW - 10_000,
    wasHealthy: status === 'healthy',
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    lastResult,
    ...(unknown ? { unknown } : {}),
  };
}

function container(serviceName: string, instance: number, parts: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${serviceName}${instance}`,
    name: `shop-${serviceName}-${instance}`,
    host: 'h1',
    image: 'img',
    labels: {},
    state: 'running',
    ports: [],
    owner: { stack: 'shop', service: serviceName, unit: serviceName, instance, configHash: 'x' },
    ...parts,
  };
}

function statusOf(services: DesiredService[], containers: ObservedContainer[]) {
  return stackStatus({
    name: 'shop',
    desired: desiredStack('shop', services),
    plan: { operations: [], stacks: [] },
    nowMs: NOW,
    observed: {
      hosts: [{ name: 'h1', address: '10.0.0.1', reachable: true, labels: {}, containers, images: [], networks: [], volumes: [] }],
    },
  });
}

const counts = (parts: Partial<HealthCounts>): HealthCounts => ({
  desired: 3,
  running: 3,
  healthy: 0,
  unhealthy: 0,
  starting: 0,
  unknown: 0,
  ...parts,
});

test('service words from counts', () => {
  assert.equal(serviceHealth(counts({ healthy: 3 })), HealthStatus.Healthy);
  assert.equal(serviceHealth(counts({ healthy: 3, running: 4, starting: 1 })), HealthStatus.Healthy, 'an extra container coming up');
  assert.equal(serviceHealth(counts({ healthy: 2, starting: 1 })), HealthStatus.Initializing);
  assert.equal(serviceHealth(counts({ starting: 3 })), HealthStatus.Initializing);
  assert.equal(serviceHealth(counts({ healthy: 2, unhealthy: 1 })), HealthStatus.Degraded);
  assert.equal(serviceHealth(counts({ healthy: 2, running: 2 })), HealthStatus.Degraded, 'one missing');
  assert.equal(serviceHealth(counts({ unhealthy: 3 })), HealthStatus.Unhealthy);
  assert.equal(serviceHealth(counts({ unhealthy: 1, starting: 2 })), HealthStatus.Unhealthy);
  assert.equal(serviceHealth(counts({ running: 0 })), HealthStatus.Unhealthy, 'nothing runs');
  assert.equal(serviceHealth(counts({ healthy: 2, unknown: 1 })), HealthStatus.Unknown);
  assert.equal(serviceHealth(counts({ unknown: 3 })), HealthStatus.Unknown, 'checks that cannot run are never Unhealthy');
  assert.equal(serviceHealth(counts({ desired: 0, running: 0 })), HealthStatus.Healthy);
  assert.equal(worstHealth([HealthStatus.Healthy, HealthStatus.Initializing, HealthStatus.Unknown]), HealthStatus.Unknown);
  assert.equal(worstHealth([HealthStatus.Degraded, HealthStatus.Unhealthy]), HealthStatus.Unhealthy);
  assert.equal(worstHealth([]), HealthStatus.Healthy);
});

test('a container with a health_check is judged by its probe; unprobed it is unknown, never healthy', () => {
  const web = service('web', 1, check);
  assert.equal(containerHealth(container('web', 1), web, NOW)?.word, 'unknown');
  assert.match(containerHealth(container('web', 1), web, NOW)?.detail ?? '', /not probed yet/);
  const failing = container('web', 1, { probe: probe('unhealthy', 'HTTP/1.0 500 Internal Server Error') });
  assert.deepEqual(checkedHealth(failing, web), {
    word: 'unhealthy',
    detail: 'HTTP/1.0 500 Internal Server Error',
    source: 'health_check',
  });
  assert.equal(
    containerHealth(container('web', 1, { probe: probe('initializing', 'port 80: connection refused') }), web, NOW)?.word,
    'starting',
  );
  assert.equal(containerHealth(container('web', 1, { probe: probe('reinitializing', 'x') }), web, NOW)?.word, 'starting');
  assert.equal(
    containerHealth(container('web', 1, { probe: probe('healthy', 'x', 'probe agent on h1: gone') }), web, NOW)?.word,
    'unknown',
  );
  assert.equal(containerHealth(container('web', 1, { state: 'exited' }), web, NOW), undefined, 'a stopped container has no health');
});

test("Docker's HEALTHCHECK counts too, and the worse of the two sources wins", () => {
  const plain = service('db', 1);
  const docker = (health: ObservedContainer['health'], extra: Partial<ObservedContainer> = {}) =>
    containerHealth(container('db', 1, { health: health as ObservedContainer['health'], ...extra }), plain, NOW);
  assert.deepEqual([docker('healthy')?.word, docker('healthy')?.source], ['healthy', 'docker']);
  assert.equal(docker('starting')?.word, 'starting');
  assert.equal(
    docker('unhealthy', { runtime: { startedAt: '2030-01-01T00:00:00Z', restartCount: 0, dockerHealthOutput: 'pg_isready: no response' } })
      ?.detail,
    'Docker HEALTHCHECK fails: pg_isready: no response',
  );
  const both = container('db', 1, { health: 'unhealthy', probe: probe('healthy', 'port 80 accepts connections') });
  assert.equal(checkedHealth(both, service('db', 1, check))?.word, 'unhealthy');
});

test('without any check: healthy while running and not restarting; restarting or restarted by Docker within 10 s is unhealthy', () => {
  const plain = service('worker', 1);
  const startedAgo = (ms: number, restartCount: number) => ({ runtime: { startedAt: new Date(NOW - ms).toISOString(), restartCount } });
  const fresh = containerHealth(container('worker', 1, startedAgo(1000, 0)), plain, NOW);
  assert.deepEqual([fresh?.word, fresh?.source, fresh?.runningForMs, fresh?.restartCount], ['healthy', 'running', 1000, 0]);
  const crashed = containerHealth(container('worker', 1, startedAgo(3000, 4)), plain, NOW);
  assert.deepEqual([crashed?.word, crashed?.detail], ['unhealthy', 'restarted by Docker (4 restarts), up 3 s']);
  assert.equal(containerHealth(container('worker', 1, startedAgo(RESTART_SETTLE_MS, 4)), plain, NOW)?.word, 'healthy');
  assert.equal(containerHealth(container('worker', 1, { state: 'restarting' }), plain, NOW)?.word, 'unhealthy');
  assert.equal(containerHealth(container('worker', 1), plain, NOW)?.word, 'healthy', 'not inspected: running is all there is');
});

test('a stack whose health checks fail is never Healthy: Unhealthy with the probe result in the message', () => {
  const web = service('web', 2, check);
  const status = statusOf(
    [web],
    [
      container('web', 1, { probe: probe('unhealthy', 'HTTP/1.0 500 Internal Server Error') }),
      container('web', 2, { probe: probe('unhealthy', 'HTTP/1.0 500 Internal Server Error') }),
    ],
  );
  assert.equal(status.sync, 'Synced');
  assert.equal(status.health, 'Unhealthy');
  assert.equal(status.message, 'web: Unhealthy, 0 of 2 healthy (2 unhealthy); shop-web-1: HTTP/1.0 500 Internal Server Error');
  const [web1] = status.services[0]?.containers ?? [];
  assert.deepEqual([web1?.health, web1?.detail], ['unhealthy', 'HTTP/1.0 500 Internal Server Error']);
  assert.equal(status.services[0]?.checkedBy, 'health_check');
});

test('per-service counts and words; the stack takes the worst service', () => {
  const status = statusOf(
    [service('web', 2, check), service('db', 1), service('cache', 1, check)],
    [
      container('web', 1, { probe: probe('healthy', 'HTTP/1.0 200 OK') }),
      container('web', 2, { probe: probe('unhealthy', 'port 80: connection refused') }),
      container('db', 1, { health: 'starting' }),
      container('cache', 1, { probe: probe('healthy', 'ok') }),
    ],
  );
  assert.deepEqual(
    status.services.map((s) => `${s.name} ${s.health} d${s.desired} r${s.running} h${s.healthy} u${s.unhealthy} s${s.starting}`),
    ['cache Healthy d1 r1 h1 u0 s0', 'db Initializing d1 r1 h0 u0 s1', 'web Degraded d2 r2 h1 u1 s0'],
  );
  assert.equal(status.health, 'Degraded');
  assert.match(status.message, /^db: Initializing, 0 of 1 healthy \(1 starting\); shop-db-1: Docker HEALTHCHECK starting; web: Degraded/);
});

test('no checks at all: Healthy when every desired container runs; a missing one makes it Degraded', () => {
  const worker = service('worker', 2);
  assert.equal(statusOf([worker], [container('worker', 1), container('worker', 2)]).health, 'Healthy');
  const inspected = statusOf([worker], [container('worker', 1, { runtime: { startedAt: '2030-01-01T00:00:00Z', restartCount: 2 } })]);
  assert.deepEqual(inspected.services[0]?.containers[0], {
    name: 'shop-worker-1',
    host: 'h1',
    state: 'running',
    health: 'healthy',
    detail: 'running',
    startedAt: '2030-01-01T00:00:00Z',
    restartCount: 2,
  });
  const short = statusOf([worker], [container('worker', 1), container('worker', 2, { state: 'exited', exitCode: 1 })]);
  assert.equal(short.health, 'Degraded');
  assert.equal(short.message, 'worker: Degraded, 1 of 2 healthy; 1 not running');
});

test('health changes give one log line per stack and service that changed, none the first time', () => {
  const web = service('web', 1, check);
  const healthy = statusOf([web], [container('web', 1, { probe: probe('healthy', 'HTTP/1.0 200 OK') })]);
  const broken = statusOf([web], [container('web', 1, { probe: probe('unhealthy', 'HTTP/1.0 503 Service Unavailable') })]);
  assert.deepEqual(healthChanges(undefined, healthy), []);
  assert.deepEqual(healthChanges(healthy, healthy), []);
  assert.deepEqual(healthChanges(healthy, broken), [
    {
      message: 'stack shop Healthy → Unhealthy',
      detail: 'web: Unhealthy, 0 of 1 healthy (1 unhealthy); shop-web-1: HTTP/1.0 503 Service Unavailable',
    },
    {
      message: 'service shop/web Healthy → Unhealthy',
      detail: '0 of 1 healthy (1 unhealthy); shop-web-1: HTTP/1.0 503 Service Unavailable',
    },
  ]);
});
