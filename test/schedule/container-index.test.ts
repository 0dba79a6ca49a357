import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContainerIndex, type UnitMember } from '../../src/schedule/container-index.js';
import { ServiceLabels } from '../../src/schedule/unit-labels.js';

const STACK_SERVICE = 'io.rancher.stack_service.name';
const UNIT = 'io.rancher.service.deployment.unit';
const counts = (map: ReadonlyMap<number, number>) => Object.fromEntries(map);

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
