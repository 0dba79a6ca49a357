/**
 * Leader election on the fleet's real 3-member etcd: replicas in this process, each with its own
 * client. A replica is cut off from etcd through a TCP relay the test can freeze, which is how a
 * network partition looks to it. Keys are unique per run, so runs never meet.
 */

import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import winston from 'winston';
import type { HaConfig } from '../../src/config/ha.js';
import { LeaderElection } from '../../src/ha/election.js';
import { EtcdGateway } from '../../src/ha/etcd.js';
import { requestTimeoutMs } from '../../src/ha/fence.js';
import type { LeadershipChange } from '../../src/ha/leadership.js';
import { waitFor } from './daemon-harness.js';
import { ensureFleet } from './fleet.js';

const TTL_S = 3;
const MARGIN_MS = 500;
let endpoints: string[];
const running: LeaderElection[] = [];
const relays: Relay[] = [];
const quiet = winston.createLogger({ level: 'error', transports: [new winston.transports.Stream({ stream: process.stderr })] });

before(async () => {
  endpoints = (await ensureFleet()).etcdEndpoints;
});

after(async () => {
  await Promise.all(running.map((e) => e.stop()));
  for (const relay of relays) relay.close();
});

function haConfig(key: string): HaConfig {
  return { endpoints, leaseTtlSeconds: TTL_S, electionKey: key, safetyMarginMs: MARGIN_MS };
}

/** A replica's election with a log of its role changes, each with the monotonic time it happened. */
function replica(name: string, key: string, via = endpoints) {
  const changes: (LeadershipChange & { at: number })[] = [];
  const etcd = new EtcdGateway({ endpoints: via, timeoutMs: requestTimeoutMs(TTL_S) });
  const election = new LeaderElection({ config: { ...haConfig(key), endpoints: via }, replica: name, etcd, logger: quiet });
  election.onChange((change) => changes.push({ ...change, at: performance.now() }));
  running.push(election);
  election.start();
  return { election, changes };
}

function uniqueKey(what: string): string {
  return `corral-test/${what}-${process.pid}-${Date.now()}`;
}

test('two replicas: exactly one leads, the other knows who; a resigning leader hands over at once', async () => {
  const key = uniqueKey('resign');
  const a = replica('replica-a', key);
  await waitFor('replica-a leads', 10_000, async () => a.election.role() === 'leader');
  const b = replica('replica-b', key);
  await waitFor('replica-b reads the key', 10_000, async () => b.election.leader() === 'replica-a');
  assert.equal(b.election.role(), 'standby');
  assert.equal(a.election.fence(), undefined);
  assert.equal(b.election.fence(), 'not sent: this replica (replica-b) is a standby; replica-a leads');

  const stoppedAt = performance.now();
  await a.election.stop();
  await waitFor('replica-b leads', TTL_S * 1000, async () => b.election.role() === 'leader');
  const takeoverMs = (b.changes.at(-1)?.at ?? 0) - stoppedAt;
  // Renewed every TTL/3, the lease could not have expired by itself before TTL - TTL/3 after the stop.
  assert.ok(takeoverMs < (TTL_S * 1000 * 2) / 3, `took ${Math.round(takeoverMs)} ms: a revoked lease frees the key at once`);
  assert.equal(b.election.fence(), undefined);
  assert.deepEqual(
    a.changes.map((c) => c.role),
    ['leader', 'standby'],
  );
  assert.equal(a.election.fence()?.startsWith('not sent: this replica (replica-a) is a standby'), true);
  assert.deepEqual(b.election.counts().changes, { leader: 1, standby: 0 });
});

