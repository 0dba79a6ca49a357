/**
 * The API's guards against a real server on a loopback port: bearer token, read access,
 * webhook headers checked before any body, timeouts and the connection cap. Raw sockets
 * play the stalling clients. No test waits on a timer of its own: a guard that fails
 * leaves the socket open, and the test's own timeout fails it.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { type ApiController, type ApiServerOptions, createApiServer } from '../../src/server/http.js';

const TOKEN = 'k3y-for-the-api';
const SECRET = 'webhook-secret';
const TEST_TIMEOUT = { timeout: 15_000 };

function controller(calls: string[]): ApiController {
  return {
    stacks: () => [],
    stack: () => undefined,
    requestSync: (stack) => calls.push(`sync ${stack ?? 'all'}`),
    requestFetch: (reason) => calls.push(`fetch ${reason}`),
    webhookSecret: () => SECRET,
    metrics: async () => 'corral_up 1\n',
    webhookDelivered: (provider, result) => calls.push(`webhook ${provider} ${result}`),
  };
}

async function withServer(options: ApiServerOptions, body: (base: string, port: number, calls: string[]) => Promise<void>): Promise<void> {
  const calls: string[] = [];
  const server: Server = createApiServer(controller(calls), options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    await body(`http://127.0.0.1:${port}`, port, calls);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A raw connection that records what the server sends and when it closes. */
async function rawClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const opened = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on('error', () => {}); // a reset by the server is a close like any other here
  const closed = once(socket, 'close').then(() => Date.now() - opened);
  return { socket, received: () => received, closed };
}

const LONG = { headersTimeoutMs: 60_000, requestTimeoutMs: 120_000, idleTimeoutMs: 60_000 };

