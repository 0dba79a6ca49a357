import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService, DesiredStack } from '../../src/model/desired.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import type { Plan } from '../../src/plan/types.js';
import { stackStatus } from '../../src/status/stack-status.js';
import { StatusSources } from '../../src/status/status-sources.js';
import { desiredStack } from '../fixtures/desired.js';

function service(name: string, scale: number, extra: Partial<DesiredService> = {}): DesiredService {
  return { name, compose: { labels: {}, environment: {} }, rancher: {}, scale, global: false, sidekicks: [], ...extra };
}

function stack(services: DesiredService[]): DesiredStack {
  return { ...desiredStack('web', services, 'hello-web'), revision: 'abc123' };
}

function container(
  host: string,
  service: string,
  instance: number,
  state: ObservedContainer['state'] = 'running',
  port?: number,
): ObservedContainer {
  return {
    id: `${host}-${service}-${instance}`,
    name: `web-${service}-${instance}`,
    host,
    image: 'busybox',
    labels: {},
    state,
    ports: port ? [{ privatePort: 80, publicPort: port, protocol: 'tcp' }] : [],
    owner: { stack: 'web', service, unit: service, instance, configHash: 'h', revision: 'abc123' },
  };
}

function host(name: string, address: string, containers: ObservedContainer[], reachable = true): ObservedHost {
  return {
    name,
    address,
    reachable,
    labels: {},
    containers,
    images: [],
    networks: [],
    volumes: [],
    ...(reachable ? {} : { error: 'connection refused' }),
  };
}

const noPlan: Plan = { operations: [], stacks: [] };

test('all desired containers running and no pending change: Synced, Healthy, with endpoints at host addresses', () => {
  const status = stackStatus({
    name: 'web',
    desired: stack([service('web', 2)]),
    plan: noPlan,
    nowMs: 0,
    observed: {
      hosts: [
        host('h1', '10.0.0.1', [container('h1', 'web', 1, 'running', 8080)]),
        host('h2', '10.0.0.2', [container('h2', 'web', 2, 'running', 8080)]),
      ],
    },
  });
  assert.equal(status.sync, 'Synced');
  assert.equal(status.health, 'Healthy');
  assert.equal(status.appliedRevision, 'abc123');
  assert.deepEqual(
    status.services.map((s) => [s.name, s.desired, s.running, s.healthy, s.unhealthy, s.starting, s.health, s.checkedBy]),
    [['web', 2, 2, 2, 0, 0, 'Healthy', 'running']],
  );
  assert.deepEqual(
    status.endpoints.map((e) => `${e.service} ${e.address}:${e.port}`),
    ['web 10.0.0.1:8080', 'web 10.0.0.2:8080'],
  );
});

test("an endpoint is the binding of the host address family: Docker may publish IPv6 on another port, which may be another container's IPv4 port", () => {
  const dualStack = (instance: number, v4: number, v6: number): ObservedContainer => ({
    ...container('h1', 'web', instance),
    ports: [
      { privatePort: 80, publicPort: v4, protocol: 'tcp', ip: '0.0.0.0' },
      { privatePort: 80, publicPort: v6, protocol: 'tcp', ip: '::' },
    ],
  });
  const status = stackStatus({
    name: 'web',
    desired: stack([service('web', 2)]),
    plan: noPlan,
    nowMs: 0,
    observed: { hosts: [host('h1', '10.0.0.1', [dualStack(1, 32888, 32887), dualStack(2, 32887, 32886)])] },
  });
  assert.deepEqual(
    status.endpoints.map((e) => `${e.service} ${e.address}:${e.port}`),
    ['web 10.0.0.1:32887', 'web 10.0.0.1:32888'],
  );
});

test('pending operations make it OutOfSync with their causes; a service with nothing running is Unhealthy', () => {
  const plan: Plan = {
    stacks: [],
    operations: [
      { id: '#1', kind: 'StartContainer', host: 'h1', target: 'web-web-1', stack: 'web', dependsOn: [], cause: 'exited (137), restart' },
    ],
  };
  const status = stackStatus({
    name: 'web',
    desired: stack([service('web', 2)]),
    plan,
    nowMs: 0,
    observed: { hosts: [host('h1', '10.0.0.1', [container('h1', 'web', 1, 'exited')])] },
  });
  assert.equal(status.sync, 'OutOfSync');
  assert.equal(status.health, 'Unhealthy');
  assert.match(status.message, /1 change\(s\) pending: exited \(137\), restart/);
});

test('render errors make it Failed with the file and line; an unreachable host makes it Degraded', () => {
  const failed = stackStatus({
    name: 'web',
    renderErrors: [{ severity: 'error', file: 'stacks/web/stack.yml', line: 3, message: 'bad' }],
    nowMs: 0,
    observed: { hosts: [] },
  });
  assert.equal(failed.sync, 'Failed');
  assert.equal(failed.health, 'Unknown');
  assert.equal(failed.message, 'stacks/web/stack.yml:3: bad');
  const unreachable = stackStatus({
    name: 'web',
    desired: stack([service('web', 1)]),
    plan: noPlan,
    nowMs: 0,
    observed: { hosts: [host('h1', '10.0.0.1', [container('h1', 'web', 1)], false)] },
  });
  assert.equal(unreachable.health, 'Degraded');
  assert.match(unreachable.message, /host h1 \(connection refused\) unreachable/);
});

