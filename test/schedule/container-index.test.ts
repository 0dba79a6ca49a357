import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContainerIndex, type HostCounts, HostTally, type UnitMember } from '../../src/schedule/container-index.js';
import { ServiceLabels } from '../../src/schedule/unit-labels.js';

const STACK_SERVICE = 'io.rancher.stack_service.name';
const UNIT = 'io.rancher.service.deployment.unit';
const counts = (hosts: HostCounts) => Object.fromEntries([...hosts.keys()].sort((a, b) => a - b).map((host) => [host, hosts.count(host)]));

test('container index: observed labels of any case count under the indexed key, values lowercased, the last key of a case wins', () => {
  const index = new ContainerIndex(new Set(['app']), false);
  index.addObserved(0, 'a', { App: 'DB', other: 'x' });
  index.addObserved(1, 'b', { app: 'db', APP: 'Web' });
  index.addObserved(1, 'c', { app: 'db' });
  assert.deepEqual(counts(index.hostsWithLabel('app', 'db')), { 0: 1, 1: 1 });
  assert.deepEqual(counts(index.hostsWithLabel('app', 'web')), { 1: 1 });
  assert.deepEqual(counts(index.hostsWithLabel('other', 'x')), {}, 'a key no rule names is not indexed');
});

test('container index: a label value equal to an indexed key is a value, not a key', () => {
  const index = new ContainerIndex(new Set(['app', 'tier']), false);
  index.addObserved(2, 'a', { app: 'tier', Tier: 'front' });
  assert.deepEqual(counts(index.hostsWithLabel('app', 'tier')), { 2: 1 });
  assert.deepEqual(counts(index.hostsWithLabel('tier', 'front')), { 2: 1 });
});

test('container index: host counts asked for before a placement follow it, and its rollback', () => {
  const index = new ContainerIndex(new Set([STACK_SERVICE, UNIT]), true);
  const members: UnitMember[] = [
    { namePrefix: 's-web-', labels: new ServiceLabels({}, 'S', 'web', undefined) },
    { namePrefix: 's-web-log-', labels: new ServiceLabels({}, 'S', 'log', 'web') },
  ];
  const web = index.hostsWithLabel(STACK_SERVICE, 's/web');
  const unit2 = index.hostsWithLabel(UNIT, 's-web-2');
  const named = index.hostsWithName('s-web-log-2');
  assert.equal(web.size, 0);
  index.countUnit(4, members, 2, 1);
  index.countUnit(7, members, 3, 1);
  assert.deepEqual(counts(web), { 4: 2, 7: 2 }, 'primary and sidekick carry the stack_service label of the primary');
  assert.deepEqual(counts(unit2), { 4: 2 });
  assert.deepEqual(counts(named), { 4: 1 });
  index.countUnit(4, members, 2, -1);
  assert.deepEqual(counts(web), { 7: 2 });
  assert.equal(unit2.size, 0);
  assert.equal(index.hostsWithLabel(UNIT, 's-web-2'), unit2, 'the same map stays');
});

test('unit labels: one value per instance is the value of the whole lookup', () => {
  const own = { Tier: 'DB', 'IO.Rancher.Service.Deployment.Unit': 'Pinned' };
  for (const labels of [new ServiceLabels({ Tier: 'DB' }, 'Shop', 'Log', 'web'), new ServiceLabels(own, 'Shop', 'db', undefined)]) {
    for (const instance of [1, 12]) {
      const lookup = labels.forInstance(instance);
      for (const key of ['tier', UNIT, STACK_SERVICE, 'io.rancher.stack.name', 'io.rancher.service.launch.config', 'missing']) {
        assert.equal(labels.valueFor(key, instance), lookup.get(key), `${key} of instance ${instance}`);
      }
    }
  }
});

test('host tally: the same counts as a map, through two hosts in fields and more in a map, any order of changes', () => {
  const tally = new HostTally();
  const reference = new Map<number, number>();
  let seed = 11;
  for (let step = 0; step < 2000; step++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const host = seed % 6;
    const delta = seed % 3 === 0 ? -1 : 1;
    tally.change(host, delta);
    const count = (reference.get(host) ?? 0) + delta;
    if (count > 0) reference.set(host, count);
    else reference.delete(host);
    assert.equal(tally.size, reference.size, `size after step ${step}`);
    for (let other = 0; other < 6; other++) {
      assert.equal(tally.has(other), reference.has(other));
      assert.equal(tally.count(other), reference.get(other) ?? 0);
    }
    assert.deepEqual([...tally.keys()].sort(), [...reference.keys()].sort());
  }
  assert.equal(tally.has(-1), false);
});
