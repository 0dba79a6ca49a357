import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService, DesiredStack } from '../../src/model/desired.js';
import type { KnownHosts } from '../../src/model/known-hosts.js';
import { containerName } from '../../src/model/naming.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { type ScheduleOptions, scheduleStacks } from '../../src/schedule/index.js';
import { desiredStack } from '../fixtures/desired.js';

// ---- factories ---------------------------------------------------------------

function service(name: string, options: { scale?: number; global?: boolean; labels?: Record<string, string> } = {}): DesiredService {
  return {
    name,
    compose: { image: 'busybox', labels: options.labels ?? {}, environment: {} },
    rancher: {},
    scale: options.scale ?? 1,
    global: options.global ?? false,
    sidekicks: [],
  };
}

function stack(name: string, ...services: DesiredService[]): DesiredStack {
  return desiredStack(name, services);
}

function running(stackName: string, unit: string, instance: number, host: string): ObservedContainer {
  return {
    id: `${host}-${stackName}-${unit}-${instance}`,
    name: containerName(stackName, unit, instance),
    host,
    image: 'busybox',
    labels: {},
    state: 'running',
    ports: [],
    owner: { stack: stackName, service: unit, unit, instance, configHash: 'h' },
  };
}

function host(name: string, containers: ObservedContainer[] = [], reachable = true): ObservedHost {
  return { name, address: '', reachable, labels: {}, containers, images: [], networks: [], volumes: [] };
}

const down = (name: string) => host(name, [], false);

const LAST_SEEN = '2026-11-30T10:00:00.000Z';
const minutesAfter = (minutes: number) => new Date(Date.parse(LAST_SEEN) + minutes * 60_000);

/** h2 was last read at LAST_SEEN, holding web instance 2 of stack s. */
const known = (replaced = {}): KnownHosts => ({ h2: { lastSeen: LAST_SEEN, units: { s: { web: [2] } }, replaced } });

function schedule(stacks: DesiredStack[], hosts: ObservedHost[], options: ScheduleOptions): StackPlacement[] {
  return scheduleStacks(stacks, hosts, { hostDownGraceMs: 5 * 60_000, ...options });
}

const where = (p: StackPlacement | undefined) => p?.instances.map((i) => `${i.service}-${i.instance}@${i.host}`);
const SELF_NE = { 'io.rancher.scheduler.affinity:container_label_ne': 'io.rancher.stack_service.name=${stack_name}/${service_name}' };

// ---- within the grace --------------------------------------------------------

test('host down within the grace: the instance it held stays there, with the time left; nothing is duplicated', () => {
  const hosts = [host('h1', [running('s', 'web', 1, 'h1')]), down('h2'), host('h3')];
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], hosts, { known: known(), now: minutesAfter(2) });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h2']);
  assert.deepEqual(placement?.held, [
    { service: 'web', instance: 2, host: 'h2', lastSeen: LAST_SEEN, rescheduleInMs: 3 * 60_000, rescheduleAt: '2026-11-30T10:05:00.000Z' },
  ]);
  assert.equal(placement?.rescheduled, undefined);
});

test('host down within the grace: a unit it never held is placed on the other hosts at once, a new stack too', () => {
  const hosts = [host('h1', [running('s', 'web', 1, 'h1')]), down('h2'), host('h3')];
  const [s, fresh] = schedule([stack('s', service('web', { scale: 3 })), stack('new', service('app', { scale: 2 }))], hosts, {
    known: known(),
    now: minutesAfter(1),
  });
  assert.deepEqual(where(s), ['web-1@h1', 'web-2@h2', 'web-3@h3']);
  assert.deepEqual(where(fresh), ['app-1@h1', 'app-2@h3']);
});

test('a host down that corral never read holds nothing it knows of: the units are placed on the others', () => {
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], [host('h1'), down('h2'), host('h3')], {
    known: {},
    now: minutesAfter(60),
  });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h3']);
  assert.equal(placement?.held, undefined);
});

// ---- beyond the grace --------------------------------------------------------