test('a start_once container that exited counts as done, not as missing', () => {
  const once = container('h1', 'init', 1, 'exited');
  once.labels['io.rancher.container.start_once'] = 'true';
  const status = stackStatus({
    name: 'web',
    desired: stack([service('init', 1)]),
    plan: noPlan,
    nowMs: 0,
    observed: { hosts: [host('h1', '10.0.0.1', [once])] },
  });
  assert.equal(status.health, 'Healthy');
});

const LAST_SEEN = '2026-11-30T10:00:00.000Z';

test('a unit waiting on a host that is down: sync Unknown (never Synced), Degraded, and when it moves', () => {
  const status = stackStatus({
    name: 'web',
    nowMs: 0,
    desired: stack([service('web', 2), service('agent', 1, { global: true })]),
    plan: noPlan,
    observed: { hosts: [host('h1', '10.0.0.1', [container('h1', 'web', 1), container('h1', 'agent', 1)]), host('h2', '', [], false)] },
    placement: {
      stack: 'web',
      instances: [],
      errors: [],
      warnings: [],
      held: [
        { service: 'agent', instance: 2, host: 'h2', lastSeen: LAST_SEEN },
        { service: 'web', instance: 2, host: 'h2', lastSeen: LAST_SEEN, rescheduleInMs: 60_000, rescheduleAt: '2026-11-30T10:05:00.000Z' },
      ],
    },
  });
  assert.deepEqual([status.sync, status.health], ['Unknown', 'Degraded']);
  assert.deepEqual(status.waiting, [
    { unit: 'web-agent-2', host: 'h2', lastSeen: LAST_SEEN },
    { unit: 'web-web-2', host: 'h2', lastSeen: LAST_SEEN, rescheduleAt: '2026-11-30T10:05:00.000Z' },
  ]);
  assert.equal(
    status.message,
    `web-agent-2 waits on h2 (unreachable, last seen ${LAST_SEEN}; a global unit stays with its host); ` +
      `web-web-2 waits on h2 (unreachable, last seen ${LAST_SEEN}; rescheduled at 2026-11-30T10:05:00.000Z unless it is back)`,
  );
});

test('a unit rescheduled off a host down for too long: Synced once it runs elsewhere, and the move is reported', () => {
  const status = stackStatus({
    name: 'web',
    nowMs: 0,
    desired: stack([service('web', 2)]),
    plan: noPlan,
    observed: {
      hosts: [
        host('h1', '10.0.0.1', [container('h1', 'web', 1)]),
        host('h2', '', [], false),
        host('h3', '10.0.0.3', [container('h3', 'web', 2)]),
      ],
    },
    placement: {
      stack: 'web',
      instances: [],
      errors: [],
      warnings: [],
      rescheduled: [{ service: 'web', instance: 2, host: 'h3', from: 'h2', lastSeen: LAST_SEEN }],
    },
  });
  assert.deepEqual([status.sync, status.health], ['Synced', 'Healthy']);
  assert.deepEqual(status.rescheduled, [{ unit: 'web-web-2', host: 'h3', from: 'h2', lastSeen: LAST_SEEN }]);
  assert.equal(status.message, `converged; web-web-2 rescheduled on h3 (h2 unreachable since ${LAST_SEEN})`);
  assert.equal(status.waiting, undefined);
});

test('a new stack of which nothing is created yet is OutOfSync, not Synced, even with a host down', () => {
  const plan: Plan = {
    stacks: [],
    operations: [{ id: '#1', kind: 'PullImage', host: 'h1', target: 'busybox', stack: 'web', dependsOn: [], cause: 'missing, pull' }],
  };
  const status = stackStatus({
    name: 'web',
    nowMs: 0,
    desired: stack([service('web', 1)]),
    plan,
    observed: { hosts: [host('h1', '10.0.0.1', []), host('h2', '', [], false)] },
  });
  // Health by src/status/words.ts: none of the desired container runs yet, which is Unhealthy (worse than Degraded).
  assert.deepEqual([status.sync, status.health], ['OutOfSync', 'Unhealthy']);
});

test("the applied plan's degraded notes make the stack Degraded and are its message, even over a pending change", () => {
  const exited = container('h1', 'web', 1, 'exited');
  const plan: Plan = {
    operations: [
      { id: '#1', kind: 'StartContainer', host: 'h1', target: 'web-web-1', stack: 'web', dependsOn: [], cause: 'exited, restart' },
    ],
    stacks: [],
  };
  const status = stackStatus({
    name: 'web',
    desired: stack([service('web', 1)]),
    plan,
    notes: [
      { level: 'warning', message: 'not this one' },
      { level: 'degraded', message: 'web-web-2: host h2 is unreachable (no answer); left as is' },
    ],
    nowMs: 0,
    observed: { hosts: [host('h1', '10.0.0.1', [exited])] },
  });
  assert.deepEqual([status.sync, status.health], ['OutOfSync', 'Degraded']);
  assert.equal(status.message, 'web-web-2: host h2 is unreachable (no answer); left as is');
});

