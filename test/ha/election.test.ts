import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import winston from 'winston';
import { LeaderElection } from '../../src/ha/election.js';
import type { CreateResult, EtcdGateway, KeyValue } from '../../src/ha/etcd.js';
import type { LeadershipChange } from '../../src/ha/leadership.js';

const TTL_S = 1;
const MARGIN_MS = 200;

/**
 * One key and leases that never expire, answering the way a network answer comes: after the
 * timers of the event loop's turn (setImmediate), so a timer that is due runs first.
 */
class FakeEtcd {
  grants = 0;
  keepAlives = 0;
  keepAlivesAnswered = 0;
  getsAnswered = 0;
  revokes = 0;
  /** Keep-alives of the first lease are answered this late (ms): each after the fence has closed. */
  firstLeaseAnswersAfterMs = 0;
  /** While set, keep-alives are answered only when `releaseKeepAlives` is called (etcd or the network is slow). */
  holdKeepAlives = false;
  private held: (() => void)[] = [];
  private watchEnds: ((reason: string) => void)[] = [];
  private kv?: KeyValue;
  private revision = 1;

  grant(): Promise<{ id: string; ttlSeconds: number }> {
    this.grants += 1;
    return later({ id: String(this.grants), ttlSeconds: TTL_S });
  }

  keepAlive(lease: string): Promise<number> {
    this.keepAlives += 1;
    const answered = (ttl: number) => {
      this.keepAlivesAnswered += 1;
      return ttl;
    };
    if (lease === '1' && this.firstLeaseAnswersAfterMs > 0)
      return new Promise((resolve) => setTimeout(() => resolve(answered(TTL_S)), this.firstLeaseAnswersAfterMs));
    if (!this.holdKeepAlives) return later(TTL_S).then(answered);
    return new Promise((resolve) => this.held.push(() => resolve(answered(TTL_S))));
  }

  releaseKeepAlives(): void {
    this.holdKeepAlives = false;
    for (const answer of this.held.splice(0)) answer();
  }

  get(): Promise<{ revision: string; kv?: KeyValue }> {
    return later({ revision: String(this.revision), ...(this.kv ? { kv: this.kv } : {}) }).then((read) => {
      this.getsAnswered += 1;
      return read;
    });
  }

  createIfAbsent(_key: string, value: string, lease: string): Promise<CreateResult> {
    if (this.kv) return later({ created: false, revision: String(this.revision), holder: this.kv });
    this.revision += 1;
    this.kv = { value, lease, createRevision: String(this.revision) };
    return later({ created: true, revision: String(this.revision) });
  }

  watch(_key: string, _from: string, _onEvent: unknown, onEnd: (reason: string) => void): () => void {
    this.watchEnds.push(onEnd);
    return () => undefined;
  }

  /** Ends the watches: the election reads the key again. */
  endWatches(): void {
    for (const end of this.watchEnds.splice(0)) end('the watch stream ended');
  }

  /** Revoking the lease that holds the key deletes the key, as etcd does. */
  revoke(lease: string): Promise<void> {
    this.revokes += 1;
    if (this.kv?.lease === lease) this.kv = undefined;
    return later(undefined);
  }

  close(): void {}
}

function later<T>(value: T): Promise<T> {
  return new Promise((resolve) => setImmediate(() => resolve(value)));
}

async function until(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function electionOn(etcd: FakeEtcd, name: string): { election: LeaderElection; changes: LeadershipChange[] } {
  const election = new LeaderElection({
    config: {
      endpoints: ['http://etcd.invalid:2379'],
      leaseTtlSeconds: TTL_S,
      electionKey: `corral-test/${name}`,
      safetyMarginMs: MARGIN_MS,
    },
    replica: name,
    etcd: etcd as unknown as EtcdGateway,
    logger: winston.createLogger({ silent: true }),
  });
  const changes: LeadershipChange[] = [];
  election.onChange((change) => changes.push(change));
  election.start();
  return { election, changes };
}

test('a leader whose event loop stalled past its fence (not past its lease) steps down, renews the same lease and leads again', async () => {
  const etcd = new FakeEtcd();
  const { election, changes } = electionOn(etcd, 'stalled');
  try {
    await until('it leads', () => election.role() === 'leader');
    const renewed = etcd.keepAlivesAnswered;
    await until('a keep-alive was answered', () => etcd.keepAlivesAnswered > renewed);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Synchronous work on a starved CPU: the fence (sent + TTL - margin) closes meanwhile, the lease (sent + TTL) does not.
    const stalledUntil = performance.now() + TTL_S * 1000 - MARGIN_MS / 2;
    while (performance.now() < stalledUntil);
    assert.match(election.fence() ?? '', /could expire before the operation is done/);
    await until('it leads again', () => changes.length >= 2 && election.role() === 'leader');
    assert.deepEqual(
      changes.map((c) => c.role),
      ['leader', 'standby', 'leader'],
    );
    assert.equal(changes[1]?.reason, 'the lease could not be renewed before its deadline');
    assert.equal(etcd.grants, 1, 'the same lease, renewed: no new one');
    assert.equal(election.fence(), undefined);
  } finally {
    await election.stop();
  }
});

test('a leader that stepped down with its lease kept does not lead on reading the key again, only once a renewal reopens its fence', async () => {
  const etcd = new FakeEtcd();
  const { election, changes } = electionOn(etcd, 'unrenewed');
  try {
    await until('it leads', () => election.role() === 'leader');
    etcd.holdKeepAlives = true;
    await until('its fence closed', () => election.role() === 'standby');
    const reads = etcd.getsAnswered;
    etcd.endWatches();
    // The watch's end makes it read the key (250 ms later): still under its lease, but unconfirmed.
    await until('it read the key again', () => etcd.getsAnswered > reads);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      changes.map((c) => c.role),
      ['leader', 'standby'],
    );
    assert.match(election.fence() ?? '', /is a standby; no replica leads right now/);
    assert.equal(election.leader(), undefined, 'holding the key unconfirmed, it is named leader nowhere');
    etcd.releaseKeepAlives();
    await until('it leads again', () => election.role() === 'leader');
    assert.equal(etcd.grants, 1, 'the same lease, renewed: no new one');
  } finally {
    await election.stop();
  }
});

test('a replica whose renewals keep coming back after its fence closed gives its lease up after a TTL, so the key does not stay held with nobody leading', async () => {
  const etcd = new FakeEtcd();
  const { election, changes } = electionOn(etcd, 'late');
  try {
    await until('it leads', () => election.role() === 'leader');
    // Each renewal of the first lease is answered after TTL - margin (the fence closed) but before the TTL (etcd keeps it).
    etcd.firstLeaseAnswersAfterMs = TTL_S * 1000 - MARGIN_MS / 2;
    await until('it stepped down', () => election.role() === 'standby');
    assert.equal(election.leader(), undefined, 'nobody leads while it waits for a renewal in time');
    await until('it gave the first lease up', () => etcd.revokes === 1, 5000);
    await until('it leads under a new lease', () => election.role() === 'leader' && etcd.grants === 2, 5000);
    assert.deepEqual(
      changes.map((c) => c.role),
      ['leader', 'standby', 'leader'],
    );
  } finally {
    await election.stop();
  }
});
