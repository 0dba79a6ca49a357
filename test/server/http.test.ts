import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type ApiController, createApiServer } from '../../src/server/http.js';
import type { StackStatus } from '../../src/status/stack-status.js';

const web: StackStatus = { name: 'web', sync: 'Synced', health: 'Healthy', message: 'converged', services: [], endpoints: [], events: [] };
const calls: string[] = [];
const controller: ApiController = {
  stacks: () => [web],
  stack: (name) => (name === 'web' ? web : undefined),
  requestSync: (stack) => {
    calls.push(`sync ${stack ?? 'all'}`);
  },
  requestFetch: (reason) => {
    calls.push(`fetch ${reason}`);
  },
  webhookSecret: () => 'top-secret',
  metrics: async () => 'corral_reconcile_passes_total 3\n',
  webhookDelivered: (provider, result) => {
    calls.push(`webhook ${provider} ${result}`);
  },
};
const TOKEN = 'api-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
let server: Server;
let base: string;

before(async () => {
  server = createApiServer(controller, { token: TOKEN });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('GET /healthz, /metrics, /api/v1/stacks and /api/v1/stacks/NAME', async () => {
  assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
  const metrics = await fetch(`${base}/metrics`);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(await metrics.text(), /corral_reconcile_passes_total 3/);
  assert.deepEqual(await (await fetch(`${base}/api/v1/stacks`)).json(), [web]);
  assert.deepEqual(await (await fetch(`${base}/api/v1/stacks/web`)).json(), web);
  const missing = await fetch(`${base}/api/v1/stacks/nope`);
  assert.equal(missing.status, 404);
});

test('POST /api/v1/sync converges all stacks or one; an unknown stack is 404', async () => {
  assert.equal((await fetch(`${base}/api/v1/sync`, { method: 'POST', headers: auth })).status, 202);
  assert.equal((await fetch(`${base}/api/v1/sync?stack=web`, { method: 'POST', headers: auth })).status, 202);
  assert.equal((await fetch(`${base}/api/v1/sync?stack=nope`, { method: 'POST', headers: auth })).status, 404);
  assert.deepEqual(calls.splice(0), ['sync all', 'sync web']);
});

test('POST /api/v1/webhook fetches only with the right secret', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  assert.equal((await fetch(`${base}/api/v1/webhook`, { method: 'POST', body, headers: { 'x-gitlab-token': 'nope' } })).status, 401);
  assert.deepEqual(calls.splice(0), ['webhook gitlab rejected']);
  assert.equal((await fetch(`${base}/api/v1/webhook`, { method: 'POST', body })).status, 401);
  assert.deepEqual(calls.splice(0), ['webhook unknown rejected']);
  assert.equal((await fetch(`${base}/api/v1/webhook`, { method: 'POST', body, headers: { 'x-gitlab-token': 'top-secret' } })).status, 202);
  assert.deepEqual(calls.splice(0), ['webhook gitlab accepted', 'fetch gitlab push to main']);
});

test('wrong methods and unknown paths get 405 and 404 with what exists', async () => {
  assert.equal((await fetch(`${base}/api/v1/sync`)).status, 405);
  const unknown = await fetch(`${base}/api/v2/things`);
  assert.equal(unknown.status, 404);
  assert.match(((await unknown.json()) as { error: string }).error, /\/api\/v1\/stacks/);
});