test('a rolled-back upgrade: RolledBack, naming the version, the revision and the cause; kept containers are no instances', () => {
  const kept: ObservedContainer = { ...container('h1', 'web', 1, 'exited'), id: 'kept', name: 'web-web-1-prev' };
  kept.owner = { ...(kept.owner as NonNullable<ObservedContainer['owner']>), kept: true, revision: 'old' };
  const rolledBack = {
    key: 'k',
    template: 'hello-web',
    version: '1.1.0',
    revision: 'abc123def4567890',
    cause: 'AwaitReady web-web-1 on h1: web-web-1 not ready within 60 s: exited (3)',
    time: '2026-11-29T23:00:00.000Z',
  };
  const status = stackStatus({
    name: 'web',
    desired: stack([service('web', 1)]),
    plan: noPlan,
    nowMs: 0,
    rolledBack,
    observed: { hosts: [host('h1', '10.0.0.1', [container('h1', 'web', 1), kept])] },
  });
  assert.equal(status.sync, 'RolledBack');
  assert.equal(
    status.message,
    'upgrade to hello-web 1.1.0 (revision abc123def456) failed and was rolled back at 2026-11-29T23:00:00.000Z: AwaitReady web-web-1 on h1: web-web-1 not ready within 60 s: exited (3); the version before runs, and this one is not tried again until a new commit changes the stack',
  );
  assert.equal(status.lastError, rolledBack.cause);
  assert.equal(status.appliedRevision, 'abc123');
  assert.deepEqual(
    status.services[0]?.containers.map((c) => c.name),
    ['web-web-1'],
  );
});

test("one pass's statuses read the observation and plan grouped by stack: each stack sees only its own containers, hosts and changes", () => {
  const of = (owner: string, c: ObservedContainer, kept = false): ObservedContainer => ({
    ...c,
    id: `${owner}-${c.id}`,
    name: `${owner}-${c.name}`,
    owner: { ...(c.owner as NonNullable<ObservedContainer['owner']>), stack: owner, ...(kept ? { kept: true } : {}) },
  });
  const observed = {
    hosts: [
      host('h1', '10.0.0.1', [
        of('web', container('h1', 'web', 1, 'running', 8080)),
        of('shop', container('h1', 'web', 1, 'running', 8081)),
      ]),
      host('h2', '10.0.0.2', [of('shop', container('h2', 'web', 2)), of('shop', container('h2', 'web', 3), true)], false),
      host('h3', '10.0.0.3', [of('web', container('h3', 'web', 2, 'running', 8080))]),
      host('h4', '10.0.0.4', [of('web', container('h4', 'web', 3), true)], false),
    ],
  };
  const plan: Plan = {
    stacks: [
      { stack: 'web', actionable: true, notes: [] },
      {
        stack: 'docs',
        actionable: false,
        notes: [{ level: 'error', message: 'no host matches io.rancher.scheduler.affinity:host_label' }],
      },
    ],
    operations: [
      {
        id: '#1',
        kind: 'StartContainer',
        host: 'h1',
        target: 'shop-web-web-1',
        stack: 'shop',
        dependsOn: [],
        cause: 'exited (1), restart',
      },
      { id: '#2', kind: 'PullImage', host: 'h3', target: 'busybox', stack: 'docs', dependsOn: [], cause: 'missing, pull' },
    ],
  };
  const sources = new StatusSources(observed, plan);
  const statusOf = (name: string) => stackStatus({ name, desired: stack([service('web', 2)]), plan, nowMs: 0, observed, sources });
  const web = statusOf('web');
  assert.deepEqual(
    [web.sync, web.health],
    ['Unknown', 'Degraded'],
    'an unreachable host that held only a kept container of the stack still counts',
  );
  assert.match(web.message, /^host h4 \(connection refused\) unreachable/);
  assert.deepEqual(
    web.endpoints.map((e) => `${e.address}:${e.port}`),
    ['10.0.0.1:8080', '10.0.0.3:8080'],
  );
  const shop = statusOf('shop');
  assert.equal(shop.sync, 'OutOfSync');
  assert.equal(shop.message, '1 change(s) pending: exited (1), restart');
  assert.deepEqual(
    shop.services[0]?.containers.map((c) => c.name),
    ['shop-web-web-1', 'shop-web-web-2'],
    'the kept container is no instance of the revision',
  );
  assert.deepEqual(
    sources.unreachableHostsOf('shop').map((h) => h.name),
    ['h2'],
    'a host is listed once, however many of the stack it held',
  );
  const docs = statusOf('docs');
  assert.deepEqual([docs.sync, docs.message], ['Failed', 'no host matches io.rancher.scheduler.affinity:host_label']);
});
