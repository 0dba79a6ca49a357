import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KnownHosts } from '../../src/model/known-hosts.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import { changedBeyond, rememberPass } from '../../src/state/known-hosts.js';
import { KnownHostsStore, parseKnownHosts } from '../../src/state/known-hosts-store.js';
import { StateDir } from '../../src/state/state-dir.js';
import { tempDirs } from '../fixtures/temp-dirs.js';

function copy(stack: string, unit: string, instance: number, host: string, service = unit): ObservedContainer {
  return {
    id: `${host}-${stack}-${service}-${instance}`,
    name: `${stack}-${service}-${instance}`,
    host,
    image: 'busybox',
    labels: {},
    state: 'running',
    ports: [],
    owner: { stack, service, unit, instance, configHash: 'h' },
  };
}

function host(name: string, containers: ObservedContainer[] = [], reachable = true): ObservedHost {
  return { name, address: '', reachable, labels: {}, containers, images: [], networks: [], volumes: [] };
}

const EARLIER = '2026-11-30T10:00:00.000Z';
const NOW = new Date('2026-11-30T10:20:00.000Z');

test('remember: a host read now is last seen now, with the unit instances it holds (sidekicks count for their unit)', () => {
  const known = rememberPass(
    {},
    { hosts: [host('h1', [copy('s', 'web', 2, 'h1'), copy('s', 'web', 2, 'h1', 'log'), copy('a', 'db', 1, 'h1')])] },
    [],
    NOW,
  );
  assert.deepEqual(known, { h1: { lastSeen: NOW.toISOString(), units: { a: { db: [1] }, s: { web: [2] } }, replaced: {} } });
});

test('remember: a host that cannot be read keeps what it held when last read, and the instances moved off it now', () => {
  const before: KnownHosts = { h2: { lastSeen: EARLIER, units: { s: { web: [2] } }, replaced: {} } };
  const known = rememberPass(
    before,
    { hosts: [host('h1'), host('h2', [], false)] },
    [{ stack: 's', unit: 'web', instance: 2, from: 'h2' }],
    NOW,
  );
  assert.deepEqual(known['h2'], { lastSeen: EARLIER, units: { s: { web: [2] } }, replaced: { s: { web: [2] } } });
});

test('remember: each unreachable host marks only the instances moved off it, whatever the order they were moved in', () => {
  const before: KnownHosts = {
    h2: { lastSeen: EARLIER, units: { s: { web: [2] } }, replaced: {} },
    h3: { lastSeen: EARLIER, units: { s: { web: [1] }, t: { db: [1] } }, replaced: { t: { db: [1] } } },
  };
  const moved = [
    { stack: 's', unit: 'web', instance: 1, from: 'h3' },
    { stack: 's', unit: 'web', instance: 2, from: 'h2' },
    { stack: 'u', unit: 'api', instance: 4, from: 'h4' },
  ];
  const known = rememberPass(before, { hosts: [host('h1'), host('h2', [], false), host('h3', [], false)] }, moved, NOW);
  assert.deepEqual(known['h2']?.replaced, { s: { web: [2] } });
  assert.deepEqual(known['h3']?.replaced, { t: { db: [1] }, s: { web: [1] } });
  assert.equal(known['h4'], undefined);
});

test('remember: a host never read that cannot be read is not remembered; a host no longer configured is forgotten', () => {
  const before: KnownHosts = { gone: { lastSeen: EARLIER, units: {}, replaced: {} } };
  assert.deepEqual(rememberPass(before, { hosts: [host('h2', [], false)] }, [], NOW), {});
});

