/** An upgrade gate's verdict on a new container: healthy by its checks, or running min_ready without a restart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService } from '../../src/model/desired.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import { gateVerdict } from '../../src/status/container-health.js';

const NOW = Date.parse('2026-01-01T00:00:10Z');
const service: DesiredService = {
  name: 'app',
  compose: { labels: {}, environment: {} },
  rancher: {},
  scale: 1,
  global: false,
  sidekicks: [],
};

function container(parts: Partial<ObservedContainer> = {}, startedAt = '2026-01-01T00:00:07Z', restartCount = 0): ObservedContainer {
  return {
    id: 'c1',
    name: 'web-app-1',
    host: 'h1',
    image: 'app:2',
    labels: {},
    state: 'running',
    ports: [],
    runtime: { startedAt, restartCount },
    ...parts,
  };
}

test('with no check: ready once it has run min_ready without a restart', () => {
  assert.deepEqual(gateVerdict(container(), service, 5000, NOW), { ready: false, detail: 'running 3 s of min_ready 5 s' });
  assert.deepEqual(gateVerdict(container(), service, 3000, NOW), { ready: true, detail: 'running 3 s without a restart' });
  assert.equal(gateVerdict(container({}, '2026-01-01T00:00:04Z', 2), service, 5000, NOW).ready, false, 'restarted 6 s ago: not settled');
});

test('Docker HEALTHCHECK decides when there is one; stopped, restarting or missing is never ready', () => {
  assert.deepEqual(gateVerdict(container({ health: 'healthy' }), service, 60_000, NOW), {
    ready: true,
    detail: 'healthy: Docker HEALTHCHECK passes',
  });
  assert.equal(gateVerdict(container({ health: 'starting' }), service, 0, NOW).ready, false);
  assert.deepEqual(gateVerdict(container({ state: 'exited', exitCode: 3 }), service, 0, NOW), {
    ready: false,
    detail: 'exited (exit code 3)',
  });
  assert.equal(gateVerdict(container({ state: 'restarting' }), service, 0, NOW).ready, false);
  assert.deepEqual(gateVerdict(undefined, service, 0, NOW), { ready: false, detail: 'not found' });
});
