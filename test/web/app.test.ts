import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { decryptAnswer } from '../../src/secrets/age.js';
import { type ApiController, createApiServer } from '../../src/server/http.js';
import { WebApp } from '../../src/web/app.js';
import { backend, PASSWORD, status, TEST_IDENTITY } from './fixtures.js';

const data = backend();
const syncs: string[] = [];
const api: ApiController = {
  stacks: () => data.statuses,
  stack: (name) => data.statuses.find((s) => s.name === name),
  requestSync: (stack) => void syncs.push(stack ?? 'all'),
  requestFetch: () => undefined,
  webhookSecret: () => undefined,
  metrics: async () => '',
  webhookDelivered: () => undefined,
};
const web = new WebApp({ backend: data, liveIntervalMs: 50 });
let server: Server;
let base: string;

before(async () => {
  server = createApiServer(api, { web });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  web.close();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${base}${path}`, { redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

const FORM = `stack=team-shop&version=2&answer.title=My+shop&answer.replicas=2&answer.mode=safe&answer.debug=false&answer.admin_password=${PASSWORD}&answer.port=8080`;

test('/ leads to the catalog; pages are HTML with a strict content security policy; the API is still there', async () => {
  const root = await get('/');
  assert.equal(root.status, 303);
  assert.equal(root.headers.get('location'), '/catalog');
  const catalog = await get('/catalog?q=shop');
  assert.equal(catalog.status, 200);
  assert.match(catalog.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(catalog.headers.get('content-security-policy') ?? '', /default-src 'none'.*script-src 'self'/);
  assert.match(catalog.text, /<p id="count" role="status">1 template<\/p>/);
  assert.equal((await get('/api/v1/stacks/db')).status, 200);
  assert.equal((await get('/api/v1/nope')).status, 404);
  assert.equal((await get('/nope')).status, 404);
  assert.match((await get('/assets/app.css')).headers.get('content-type') ?? '', /^text\/css/);
  assert.match((await get('/assets/app.js')).text, /EventSource/);
});

test('template pages, their versions and icons; unknown ones are 404', async () => {
  const page = await get('/catalog/library/shop');
  assert.equal(page.status, 200);
  assert.match(page.text, /About version 2\.0\.0/);
  assert.match((await get('/catalog/library/shop?version=1')).text, /About version 1\.0\.0/);
  assert.equal((await get('/catalog/library/shop?version=9')).status, 404);
  assert.equal((await get('/catalog/library/nope')).status, 404);
  assert.equal((await get('/catalog/other/shop')).status, 404);
  const icon = await get('/icons/library/shop');
  assert.equal(icon.status, 200);
  assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  assert.match(icon.headers.get('content-security-policy') ?? '', /sandbox/);
  assert.equal((await get('/icons/library/plain')).status, 404);
});

test('a bad answer is answered 422 with the error next to its field; the password is never sent back', async () => {
  const response = await post('/catalog/library/shop', FORM.replace('answer.replicas=2', 'answer.replicas=0'));
  assert.equal(response.status, 422);
  const text = await response.text();
  assert.match(text, /<p class="error" id="q1-replicas-error"><span class="sr">Error: <\/span>&quot;0&quot; is below the minimum 1/);
  assert.ok(!text.includes(PASSWORD));
});

test('without a writable remote, good answers give the file to commit, the password encrypted for the repository', async () => {
  const response = await post('/catalog/library/shop', FORM);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, /Ready to commit: team-shop/);
  assert.match(text, /<h2>stacks\/team-shop\/stack.yml<\/h2>/);
  assert.match(text, /replicas: &quot;2&quot;/);
  assert.ok(!text.includes(PASSWORD));
  const sealed = /admin_password: (ENC\[age,[A-Za-z0-9+/=]+\])/.exec(text)?.[1];
  assert.ok(sealed, text);
  assert.deepEqual(await decryptAnswer(sealed, [TEST_IDENTITY]), { value: PASSWORD });
});

test('a repository without recipients: the password cannot be written, and the form says why', async () => {
  const bare = new WebApp({ backend: backend(undefined, { recipients: false }) });
  const local = createApiServer(api, { web: bare });
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(local.address() as AddressInfo).port}/catalog/library/shop`, {
      method: 'POST',
      body: FORM,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.status, 422);
    const text = await response.text();
    assert.match(text, /id="q5-admin_password-error"><span class="sr">Error: <\/span>password answers are written encrypted/);
    assert.ok(!text.includes(PASSWORD));
  } finally {
    await new Promise<void>((resolve) => local.close(() => resolve()));
  }
});

test('a form posted from another site is refused', async () => {
  assert.equal((await post('/catalog/library/shop', FORM, { 'sec-fetch-site': 'cross-site' })).status, 403);
  assert.equal((await post('/catalog/library/shop', FORM, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await post('/catalog/library/shop', FORM, { 'sec-fetch-site': 'same-origin' })).status, 200);
});

test('stacks pages and their live parts', async () => {
  const list = await get('/stacks');
  assert.match(list.text, /<div id="live">/);
  assert.match(list.text, /<a href="\/stacks\/db">db<\/a>/);
  const fragment = await get('/stacks?fragment=live');
  assert.ok(fragment.text.startsWith('<p id="summary" data-announce>1 stack: 1 Synced; 1 Healthy.</p>'));
  assert.ok(!fragment.text.includes('<html'));
  assert.match((await get('/stacks/db')).text, /<h1>db<\/h1>/);
  assert.match((await get('/stacks/later?fragment=live')).text, /No status for <strong>later<\/strong> yet/);
});

test('the live feed says "status" when a stack changes, and only then', async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/live`, { signal: controller.signal });
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body?.getReader();
  assert.ok(reader);
  const decoder = new TextDecoder();
  let received = '';
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(received)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended; got ${received}`);
      received += decoder.decode(value);
    }
  };
  await readUntil(/retry: 2000\n\n/);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!received.includes('event: status'), 'nothing changed yet');
  data.statuses.push(status('shop2'));
  await readUntil(/event: status\ndata: 1\n\n/);
  data.statuses.pop();
  await readUntil(/event: status\ndata: 2\n\n/);
  controller.abort();
});

test('with a status version from the daemon, the live feed follows it instead of comparing statuses', async () => {
  let version = 0;
  const versioned = new WebApp({ backend: { ...backend(), statusVersion: () => version }, liveIntervalMs: 20 });
  const local = createApiServer(api, { web: versioned });
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  const controller = new AbortController();
  try {
    const response = await fetch(`http://127.0.0.1:${(local.address() as AddressInfo).port}/live`, { signal: controller.signal });
    const reader = response.body?.getReader();
    assert.ok(reader);
    let received = '';
    version = 1;
    while (!received.includes('event: status')) received += new TextDecoder().decode((await reader.read()).value);
    assert.match(received, /event: status\ndata: 1\n\n/);
  } finally {
    controller.abort();
    versioned.close();
    await new Promise<void>((resolve) => local.close(() => resolve()));
  }
});
