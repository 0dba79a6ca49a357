import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import winston from 'winston';
import { LeaderElection } from '../../src/ha/election.js';
import { EtcdGateway, type EtcdOptions } from '../../src/ha/etcd.js';
import type { LeadershipChange } from '../../src/ha/leadership.js';
import { type KeepLease, keepInWorker, monotonicMs, type WorkerKeeperOptions } from '../../src/ha/lease-keeper.js';

/**
 * The lease kept from a worker thread, against a real etcd (the etcd binary, one member on free
 * local ports, in a process of its own so that it answers while this thread is blocked).
 */
// Long enough that a loaded machine (load 12 to 20 on 2 CPUs) runs the worker within each renewal's budget.
const TTL_S = 4;
const MARGIN_MS = 1000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BUNDLED_WORKER = join(ROOT, 'dist', 'bundle', 'lease-keeper-worker.js');

let etcdProcess: ChildProcess | undefined;
let etcdOptions: EtcdOptions;
let dataDir: string;
let elections = 0;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'corral-etcd-data-'));
  const [client, peer] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const started = spawn(
    'etcd',
    [
      '--name=keeper-test',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=keeper-test=${peerUrl}`,
    ],
    { stdio: 'ignore' },
  );
  etcdProcess = started;
  const cannotStart = new Promise<never>((_resolve, reject) =>
    started.once('error', (err) =>
      reject(
        new Error(
          `cannot start etcd (${err.message}): these tests need the etcd binary, from Debian's etcd-server (scripts/fleet up installs it)`,
        ),
      ),
    ),
  );
  etcdOptions = { endpoints: [clientUrl], timeoutMs: 500 };
  const probe = new EtcdGateway(etcdOptions);
  try {
    await Promise.race([
      until('etcd answers', async () => (await probe.get('corral-test/probe').catch(() => undefined)) !== undefined, 20_000),
      cannotStart,
    ]);
  } finally {
    probe.close();
  }
});