test(
  'POST /api/v1/sync: 401 without a token or with a wrong one, 202 with it; 403 when the daemon has no token',
  TEST_TIMEOUT,
  async () => {
    await withServer({ token: TOKEN }, async (base, _port, calls) => {
      const none = await fetch(`${base}/api/v1/sync`, { method: 'POST' });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="corral"');
      assert.match(
        ((await none.json()) as { error: string }).error,
        /POST \/api\/v1\/sync needs the API token: send Authorization: Bearer <CORRAL_API_TOKEN>/,
      );
      for (const header of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
        const wrong = await fetch(`${base}/api/v1/sync?stack=web`, { method: 'POST', headers: { authorization: header } });
        assert.equal(wrong.status, 401, header);
        assert.ok(!(await wrong.text()).includes(TOKEN), 'the token is never echoed');
      }
      assert.deepEqual(calls, [], 'nothing was triggered');
      const right = await fetch(`${base}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(right.status, 202);
      assert.deepEqual(calls, ['sync all']);
      const otherVerb = await fetch(`${base}/api/v1/stacks`, { method: 'DELETE' });
      assert.equal(otherVerb.status, 401, 'anything that is not a read needs the token, known route or not');
    });
    await withServer({}, async (base, _port, calls) => {
      const disabled = await fetch(`${base}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(disabled.status, 403);
      assert.match(((await disabled.json()) as { error: string }).error, /POST \/api\/v1\/sync is disabled: .*set CORRAL_API_TOKEN/);
      assert.deepEqual(calls, []);
    });
  },
);

test(
  'POST /api/v1/sync over a raw socket: without a token it is 401 from the headers, before the body it announces',
  TEST_TIMEOUT,
  async () => {
    await withServer({ token: TOKEN, limits: LONG }, async (_base, port, calls) => {
      for (const authorization of ['', `Authorization: Bearer ${TOKEN}-not\r\n`]) {
        const client = await rawClient(port);
        // A body is announced and never sent: only an answer from the headers can end this before the 60 s timeouts.
        client.socket.write(`POST /api/v1/sync HTTP/1.1\r\nHost: corral\r\n${authorization}Content-Length: 100000\r\n\r\n`);
        await client.closed;
        assert.match(client.received(), /^HTTP\/1\.1 401 Unauthorized\r\n/);
        assert.match(client.received(), /\r\nWWW-Authenticate: Bearer realm="corral"\r\n/i);
        assert.ok(!client.received().includes(TOKEN), 'the token is never echoed');
      }
      assert.deepEqual(calls, [], 'no pass was requested');
      const client = await rawClient(port);
      client.socket.write(`POST /api/v1/sync HTTP/1.1\r\nHost: corral\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      await client.closed;
      assert.match(client.received(), /^HTTP\/1\.1 202 /);
      assert.deepEqual(calls, ['sync all']);
    });
  },
);

test('reads are open by default; with read access "token" they need it, except /healthz', TEST_TIMEOUT, async () => {
  await withServer({ token: TOKEN }, async (base) => {
    assert.equal((await fetch(`${base}/api/v1/stacks`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
  });
  await withServer({ token: TOKEN, readAccess: 'token' }, async (base) => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    for (const path of ['/api/v1/stacks', '/api/v1/stacks/web', '/metrics']) {
      assert.equal((await fetch(`${base}${path}`)).status, 401, path);
      assert.notEqual((await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 401, path);
    }
  });
  await withServer({ readAccess: 'token' }, async (base) => {
    const closed = await fetch(`${base}/api/v1/stacks`);
    assert.equal(closed.status, 403);
    assert.match(((await closed.json()) as { error: string }).error, /api\.read: token/);
  });
});

test('a webhook with a wrong GitLab token is answered from its headers: the server never waits for the body', TEST_TIMEOUT, async () => {
  await withServer({ token: TOKEN, limits: LONG }, async (_base, port, calls) => {
    const client = await rawClient(port);
    // Announces a megabyte and sends none of it: only an answer from the headers can end this.
    client.socket.write(
      'POST /api/v1/webhook HTTP/1.1\r\nHost: corral\r\nX-Gitlab-Token: wrong\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n',
    );
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(client.received(), /X-Gitlab-Token does not match the configured webhook secret/);
    assert.deepEqual(calls, ['webhook gitlab rejected']);
  });
});

test('a webhook with neither secret header, or a declared body over 1 MiB, is refused before its body', TEST_TIMEOUT, async () => {
  await withServer({ limits: LONG }, async (_base, port, calls) => {
    const anonymous = await rawClient(port);
    anonymous.socket.write('POST /api/v1/webhook HTTP/1.1\r\nHost: corral\r\nContent-Length: 5000\r\n\r\n');
    await anonymous.closed;
    assert.match(anonymous.received(), /^HTTP\/1\.1 401 /);
    const huge = await rawClient(port);
    huge.socket.write(
      `POST /api/v1/webhook HTTP/1.1\r\nHost: corral\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`,
    );
    await huge.closed;
    assert.match(huge.received(), /^HTTP\/1\.1 413 /);
    assert.match(huge.received(), /body larger than 1048576 bytes/);
    assert.deepEqual(calls, ['webhook unknown rejected', 'webhook github too_large']);
  });
});

test(
  'a GitHub webhook body is read up to 1 MiB: a signed push under it is accepted, a chunked one over it is cut off',
  TEST_TIMEOUT,
  async () => {
    await withServer({ limits: LONG }, async (base, port, calls) => {
      const push = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(900 * 1024) });
      const signature = `sha256=${createHmac('sha256', SECRET).update(push).digest('hex')}`;
      const accepted = await fetch(`${base}/api/v1/webhook`, { method: 'POST', body: push, headers: { 'x-hub-signature-256': signature } });
      assert.equal(accepted.status, 202);
      const client = await rawClient(port);
      client.socket.write(
        'POST /api/v1/webhook HTTP/1.1\r\nHost: corral\r\nX-Hub-Signature-256: sha256=00\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = 'y'.repeat(256 * 1024);
      for (let i = 0; i < 5 && !client.socket.destroyed; i += 1) client.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await client.closed;
      assert.match(client.received(), /^HTTP\/1\.1 413 /);
      assert.deepEqual(calls, ['webhook github accepted', 'fetch github push to main', 'webhook github too_large']);
    });
  },
);

test('stalled connections are closed by the server: in the headers, in the body, and idle between requests', TEST_TIMEOUT, async () => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 700, idleTimeoutMs: 300 };
  await withServer({ token: TOKEN, limits }, async (_base, port) => {
    const silent = await rawClient(port);
    const halfHeaders = await rawClient(port);
    halfHeaders.socket.write('GET /api/v1/stacks HTTP/1.1\r\nHost: corral\r\n');
    const halfBody = await rawClient(port);
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    halfBody.socket.write(
      `POST /api/v1/webhook HTTP/1.1\r\nHost: corral\r\nX-Gitlab-Token: ${SECRET}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    const idle = await rawClient(port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: corral\r\nConnection: keep-alive\r\n\r\n');

    const [silentMs, headersMs, bodyMs, idleMs] = await Promise.all([silent.closed, halfHeaders.closed, halfBody.closed, idle.closed]);
    assert.match(idle.received(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\nok\n/, 'answered first, then closed when idle');
    assert.doesNotMatch(halfBody.received(), / 202 /, 'the half-sent push was never accepted');
    // Each was closed by its timeout, not at once.
    assert.ok(silentMs >= 250 && headersMs >= 250, `headers: ${silentMs} ms, ${headersMs} ms`);
    assert.ok(bodyMs >= 250, `body: ${bodyMs} ms`);
    assert.ok(idleMs >= 250, `idle: ${idleMs} ms`);
  });
});

test('connections beyond the cap are closed at once; a freed slot takes the next one', TEST_TIMEOUT, async () => {
  await withServer({ token: TOKEN, limits: { ...LONG, maxConnections: 2 } }, async (_base, port) => {
    const first = await rawClient(port);
    const second = await rawClient(port);
    const third = await rawClient(port);
    await third.closed;
    assert.equal(third.received(), '', 'dropped without an answer');
    assert.ok(!first.socket.destroyed && !second.socket.destroyed);
    first.socket.destroy();
    await first.closed;
    const fourth = await rawClient(port);
    fourth.socket.write('GET /healthz HTTP/1.1\r\nHost: corral\r\nConnection: close\r\n\r\n');
    await fourth.closed;
    assert.match(fourth.received(), /^HTTP\/1\.1 200 OK/);
    second.socket.destroy();
  });
});
