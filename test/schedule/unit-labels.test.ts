import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceLabels } from '../../src/schedule/unit-labels.js';

test("unit labels: the service's labels lowercased, Rancher's system labels over them, the unit id per instance", () => {
  const labels = new ServiceLabels({ Tier: 'DB', 'io.rancher.stack.name': 'mine' }, 'Shop', 'Log', 'web').forInstance(3);
  assert.equal(labels.get('tier'), 'db');
  assert.equal(labels.get('io.rancher.stack.name'), 'shop');
  assert.equal(labels.get('io.rancher.stack_service.name'), 'shop/web');
  assert.equal(labels.get('io.rancher.service.deployment.unit'), 'shop-web-3');
  assert.equal(labels.get('io.rancher.service.launch.config'), 'log');
  assert.ok(labels.has('io.rancher.service.deployment.unit'));
  assert.equal(labels.has('Tier'), false);
});

test('unit labels: as when the labels are merged and lowercased, the last key of any case wins', () => {
  // The system label overwrites the exact key in place; a later key of another case then wins.
  const own = { 'io.rancher.service.deployment.unit': 'a', 'IO.Rancher.Service.Deployment.Unit': 'Pinned' };
  assert.equal(new ServiceLabels(own, 's', 'web', undefined).forInstance(2).get('io.rancher.service.deployment.unit'), 'pinned');
  const earlier = { 'IO.Rancher.Service.Deployment.Unit': 'Pinned' };
  assert.equal(new ServiceLabels(earlier, 's', 'web', undefined).forInstance(2).get('io.rancher.service.deployment.unit'), 's-web-2');
});

test('unit labels: read from the service labels when no own key is a system key or uppercase, as when merged', () => {
  const own = { tier: 'DB', 'io.rancher.sidekicks': 'log' };
  for (const [stack, service, primary] of [
    ['Shop', 'Log', 'web'],
    ['shop', 'db', undefined],
  ] as const) {
    const lean = new ServiceLabels(own, stack, service, primary);
    // With an uppercase key the labels are merged and lowercased into one map: the reference reading.
    const merged = new ServiceLabels({ ...own, Unused: 'x' }, stack, service, primary);
    const keys = [
      'tier',
      'io.rancher.sidekicks',
      'io.rancher.stack.name',
      'io.rancher.stack_service.name',
      'io.rancher.service.deployment.unit',
      'io.rancher.service.launch.config',
      'constructor',
      '__proto__',
      'missing',
    ];
    for (const instance of [1, 7]) {
      for (const key of keys) {
        assert.equal(lean.valueFor(key, instance), merged.valueFor(key, instance), `${service} ${key} ${instance}`);
        assert.equal(lean.forInstance(instance).get(key), merged.forInstance(instance).get(key), `${service} get ${key}`);
        assert.equal(lean.forInstance(instance).has(key), merged.forInstance(instance).has(key), `${service} has ${key}`);
      }
    }
  }
});
