import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import { host, live, placement, stack } from './fixtures.js';

function atVersion(version: string, upgradeFrom?: string, command = 'sleep 1'): DesiredStack {
  const base = stack('web', { app: { command } });
  return { ...base, template: { ...base.template, version, ...(upgradeFrom ? { upgradeFrom } : {}) } };
}

function planFor(desired: DesiredStack, running: DesiredStack): string {
  const hosts = [host('h1', { networks: ['corral-web'], containers: live(desired, 'app', 1, 'h1', { from: running }) })];
  return formatPlan(plan([desired], [placement('web', [['app', 1, 'h1']])], { hosts }, { prune: true }));
}

test('an upgrade from a version outside upgrade_from is refused and changes nothing', () => {
  const text = planFor(atVersion('2.0.0', '>=1.5.0 <2.0.0', 'sleep 2'), atVersion('1.0.0'));
  assert.match(text, /upgrade of demo from 1\.0\.0 to 2\.0\.0 is not allowed: 2\.0\.0 accepts upgrades only from ">=1\.5\.0 <2\.0\.0"/);
  assert.doesNotMatch(text, /CreateContainer|RemoveContainer|StopContainer/);
});

test('an upgrade from inside the range, and any rollback, go ahead', () => {
  assert.match(planFor(atVersion('2.0.0', '>=1.5.0 <2.0.0', 'sleep 2'), atVersion('1.6.0')), /CreateContainer web-app-1 .*config changed/);
  assert.match(planFor(atVersion('1.0.0', '9.9.9', 'sleep 2'), atVersion('2.0.0')), /CreateContainer web-app-1 .*config changed/);
});
