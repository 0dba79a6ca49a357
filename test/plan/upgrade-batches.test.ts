/** Upgrades in the plan: batches of upgrade_strategy.batch_size, a gate after each, services in dependency order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import { healthCheckSpec } from '../fixtures/health.js';
import { host, IMAGE, live, placement, stack } from './fixtures.js';

const check = healthCheckSpec({ initializingTimeoutMs: 30_000 });

function shop(tag: string): DesiredStack {
  return stack('shop', {
    web: {
      image: `web:${tag}`,
      scale: 5,
      links: ['db:database'],
      upgrade: { batchSize: 2, intervalMs: 500, startFirst: false, minReadyMs: 3000 },
    },
    db: { image: `db:${tag}`, healthCheck: check },
  });
}

test('an upgrade: the linked db first, then web two units at a time; each batch waits for the gates of the one before', () => {
  const before = shop('1');
  const after = shop('2');
  const where: [string, number, string][] = [['db', 1, 'h1'], ...[1, 2, 3, 4, 5].map((n): [string, number, string] => ['web', n, 'h1'])];
  const containers = where.flatMap(([service, n, h]) => live(after, service, n, h, { from: before }));
  const observed = host('h1', { networks: ['corral-shop'], images: ['web:1', 'web:2', 'db:1', 'db:2', IMAGE], containers });
  const text = formatPlan(plan([after], [placement('shop', where)], { hosts: [observed] }, { prune: true }));
  const lines = text.split('\n');
  const gates = lines.filter((line) => line.includes('AwaitReady'));
  assert.deepEqual(gates, [
    '  #5 h1 AwaitReady shop-db-1 after #4: batch 1/1 of db, gate: healthy by its health_check, within 30 s',
    "  #10 h1 AwaitReady shop-web-1 after #9: batch 1/3 of web, gate: healthy by Docker's HEALTHCHECK or 3 s running without a restart, within 60 s; then 0.5 s before the next batch",
    "  #15 h1 AwaitReady shop-web-2 after #14: batch 1/3 of web, gate: healthy by Docker's HEALTHCHECK or 3 s running without a restart, within 60 s; then 0.5 s before the next batch",
    "  #20 h1 AwaitReady shop-web-3 after #19: batch 2/3 of web, gate: healthy by Docker's HEALTHCHECK or 3 s running without a restart, within 60 s; then 0.5 s before the next batch",
    "  #25 h1 AwaitReady shop-web-4 after #24: batch 2/3 of web, gate: healthy by Docker's HEALTHCHECK or 3 s running without a restart, within 60 s; then 0.5 s before the next batch",
    "  #30 h1 AwaitReady shop-web-5 after #29: batch 3/3 of web, gate: healthy by Docker's HEALTHCHECK or 3 s running without a restart, within 60 s",
  ]);
  const stops = lines.filter((line) => line.includes('StopContainer')).map((line) => line.replace(/: config changed.*/, ''));
  assert.deepEqual(stops, [
    '  #1 h1 StopContainer shop-db-1',
    '  #6 h1 StopContainer shop-web-1 after #5',
    '  #11 h1 StopContainer shop-web-2 after #5',
    '  #16 h1 StopContainer shop-web-3 after #10,#15',
    '  #21 h1 StopContainer shop-web-4 after #10,#15',
    '  #26 h1 StopContainer shop-web-5 after #20,#25',
  ]);
  assert.ok(lines.includes('  #18 h1 CreateContainer shop-web-3 after #10,#15,#17: config changed: image'), text);
});

test('recreating a dead container is not an upgrade: no batches, no gate', () => {
  const s = stack('solo', { db: {} });
  const observed = host('h1', { networks: ['corral-solo'], containers: live(s, 'db', 1, 'h1', { state: 'dead' }) });
  const text = formatPlan(plan([s], [placement('solo', [['db', 1, 'h1']])], { hosts: [observed] }, { prune: true }));
  assert.match(text, /CreateContainer solo-db-1 .*dead, recreate/);
  assert.doesNotMatch(text, /AwaitReady/);
});

test('an upgrade whose earlier batch left a new container that is not ready is held: the other units keep the old version', () => {
  const before = stack('web', { app: { image: 'app:1', scale: 3 } });
  const after = stack('web', { app: { image: 'app:2', scale: 3 } });
  const containers = [
    ...live(after, 'app', 1, 'h1', { state: 'restarting' }),
    ...live(after, 'app', 2, 'h1', { from: before }),
    ...live(after, 'app', 3, 'h1', { from: before }),
  ];
  const observed = host('h1', { networks: ['corral-web'], images: ['app:1', 'app:2', IMAGE], containers });
  const where: [string, number, string][] = [1, 2, 3].map((n) => ['app', n, 'h1']);
  assert.equal(
    formatPlan(plan([after], [placement('web', where)], { hosts: [observed] }, { prune: true })),
    `stack web
  error: upgrade of app held: web-app-1 (restarting) runs the new configuration but is not ready; 2 units keep the old one until a new commit fixes or reverts it
`,
  );
});