test('a leader cut off from etcd closes its fence before its lease can expire; the standby leads only after that', async () => {
  const key = uniqueKey('partition');
  const relay = await Relay.to(endpoints[0] as string);
  relays.push(relay);
  const a = replica('cut-off', key, [relay.url]);
  await waitFor('cut-off leads', 10_000, async () => a.election.role() === 'leader');
  const b = replica('standby', key);
  await waitFor('standby reads the key', 10_000, async () => b.election.leader() === 'cut-off');

  relay.freeze();
  const frozenAt = performance.now();
  // The last keep-alive answered left before the freeze: the fence closes by then + TTL - margin.
  const remainingAtFreeze = a.election.leaseRemainingMs();
  assert.ok(remainingAtFreeze > 0 && remainingAtFreeze <= TTL_S * 1000 - MARGIN_MS, `the fence had ${remainingAtFreeze} ms left`);
  await waitFor('the standby leads', (TTL_S + 3) * 1000, async () => b.election.role() === 'leader');
  const fenceClosedAt = a.changes.find((c) => c.role === 'standby')?.at;
  const takeoverAt = b.changes.find((c) => c.role === 'leader')?.at;
  assert.ok(fenceClosedAt !== undefined && takeoverAt !== undefined);
  assert.ok(
    fenceClosedAt < takeoverAt,
    `the cut-off leader stopped at +${fenceClosedAt - frozenAt} ms, the standby led at +${takeoverAt - frozenAt} ms`,
  );
  assert.match(a.election.fence() ?? '', /^not sent: this replica \(cut-off\) is a standby/);
  assert.equal(a.election.counts().refusedOperations >= 1, true);

  relay.thaw();
  await waitFor('cut-off reads the new leader', 10_000, async () => a.election.leader() === 'standby');
  assert.equal(a.election.role(), 'standby');
});

test('a leader whose key is deleted by hand steps down at once, and someone leads again', async () => {
  const key = uniqueKey('deleted');
  const a = replica('only', key);
  await waitFor('only leads', 10_000, async () => a.election.role() === 'leader');
  const etcd = new EtcdGateway({ endpoints, timeoutMs: 2000 });
  const read = await etcd.get(key);
  assert.equal(read.kv?.value, 'only');
  await fetch(`${endpoints[0]}/v3/kv/deleterange`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64') }) });
  await waitFor('only steps down (the watch tells it)', 5000, async () => a.changes.some((c) => c.role === 'standby'));
  assert.match(a.changes.find((c) => c.role === 'standby')?.reason ?? '', /deleted/);
  await waitFor('only leads again', 5000, async () => a.election.role() === 'leader');
  etcd.close();
});

test('etcd unreachable: the replica stays a standby, says so once, and leads when etcd answers', async () => {
  const key = uniqueKey('unreachable');
  const relay = await Relay.to(endpoints[1] as string);
  relays.push(relay);
  relay.freeze();
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream })], format: winston.format.json() });
  const etcd = new EtcdGateway({ endpoints: [relay.url], timeoutMs: requestTimeoutMs(TTL_S) });
  const election = new LeaderElection({ config: { ...haConfig(key), endpoints: [relay.url] }, replica: 'patient', etcd, logger });
  running.push(election);
  election.start();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(election.role(), 'standby');
  assert.equal(election.fence(), 'not sent: this replica (patient) is a standby; no replica leads right now');
  const problems = lines.filter((l) => l.includes('etcd problem'));
  assert.equal(problems.length, 1, problems.join(''));
  assert.match(problems[0] ?? '', /etcd is unreachable \(http:\/\/127\.0\.0\.1:\d+: /);
  relay.thaw();
  await waitFor('patient leads', 10_000, async () => election.role() === 'leader');
});

/** A TCP relay on loopback to one etcd member; frozen, it holds connections open and forwards nothing. */
class Relay {
  private frozen = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async to(endpoint: string): Promise<Relay> {
    const target = new URL(endpoint);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no relay address');
    const relay = new Relay(server, `http://127.0.0.1:${address.port}`);
    server.on('connection', (client) => relay.accept(client, target));
    return relay;
  }

  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  thaw(): void {
    this.frozen = false;
  }

  close(): void {
    this.freeze();
    this.server.close();
  }

  private accept(client: Socket, target: URL): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.frozen) return; // held open, never answered: a partition, not a refusal
    const upstream = connect(Number(target.port), target.hostname);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }
}