test('remember: a replaced mark stays while the host that is back still holds its copy and another host holds one too', () => {
  const before: KnownHosts = { h2: { lastSeen: EARLIER, units: { s: { web: [2, 3] } }, replaced: { s: { web: [2, 3] } } } };
  const observed = { hosts: [host('h2', [copy('s', 'web', 2, 'h2'), copy('s', 'web', 3, 'h2')]), host('h3', [copy('s', 'web', 2, 'h3')])] };
  // web-2: copies on h2 and h3, the mark stays (h2's copy is still to go); web-3: only h2 has it, the mark goes.
  assert.deepEqual(rememberPass(before, observed, [], NOW)['h2']?.replaced, { s: { web: [2] } });
  // Once h2's copy is removed, the mark goes too.
  const removed = { hosts: [host('h2'), host('h3', [copy('s', 'web', 2, 'h3')])] };
  assert.deepEqual(rememberPass(before, removed, [], NOW)['h2']?.replaced, {});
});

test('remember: only a change of units, marks or hosts, or a last-seen time moved by more than the slack, is worth a write', () => {
  const at = (lastSeen: string): KnownHosts => ({ h1: { lastSeen, units: { s: { web: [1] } }, replaced: {} } });
  assert.equal(changedBeyond(at(EARLIER), at('2026-11-30T10:00:20.000Z'), 30_000), false);
  assert.equal(changedBeyond(at(EARLIER), at('2026-11-30T10:00:31.000Z'), 30_000), true);
  assert.equal(changedBeyond(at(EARLIER), { h1: { lastSeen: EARLIER, units: {}, replaced: {} } }, 30_000), true);
  assert.equal(changedBeyond(at(EARLIER), {}, 30_000), true);
});

// ---- the file ---------------------------------------------------------------------

const tempDir = tempDirs('corral-state-');

test('store: nothing known without a file; an update is written atomically and read back by the next process', async () => {
  const dir = join(tempDir(), 'state');
  const store = new KnownHostsStore(new StateDir(dir, true));
  assert.deepEqual(await store.load(), {});
  await store.update(() => ({ h1: { lastSeen: EARLIER, units: { s: { web: [1] } }, replaced: {} } }));
  const written = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
  assert.deepEqual(written, { version: 1, hosts: { h1: { lastSeen: EARLIER, units: { s: { web: [1] } }, replaced: {} } } });
  assert.deepEqual(await new KnownHostsStore(new StateDir(dir, true)).load(), written.hosts);
});

test('store: updates side by side are applied one after another, none lost', async () => {
  const dir = tempDir();
  const store = new KnownHostsStore(new StateDir(dir, true));
  const addHost = (name: string) => (known: KnownHosts) => ({ ...known, [name]: { lastSeen: EARLIER, units: {}, replaced: {} } });
  await Promise.all(['h1', 'h2', 'h3'].map((name) => store.update(addHost(name))));
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')).hosts).sort(), ['h1', 'h2', 'h3']);
});

test('store: a read-only state directory is never written (corral plan)', async () => {
  const dir = join(tempDir(), 'state');
  const store = new KnownHostsStore(new StateDir(dir, false));
  await store.update(() => ({ h1: { lastSeen: EARLIER, units: {}, replaced: {} } }));
  assert.deepEqual(Object.keys(await store.load()), ['h1']);
  assert.throws(() => readFileSync(join(dir, 'hosts.json')), /ENOENT/);
});

test('store: a damaged file is an error naming it and saying how to start afresh', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'hosts.json'), '{"version": 1, "hosts": ');
  await assert.rejects(new KnownHostsStore(new StateDir(dir, true)).load(), /hosts\.json: not valid JSON/);
  assert.throws(
    () => parseKnownHosts({ version: 1, hosts: { h1: { lastSeen: 'yesterday', units: {} } } }, 'x/hosts.json'),
    /x\/hosts\.json: hosts\.h1: expected lastSeen \(an ISO time\).*remove the file to start afresh/,
  );
  assert.throws(
    () => parseKnownHosts({ version: 1, hosts: { h1: { lastSeen: EARLIER, units: { s: { web: [0] } } } } }, 'f'),
    /units and replaced/,
  );
});
