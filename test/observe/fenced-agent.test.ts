/**
 * The fenced agent against a real HTTP server on a unix socket and on loopback TCP: a request
 * made while the fence was open but closed before the request could leave sends nothing, on a
 * new connection and on a kept-alive one. (Docker's side, over unix, TLS and ssh: test/e2e/apply-fence.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { fencedHttpAgent, isFencedError } from '../../src/observe/fenced-agent.js';

/** What the server received: each request's method, path and body, and the connections opened. */
interface Received {
  requests: string[];
  connections: number;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-fence-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function listening(where: 'unix' | 'tcp'): Promise<{ server: Server; received: Received; target: object }> {
  const received: Received = { requests: [], connections: 0 };
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      received.requests.push(`${req.method} ${req.url} ${text}`);
      res.end('ok');
    });
  });
  server.on('connection', () => {
    received.connections += 1;
  });
  const socketPath = join(dir, `${where}-${Math.random().toString(36).slice(2)}.sock`);
  await new Promise<void>((resolve) => (where === 'unix' ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const target = where === 'unix' ? { socketPath } : { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  return { server, received, target };
}

function body(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => resolve(text));
  });
}

/** Sends a POST; `afterMade` runs right after the request is made, before anything can leave. */
function post(
  target: object,
  agent: ReturnType<typeof fencedHttpAgent>,
  path: string,
  afterMade = () => {},
): Promise<{ answer: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, agent, method: 'POST', path }, (res) => {
      void body(res).then((answer) => resolve({ answer, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(`body of ${path}`);
    afterMade();
  });
}

function closeAll(server: Server, agent: ReturnType<typeof fencedHttpAgent>): Promise<void> {
  agent.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

for (const where of ['unix', 'tcp'] as const) {
  test(`${where}: a request whose fence closed before it left sends nothing, on a new connection`, async () => {
    const { server, received, target } = await listening(where);
    let reason: string | undefined;
    const agent = fencedHttpAgent(() => reason);
    try {
      const refused = post(target, agent, '/containers/create', () => {
        reason = 'the lease ran out';
      });
      await assert.rejects(refused, (err) => isFencedError(err) && err.message === 'the lease ran out');
      // The server may have accepted the connection; it never got a byte of the request.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(received.requests, []);
    } finally {
      await closeAll(server, agent);
    }
  });

  test(`${where}: the same on a kept-alive connection; while the fence holds, requests go through on one connection`, async () => {
    const { server, received, target } = await listening(where);
    let reason: string | undefined;
    const agent = fencedHttpAgent(() => reason);
    try {
      assert.deepEqual(await post(target, agent, '/one'), { answer: 'ok', reused: false });
      assert.deepEqual(await post(target, agent, '/two'), { answer: 'ok', reused: true });
      const refused = post(target, agent, '/three', () => {
        reason = 'the lease ran out';
      });
      await assert.rejects(refused, (err) => isFencedError(err) && err.message === 'the lease ran out');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(received.requests, ['POST /one body of /one', 'POST /two body of /two']);
      assert.equal(received.connections, 1);
    } finally {
      await closeAll(server, agent);
    }
  });
}

test('a fence that opens again lets the next request through on a new connection', async () => {
  const { server, received, target } = await listening('unix');
  let reason: string | undefined = 'not the leader';
  const agent = fencedHttpAgent(() => reason);
  try {
    await assert.rejects(post(target, agent, '/refused'), (err) => isFencedError(err) && err.message === 'not the leader');
    reason = undefined;
    assert.deepEqual(await post(target, agent, '/sent'), { answer: 'ok', reused: false });
    assert.deepEqual(received.requests, ['POST /sent body of /sent']);
  } finally {
    await closeAll(server, agent);
  }
});

test("an agent's inspection names its class and counts its sockets, without walking them (docker-modem inspects every request's options)", async () => {
  const { server, target } = await listening('unix');
  const agent = fencedHttpAgent(() => undefined);
  try {
    await post(target, agent, '/one');
    const options = { path: '/containers/json', method: 'GET', agent };
    assert.equal(
      inspect(options, { showHidden: true, depth: null, breakLength: Number.POSITIVE_INFINITY }),
      "{ path: '/containers/json', method: 'GET', agent: FencedAgent { sockets: 0, free: 1 } }",
    );
  } finally {
    await closeAll(server, agent);
  }
});
