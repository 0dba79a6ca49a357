/** The plan's bookkeeping parts on their own: the network book, the numbered operation list, a stack's live containers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService } from '../../src/model/desired.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { NetworkBook } from '../../src/plan/network-book.js';
import { serviceAliases } from '../../src/plan/networks.js';
import { ObservedIndex } from '../../src/plan/observed-index.js';
import { Operations } from '../../src/plan/operations.js';
import { plan } from '../../src/plan/plan.js';
import { StackLive } from '../../src/plan/stack-live.js';
import { swarmView } from '../../src/plan/swarm.js';
import type { PlanNote } from '../../src/plan/types.js';
import { host, live, placement, stack, swarmHosts } from './fixtures.js';

function book(hosts = [host('h1'), host('h2', { networks: ['corral-b'] })]): { networks: NetworkBook; ops: Operations } {
  const observed = { hosts };
  return { networks: new NetworkBook(new ObservedIndex(observed), swarmView(hosts)), ops: new Operations() };
}

test('the network book creates each missing bridge once per host, for every stack that needs it, and nothing that exists', () => {
  const { networks, ops } = book();
  const first = networks.ensure({ driver: 'bridge', host: 'h1', name: 'corral-a' }, 'a', 'a', 'missing, create', ops);
  const again = networks.ensure({ driver: 'bridge', host: 'h1', name: 'corral-a' }, 'a', 'b', 'for external_links', ops);
  const otherHost = networks.ensure({ driver: 'bridge', host: 'h2', name: 'corral-a' }, 'a', 'a', 'missing, create', ops);
  const existing = networks.ensure({ driver: 'bridge', host: 'h2', name: 'corral-b' }, 'b', 'b', 'missing, create', ops);
  assert.equal(first, '#1');
  assert.equal(again, '#1', 'the same creation, not a second one');
  assert.equal(otherHost, '#2');
  assert.equal(existing, undefined);
  assert.deepEqual(
    ops.list.map((op) => [op.id, op.kind, op.host, op.target, op.stack]),
    [
      ['#1', 'CreateNetwork', 'h1', 'corral-a', 'a'],
      ['#2', 'CreateNetwork', 'h2', 'corral-a', 'a'],
    ],
  );
  const created = ops.list[0];
  assert.ok(created?.kind === 'CreateNetwork');
  assert.deepEqual(created.network, {
    Name: 'corral-a',
    Driver: 'bridge',
    Labels: { 'io.corral.managed': 'true', 'io.corral.stack': 'a' },
  });
});

test("a bridge's creates on several hosts share one frozen body: no reader can change it for another host", () => {
  const { networks, ops } = book([host('h1'), host('h2'), host('h3')]);
  for (const name of ['h1', 'h2']) networks.ensure({ driver: 'bridge', host: name, name: 'corral-a' }, 'a', 'a', 'missing, create', ops);
  networks.ensure({ driver: 'bridge', host: 'h3', name: 'corral-b' }, 'b', 'b', 'missing, create', ops);
  const [h1, h2, other] = ops.list;
  assert.ok(h1?.kind === 'CreateNetwork' && h2?.kind === 'CreateNetwork' && other?.kind === 'CreateNetwork');
  assert.equal(h1.network, h2.network, 'one body for the hosts of one network');
  assert.notEqual(h1.network, other.network);
  assert.ok(Object.isFrozen(h1.network) && Object.isFrozen(h1.network.Labels));
  assert.throws(() => {
    (h1.network.Labels as Record<string, string>)['io.corral.stack'] = 'x';
  }, TypeError);
  assert.throws(() => {
    (h1.network as { Name: string }).Name = 'x';
  }, TypeError);
  assert.deepEqual(h2.network, { Name: 'corral-a', Driver: 'bridge', Labels: { 'io.corral.managed': 'true', 'io.corral.stack': 'a' } });
  assert.equal(other.network.Labels['io.corral.stack'], 'b');
});

test('the network book keeps bridges of several names apart when they are asked for in turn', () => {
  const { networks, ops } = book([host('h1'), host('h2')]);
  const ids = ['corral-a', 'corral-b', 'corral-a', 'corral-b'].map((name, at) =>
    networks.ensure({ driver: 'bridge', host: at < 2 ? 'h1' : 'h2', name }, name.slice(7), name.slice(7), 'missing, create', ops),
  );
  assert.deepEqual(ids, ['#1', '#2', '#3', '#4']);
  networks.useBridge('h1', 'corral-a');
  networks.useBridge('h2', 'corral-b');
  assert.deepEqual(
    [networks.plansBridge('h1', 'corral-a'), networks.plansBridge('h1', 'corral-b'), networks.plansBridge('h2', 'corral-b')],
    [true, false, true],
  );
  assert.equal(networks.ensure({ driver: 'bridge', host: 'h1', name: 'corral-a' }, 'a', 'a', 'missing, create', ops), '#1');
});

test('the network book creates an overlay once, through the swarm manager', () => {
  const { networks, ops } = book(swarmHosts(['h1', 'h2']));
  const place = { driver: 'overlay' as const, name: 'corral-a_overlay' };
  assert.equal(networks.ensure(place, 'a', 'a', 'missing, create', ops), '#1');
  assert.equal(networks.ensure(place, 'a', 'b', 'for external_links', ops), '#1');
  assert.deepEqual(
    ops.list.map((op) => [op.kind, op.host, op.target]),
    [['CreateNetwork', 'h1', 'corral-a_overlay']],
  );
});

test('a network removal is dropped when a container of any stack is planned on it, on that host only', () => {
  const hosts = [host('h1', { networks: ['corral-a'] }), host('h2', { networks: ['corral-a'] })];
  const { networks, ops } = book(hosts);
  const notes: PlanNote[] = [];
  networks.useBridge('h1', 'corral-a');
  assert.equal(networks.plansBridge('h1', 'corral-a'), true);
  assert.equal(networks.plansBridge('h2', 'corral-a'), false);
  networks.proposeRemoval('a', { driver: 'bridge', host: 'h1', name: 'corral-a' }, [], 'unused', notes, false);
  networks.proposeRemoval('a', { driver: 'bridge', host: 'h2', name: 'corral-a' }, [], 'unused', notes, false);
  networks.finish(ops.add, () => undefined);
  assert.deepEqual(
    ops.list.map((op) => [op.kind, op.host, op.target]),
    [['RemoveNetwork', 'h2', 'corral-a']],
  );
});

test('the network book keeps a bridge used and created on many hosts (a global service) apart per host, before and after it indexes them', () => {
  const names = Array.from({ length: 20 }, (_, at) => `h${at + 1}`);
  const { networks, ops } = book(names.map((name) => host(name)));
  const ids: (string | undefined)[] = [];
  for (const [at, name] of names.entries()) {
    if (at % 2 === 0) networks.useBridge(name, 'corral-g');
    ids.push(networks.ensure({ driver: 'bridge', host: name, name: 'corral-g' }, 'g', 'g', 'missing, create', ops));
    // Asked again at every size: the same creation, and only the hosts used so far are planned.
    for (const [before, other] of names.slice(0, at + 1).entries()) {
      assert.equal(networks.ensure({ driver: 'bridge', host: other, name: 'corral-g' }, 'g', 'x', 'again', ops), ids[before]);
      assert.equal(networks.plansBridge(other, 'corral-g'), before % 2 === 0, `${other} after ${name}`);
    }
    assert.equal(networks.plansBridge(names[at + 1] ?? 'h99', 'corral-g'), false);
  }
  assert.deepEqual(
    ids,
    names.map((_, at) => `#${at + 1}`),
  );
  assert.equal(ops.list.length, 20, 'one creation per host');
  assert.equal(networks.plansBridge('h1', 'corral-other'), false);
  for (const name of names.filter((_, at) => at % 2 === 1)) networks.use({ driver: 'bridge', host: name, name: 'corral-g' });
  for (const name of names) assert.equal(networks.plansBridge(name, 'corral-g'), true);
});

test('operations without dependencies share one frozen empty list, which no one can change', () => {
  const ops = new Operations();
  const base = { host: 'h1', stack: 's', cause: 'c', kind: 'PullImage' as const };
  ops.add({ ...base, target: 'a', dependsOn: [] });
  ops.add({ ...base, target: 'b', dependsOn: [] });
  ops.add({ ...base, target: 'c', dependsOn: ['#1'] });
  const [a, b, c] = ops.list;
  assert.equal(a?.dependsOn, b?.dependsOn);
  assert.ok(Object.isFrozen(a?.dependsOn));
  assert.throws(() => a?.dependsOn.push('#9'), TypeError);
  assert.deepEqual(a?.dependsOn, []);
  assert.equal(JSON.stringify(a), JSON.stringify({ ...base, target: 'a', dependsOn: [], id: '#1' }));
  assert.deepEqual(c?.dependsOn, ['#1']);
  assert.equal(Object.isFrozen(c?.dependsOn), false);
});

test("a plan's operations each have their own list of dependencies (gathered in one place, copied out)", () => {
  const desired = stack('w', { app: { scale: 2, sidekicks: ['log'], volumes_from: ['log'] }, log: { volumes: ['data:/data'] } });
  const result = plan(
    [desired],
    [
      placement('w', [
        ['app', 1, 'h1'],
        ['app', 2, 'h2'],
      ]),
    ],
    { hosts: [host('h1'), host('h2')] },
    { prune: true },
  );
  const lists = result.operations.map((op) => op.dependsOn).filter((ids) => ids.length > 0);
  assert.equal(new Set(lists).size, lists.length, 'no two operations share a non-empty list');
  const creates = result.operations.filter((op) => op.kind === 'CreateContainer');
  assert.deepEqual(
    creates.map((op) => [op.target, op.dependsOn.length]),
    [
      ['w-app-log-1', 2],
      ['w-app-1', 2],
      ['w-app-log-2', 2],
      ['w-app-2', 2],
    ],
    "each create waits for its stack's network and its volume, or for the container whose volumes it uses",
  );
  const [first, second] = creates;
  first?.dependsOn.push('#999');
  assert.equal(second?.dependsOn.includes('#999'), false);
});

test('an operation made with the next id keeps it as its last key; one made without, or with a stale one, gets the right one', () => {
  const ops = new Operations();
  const start = { kind: 'StartContainer' as const, host: 'h1', target: 'a', stack: 's', dependsOn: [], cause: 'c', id: ops.nextId };
  assert.equal(ops.nextId, '#1', 'the same id until one is added');
  assert.equal(ops.add(start), '#1');
  const stale = { kind: 'PullImage' as const, host: 'h1', target: 'i', stack: 's', dependsOn: [], cause: 'c', id: '#1' };
  assert.equal(ops.add(stale), '#2');
  assert.equal(ops.add({ kind: 'PullImage', host: 'h1', target: 'j', stack: 's', dependsOn: [], cause: 'c' }), '#3');
  const reserved = ops.nextId;
  assert.equal(ops.add({ kind: 'PullImage', host: 'h1', target: 'k', stack: 's', dependsOn: [], cause: 'c' }), reserved);
  assert.deepEqual(
    ops.list.map((op) => [op.id, op.target, Object.keys(op).at(-1)]),
    [
      ['#1', 'a', 'id'],
      ['#2', 'i', 'id'],
      ['#3', 'j', 'id'],
      ['#4', 'k', 'id'],
    ],
  );
});

test("a start of an existing container names it before its id, as a start of a new one ends with its id (the JSON's key order)", () => {
  const desired = stack('w', { app: {} });
  const exited = live(desired, 'app', 1, 'h1', { state: 'exited', exitCode: 1 });
  const result = plan(
    [desired],
    [
      placement('w', [
        ['app', 1, 'h1'],
        ['app', 2, 'h2'],
      ]),
    ],
    { hosts: [host('h1', { networks: ['corral-w'], containers: exited }), host('h2')] },
    { prune: true },
  );
  const starts = result.operations.filter((op) => op.kind === 'StartContainer');
  assert.deepEqual(
    starts.map((op) => [op.target, Object.keys(op).join(',')]),
    [
      ['w-app-1', 'kind,host,target,stack,dependsOn,cause,unit,containerId,id'],
      ['w-app-2', 'kind,host,target,stack,dependsOn,cause,unit,id'],
    ],
  );
  assert.equal(starts[0]?.kind === 'StartContainer' && starts[0].containerId, exited[0]?.id);
});

test('operations are numbered in order; their dependencies come without duplicates, in id order', () => {
  const ops = new Operations();
  const base = { host: 'h1', stack: 's', cause: 'c', kind: 'PullImage' as const };
  const ids = Array.from({ length: 12 }, (_, at) => ops.add({ ...base, target: `i${at}`, dependsOn: [] }));
  assert.deepEqual(ids.slice(0, 3), ['#1', '#2', '#3']);
  const ascending = ['#2', '#10', '#11'];
  ops.add({ ...base, target: 'x', dependsOn: ascending });
  assert.equal(ops.list[12]?.dependsOn, ascending, 'already in order: kept as given');
  ops.add({ ...base, target: 'y', dependsOn: ['#11', '#2', '#10', '#2'] });
  assert.deepEqual(ops.list[13]?.dependsOn, ['#2', '#10', '#11']);
  assert.equal(ops.list[13]?.id, '#14');
});

test('operations from a position on are marked as an upgrade; a removal is found by its container', () => {
  const ops = new Operations();
  ops.add({ host: 'h1', stack: 's', cause: 'c', kind: 'PullImage', target: 'i', dependsOn: [] });
  const removal = ops.add({ host: 'h1', stack: 's', cause: 'c', kind: 'RemoveContainer', target: 'x', containerId: 'c1', dependsOn: [] });
  ops.add({ host: 'h1', stack: 's', cause: 'c', kind: 'StartContainer', target: 'y', dependsOn: [] });
  ops.markUpgradeSince(1);
  assert.deepEqual(
    ops.list.map((op) => op.upgrade),
    [undefined, true, true],
  );
  assert.equal(ops.removalOf('c1'), removal);
  assert.equal(ops.removalOf('c2'), undefined);
});

function container(name: string, unit: string, service: string, instance: number, hostName: string, kept = false): ObservedContainer {
  return {
    id: `id-${name}`,
    name,
    host: hostName,
    image: 'img',
    labels: {},
    state: 'running',
    ports: [],
    owner: { stack: 's', service, unit, instance, configHash: 'h', ...(kept ? { kept: true } : {}) },
  } as ObservedContainer;
}

test("a stack's live containers are found by unit and instance, its kept predecessors apart", () => {
  const web1 = container('s-web-1', 'web', 'web', 1, 'h1');
  const log1 = container('s-web-log-1', 'web', 'log', 1, 'h1');
  const web2 = container('s-web-2', 'web', 'web', 2, 'h2');
  const kept1 = container('s-web-1-prev', 'web', 'web', 1, 'h1', true);
  const placement: StackPlacement = {
    stack: 's',
    instances: [
      { service: 'web', instance: 1, host: 'h1' },
      { service: 'web', instance: 1, host: 'h3' },
      { service: 'web', instance: 3, host: 'h2' },
    ],
    errors: [],
    warnings: [],
    held: [{ service: 'web', instance: 2, host: 'h2', lastSeen: 't' }],
  } as StackPlacement;
  const live = new StackLive([web1, log1, kept1, web2], placement);
  assert.deepEqual(live.containers, [web1, log1, web2]);
  assert.deepEqual(live.kept, [kept1]);
  assert.deepEqual(live.ofUnit('web', 1), [web1, log1]);
  assert.deepEqual(live.ofUnit('web', 4), []);
  assert.deepEqual(live.keptOf('web', 1), [kept1]);
  assert.deepEqual(live.keptOf('web', 2), []);
  assert.equal(live.placedAt('web', 1)?.host, 'h1', 'the first placement of an instance');
  assert.equal(live.placedAt('web', 2), undefined);
  assert.equal(live.heldAt('web', 2)?.lastSeen, 't');
  assert.equal(live.heldAt('web', 1), undefined);
  assert.equal(live.rescheduledAt('web', 1), undefined);
  assert.equal(live.replacedCopyAt('web', 1, 'h1'), undefined);
  assert.deepEqual([...live.liveInstances('web')], [1, 2]);
  assert.equal(live.desiredCount('web'), 3);
  const withoutKept = new StackLive([web1, log1, web2], placement);
  assert.deepEqual(withoutKept.containers, [web1, log1, web2]);
  assert.deepEqual(withoutKept.kept, []);
  assert.deepEqual(withoutKept.keptOf('web', 1), []);
  assert.deepEqual(withoutKept.ofUnit('web', 1), [web1, log1]);
});

test('observed index: hosts named in any order come in observation order, names of no host left out', () => {
  const hosts = [host('h3'), host('h1', { reachable: false }), host('h2'), host('h0')];
  const index = new ObservedIndex({ hosts });
  const order = (names: Iterable<string>) => index.inObservedOrder(names).map((h) => h.name);
  assert.deepEqual(order(['h0', 'h9', 'h2', 'h3', 'h1']), ['h3', 'h1', 'h2', 'h0']);
  assert.deepEqual(order(new Set(['h2', 'h3'])), ['h3', 'h2']);
  assert.deepEqual(order([]), []);
  assert.equal(index.inObservedOrder(['h2'])[0], hosts[2]);
});

test('observed index: images compare normalized (docker.io/library and :latest), asked for twice', () => {
  const index = new ObservedIndex({ hosts: [host('h1', { images: ['docker.io/library/redis:latest', 'busybox:1'] })] });
  const h1 = index.host('h1');
  assert.ok(h1);
  for (let round = 0; round < 2; round++) {
    assert.equal(index.hasImage(h1, 'redis'), true);
    assert.equal(index.hasImage(h1, 'library/busybox:1'), true);
    assert.equal(index.hasImage(h1, 'busybox'), false);
  }
});

test("a container's aliases on its stack network: its name, name.stack, name.primary for a sidekick, then link aliases, each once in that order", () => {
  const service = (name: string, primary?: string): DesiredService => ({
    name,
    compose: { labels: {}, environment: {} },
    rancher: {},
    scale: 1,
    global: false,
    sidekicks: [],
    ...(primary ? { primary } : {}),
  });
  assert.deepEqual(serviceAliases('s', service('db'), []), ['db', 'db.s']);
  assert.deepEqual(serviceAliases('s', service('db'), ['database', 'db', 'database', 'data']), ['db', 'db.s', 'database', 'data']);
  assert.deepEqual(serviceAliases('s', service('log', 'web'), ['log.web', 'x']), ['log', 'log.s', 'log.web', 'x']);
  assert.deepEqual(serviceAliases('web', service('log', 'web'), []), ['log', 'log.web'], 'a sidekick of a service named as its stack');
});