test('host down longer than the grace: its instance is placed again elsewhere, same number, by the same rules', () => {
  const web = service('web', { scale: 2, labels: SELF_NE });
  const hosts = [host('h1', [running('s', 'web', 1, 'h1')]), down('h2'), host('h3')];
  const [placement] = schedule([stack('s', web)], hosts, { known: known(), now: minutesAfter(6) });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h3']);
  assert.deepEqual(placement?.rescheduled, [{ service: 'web', instance: 2, host: 'h3', from: 'h2', lastSeen: LAST_SEEN }]);
  assert.equal(placement?.held, undefined);
});

test('the grace is exact: at 5m the instance is held, just after it moves', () => {
  const hosts = [host('h1'), down('h2')];
  const at = (ms: number) =>
    schedule([stack('s', service('web', { scale: 2 }))], hosts, { known: known(), now: new Date(Date.parse(LAST_SEEN) + ms) })[0];
  assert.deepEqual(where(at(5 * 60_000)), ['web-1@h1', 'web-2@h2']);
  assert.deepEqual(where(at(5 * 60_000 + 1)), ['web-1@h1', 'web-2@h1']);
});

test('a rescheduled instance keeps being reported while its old host stays down', () => {
  const hosts = [host('h1', [running('s', 'web', 1, 'h1')]), down('h2'), host('h3', [running('s', 'web', 2, 'h3')])];
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], hosts, { known: known(), now: minutesAfter(30) });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h3']);
  assert.deepEqual(placement?.rescheduled, [{ service: 'web', instance: 2, host: 'h3', from: 'h2', lastSeen: LAST_SEEN }]);
});

test('a global unit stays with its host however long it is down; a new host gets another number', () => {
  const agent = service('agent', { global: true });
  const hosts = [host('h1', [running('s', 'agent', 1, 'h1')]), down('h2'), host('h3')];
  const knownAgent: KnownHosts = { h2: { lastSeen: LAST_SEEN, units: { s: { agent: [2] } }, replaced: {} } };
  const [placement] = schedule([stack('s', agent)], hosts, { known: knownAgent, now: minutesAfter(60) });
  assert.deepEqual(where(placement), ['agent-1@h1', 'agent-2@h2', 'agent-3@h3']);
  assert.deepEqual(placement?.held, [{ service: 'agent', instance: 2, host: 'h2', lastSeen: LAST_SEEN }]);
});

// ---- back ----------------------------------------------------------------------

test('host back: its copy of an instance replaced meanwhile goes, the copy that kept running stays', () => {
  // By name h2 would win over h3; the replaced mark makes h3's copy the one that stays.
  const hosts = [
    host('h1', [running('s', 'web', 1, 'h1')]),
    host('h2', [running('s', 'web', 2, 'h2')]),
    host('h3', [running('s', 'web', 2, 'h3')]),
  ];
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], hosts, {
    known: known({ s: { web: [2] } }),
    now: minutesAfter(60),
  });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h3']);
  assert.deepEqual(placement?.replaced, [{ service: 'web', instance: 2, host: 'h2', keptOn: 'h3' }]);
});

test('host back: a replaced copy that is now the only one stays', () => {
  const hosts = [host('h1', [running('s', 'web', 1, 'h1')]), host('h2', [running('s', 'web', 2, 'h2')]), host('h3')];
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], hosts, {
    known: known({ s: { web: [2] } }),
    now: minutesAfter(60),
  });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h2']);
  assert.equal(placement?.replaced, undefined);
});

test('duplicates without a replaced mark: the first host by name keeps the instance, as before', () => {
  const hosts = [
    host('h1', [running('s', 'web', 1, 'h1')]),
    host('h2', [running('s', 'web', 2, 'h2')]),
    host('h3', [running('s', 'web', 2, 'h3')]),
  ];
  const [placement] = schedule([stack('s', service('web', { scale: 2 }))], hosts, { known: {}, now: minutesAfter(60) });
  assert.deepEqual(where(placement), ['web-1@h1', 'web-2@h2']);
});