after(() => {
  etcdProcess?.kill('SIGCONT');
  etcdProcess?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = monotonicMs() + timeoutMs;
  while (!(await condition())) {
    if (monotonicMs() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Synchronous work: nothing else runs on this thread meanwhile. */
function block(ms: number): void {
  const end = monotonicMs() + ms;
  while (monotonicMs() < end);
}

interface Elected {
  election: LeaderElection;
  changes: LeadershipChange[];
  errors: string[];
  key: string;
  /** Reads etcd's view of the key, from a client of its own. */
  holder: () => Promise<{ lease: string; createRevision: string } | undefined>;
  close: () => Promise<void>;
}

async function leaderWithWorker(keeper: Partial<WorkerKeeperOptions> = {}): Promise<Elected> {
  return leaderWith(keepInWorker({ etcd: etcdOptions, safetyMarginMs: MARGIN_MS, ...keeper }));
}

async function leaderWith(keepLease: KeepLease): Promise<Elected> {
  elections += 1;
  const key = `corral-test/keeper-${process.pid}-${elections}`;
  const errors: string[] = [];
  const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
  logger.on('data', (entry: { message: string }) => errors.push(entry.message));
  const election = new LeaderElection({
    config: { endpoints: [...etcdOptions.endpoints], leaseTtlSeconds: TTL_S, electionKey: key, safetyMarginMs: MARGIN_MS },
    replica: `keeper-${elections}`,
    etcd: new EtcdGateway(etcdOptions),
    logger,
    keepLease,
  });
  const changes: LeadershipChange[] = [];
  election.onChange((change) => changes.push(change));
  election.start();
  const reader = new EtcdGateway(etcdOptions);
  const elected: Elected = {
    election,
    changes,
    errors,
    key,
    holder: async () => {
      const kv = (await reader.get(key)).kv;
      return kv ? { lease: kv.lease, createRevision: kv.createRevision } : undefined;
    },
    close: async () => {
      await election.stop();
      reader.close();
    },
  };
  await until('it leads', () => election.role() === 'leader');
  return elected;
}

for (const [which, script] of [
  ['tsc’s output', undefined],
  ['the bundle', pathToFileURL(BUNDLED_WORKER)],
] as const) {
  test(`a leader whose main thread is blocked longer than its lease keeps it: renewed from a worker thread (${which})`, async () => {
    const leader = await leaderWithWorker(script ? { script } : {});
    try {
      const before = await leader.holder();
      assert.ok(before);
      // Let the worker start and renew once, then block this thread for longer than the TTL.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      block(TTL_S * 1000 + 1500);
      assert.equal(leader.election.fence(), undefined, 'the fence is open right after the block');
      assert.equal(leader.election.role(), 'leader');
      assert.ok(leader.election.leaseRemainingMs() > 0);
      // etcd's view: the key was never deleted (a new holder would have a new create revision), so nobody led meanwhile.
      assert.deepEqual(await leader.holder(), before);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        leader.changes.map((c) => c.role),
        ['leader'],
        'no step-down after the block either',
      );
    } finally {
      await leader.close();
    }
  });
}

test('a leader whose main thread shows no heartbeat beyond the bound loses its lease, and leads again once it is back', async () => {
  const stuckAfterMs = 2500;
  const leader = await leaderWithWorker({ stuckAfterMs });
  try {
    const before = await leader.holder();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The worker stops renewing within a renewal interval after the bound; the lease expires a TTL later.
    block(stuckAfterMs + (TTL_S * 1000) / 3 + TTL_S * 1000 + 1000);
    assert.match(leader.election.fence() ?? '', /could expire before the operation is done/, 'the worker closed the fence');
    const after = await leader.holder();
    assert.notDeepEqual(after, before, 'etcd expired the lease and deleted the key');
    // Its deadline's timer (or the worker's report, whichever this thread reads first) makes it step down.
    await until('it stepped down', () => leader.changes.length >= 2);
    assert.equal(leader.changes[1]?.role, 'standby');
    await until('the worker’s report was logged', () => leader.errors.some((e) => e.includes('showed no sign of life')));
    await until(
      'it leads again under a new lease',
      async () => leader.election.role() === 'leader' && (await leader.holder())?.lease !== before?.lease,
    );
  } finally {
    await leader.close();
  }
});

test('the fence closes by the last answered renewal’s sent-at + TTL − margin when etcd stops answering', async () => {
  const leader = await leaderWithWorker();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    etcdProcess?.kill('SIGSTOP');
    try {
      // A renewal answered from now on left before this moment (etcd is stopped by then).
      await new Promise((resolve) => setTimeout(resolve, 20));
      const latest = monotonicMs() + TTL_S * 1000 - MARGIN_MS;
      await until(
        'the fence closed',
        () => {
          const at = monotonicMs();
          const open = leader.election.fence() === undefined;
          assert.ok(!open || at < latest, `the fence was still open ${Math.round(at - latest)} ms after the latest possible deadline`);
          return !open;
        },
        5000,
      );
      await until('it stepped down', () => leader.election.role() === 'standby');
    } finally {
      etcdProcess?.kill('SIGCONT');
    }
    await until('it leads again', () => leader.election.role() === 'leader' && leader.election.fence() === undefined, 15_000);
  } finally {
    etcdProcess?.kill('SIGCONT');
    await leader.close();
  }
});

test('a stopped election leaves no thread behind: the process ends by itself', async () => {
  const election = join(ROOT, 'dist', 'src', 'ha', 'election.js');
  const keeper = join(ROOT, 'dist', 'src', 'ha', 'lease-keeper.js');
  const etcd = join(ROOT, 'dist', 'src', 'ha', 'etcd.js');
  const script = `
    const { LeaderElection } = await import(${JSON.stringify(pathToFileURL(election).href)});
    const { keepInWorker } = await import(${JSON.stringify(pathToFileURL(keeper).href)});
    const { EtcdGateway } = await import(${JSON.stringify(pathToFileURL(etcd).href)});
    const options = ${JSON.stringify(etcdOptions)};
    const logger = { info() {}, warn() {}, error() {}, debug() {} };
    const config = { endpoints: options.endpoints, leaseTtlSeconds: ${TTL_S}, electionKey: 'corral-test/exit-${process.pid}', safetyMarginMs: ${MARGIN_MS} };
    const election = new LeaderElection({ config, replica: 'exit', etcd: new EtcdGateway(options), logger, keepLease: keepInWorker({ etcd: options, safetyMarginMs: ${MARGIN_MS} }) });
    let stopping = false;
    election.onChange((change) => {
      if (change.role !== 'leader' || stopping) return;
      stopping = true;
      setTimeout(() => election.stop().then(() => console.log('stopped')), 1000);
    });
    election.start();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const timeout = setTimeout(() => child.kill(), 15_000);
  try {
    assert.equal(await exited, 0, 'it ended by itself');
    assert.equal(output.trim(), 'stopped');
  } finally {
    clearTimeout(timeout);
  }
});

test('a worker thread that dies is logged; the lease is given up and later ones are renewed from the main thread', async () => {
  const crashing = new URL(`data:text/javascript,${encodeURIComponent('setTimeout(() => { throw new Error("boom"); }, 300);')}`);
  const leader = await leaderWithWorker({ script: crashing });
  try {
    const before = await leader.holder();
    await until('it stepped down', () => leader.changes.length >= 2);
    assert.equal(leader.changes[1]?.reason, 'the thread that renewed the lease died');
    assert.ok(leader.errors.some((e) => e.includes('the thread that renews the lease died')));
    await until(
      'it leads again under a new lease',
      async () => leader.election.role() === 'leader' && (await leader.holder())?.lease !== before?.lease,
    );
    // Renewed from the main thread now: it keeps leading past a TTL.
    await new Promise((resolve) => setTimeout(resolve, TTL_S * 1000 + 500));
    assert.equal(leader.election.role(), 'leader');
    assert.equal(leader.changes.length, 3);
  } finally {
    await leader.close();
  }
});

test('a lease whose keeper never reports (stuck, not dead) is dropped once etcd expires it, and the replica leads again under a new one', async () => {
  const silent: KeepLease = () => ({ renewNow: () => {}, stop: () => {} });
  const leader = await leaderWith(silent);
  try {
    const first = await leader.holder();
    await until('it stepped down', () => leader.election.role() === 'standby', TTL_S * 1000 + 2000);
    await until(
      'it leads again under a new lease',
      async () => leader.election.role() === 'leader' && (await leader.holder())?.lease !== first?.lease,
      3 * TTL_S * 1000,
    );
  } finally {
    await leader.close();
  }
});

test('a worker that cannot start leaves the renewals to the main thread, logged', async () => {
  const worker = keepInWorker({ etcd: etcdOptions, safetyMarginMs: MARGIN_MS });
  let starts = 0;
  const failingOnce: KeepLease = (lease, report) => {
    starts += 1;
    if (starts === 1) throw new Error('ERR_WORKER_INIT_FAILED: pids limit reached');
    return worker(lease, report);
  };
  const leader = await leaderWith(failingOnce);
  try {
    assert.ok(leader.errors.some((e) => e.includes('the thread that renews the lease cannot start')));
    await new Promise((resolve) => setTimeout(resolve, TTL_S * 1000 + 500));
    assert.deepEqual(
      leader.changes.map((c) => c.role),
      ['leader'],
      'renewed from the main thread past a TTL',
    );
    assert.equal(starts, 1, 'the worker is not tried again');
  } finally {
    await leader.close();
  }
});

test('the bundle starts the worker from the file next to it', () => {
  const bundle = readFileSync(join(ROOT, 'dist', 'bundle', 'corral.cjs'), 'utf8');
  assert.equal(bundle.split('"./lease-keeper-worker.js"').length - 1, 1);
  assert.ok(existsSync(BUNDLED_WORKER));
});
