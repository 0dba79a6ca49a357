/**
 * The Docker client's request timeout, against a real HTTP server on a unix socket: a request that
 * gets no answer fails saying it timed out and after how long (docker-modem's own timeout said
 * "ECONNRESET: socket hang up"), in the client's error and in what `observe` reports for the
 * host; a server that closes the connection is still a hang-up; one that answers in time answers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { describeError, dockerClient, observe } from '../../src/observe/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-client-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A server on a unix socket that treats every request with `handle`. */
async function dockerLike(handle: (res: ServerResponse) => void): Promise<{ server: Server; host: HostConfig }> {
  const server = createServer((req, res) => {
    req.resume();
    handle(res);
  });
  const socketPath = join(dir, `${Math.random().toString(36).slice(2)}.sock`);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const host: HostConfig = {
    name: 'h1',
    address: '127.0.0.1',
    labels: {},
    docker: { kind: 'unix', url: `unix://${socketPath}`, socketPath },
  };
  return { server, host };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

test('a request with no answer within the timeout fails saying it timed out after that time, not "socket hang up"', async () => {
  const { server, host } = await dockerLike(() => {}); // never answers
  try {
    const err = await dockerClient(host.docker, { timeoutMs: 300 })
      .info()
      .then(
        () => assert.fail('answered'),
        (e: unknown) => e,
      );
    assert.equal(describeError(err), 'ETIMEDOUT: request timed out: no answer within 0.3 s');
    const [observed] = (await observe([host], { clients: new Map([['h1', dockerClient(host.docker, { timeoutMs: 300 })]]) })).hosts;
    assert.equal(observed?.reachable, false);
    assert.equal(observed?.error, 'ETIMEDOUT: request timed out: no answer within 0.3 s');
  } finally {
    await close(server);
  }
});

test('a server that closes the connection without answering is still reported as a hang-up', async () => {
  const { server, host } = await dockerLike((res) => res.socket?.destroy());
  try {
    await assert.rejects(dockerClient(host.docker, { timeoutMs: 5000 }).info(), (err: unknown) => {
      assert.equal(describeError(err), 'ECONNRESET: socket hang up');
      return true;
    });
  } finally {
    await close(server);
  }
});

test('a server that answers in time is read, with the timeout and without', async () => {
  const { server, host } = await dockerLike((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"Name":"fake"}'));
  try {
    for (const options of [{ timeoutMs: 5000 }, {}]) {
      const info = (await dockerClient(host.docker, options).info()) as { Name: string };
      assert.equal(info.Name, 'fake');
    }
  } finally {
    await close(server);
  }
});
