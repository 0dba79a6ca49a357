/**
 * Keeps the held lease alive: renews it three times per TTL and moves the fence's deadline on
 * each answer. I/O: etcd keep-alives, timers, and (for `corral run`) a worker thread.
 *
 * The daemon's main thread stalls for seconds under load and does long synchronous work at scale
 * (rendering 10,000 stacks takes ~7 s); a keep-alive sent from it leaves late and the leader steps
 * down. So the daemon renews from a worker thread (./lease-keeper-worker.ts), whose event loop
 * that work cannot block. The two threads share, in SharedArrayBuffers, read and written with
 * Atomics:
 *  - the fence's deadline (one 64-bit slot, ./fence.ts): written by the worker when etcd answers a
 *    renewal (sent-at + TTL − margin), read by the main thread before each Docker operation;
 *  - the main thread's heartbeat (one 64-bit slot, microseconds): written by the main thread every
 *    second; the worker stops renewing once it is older than `stuckAfterMs` (a main thread stuck for
 *    good must not lead forever), closes the fence, and lets the lease expire.
 * Both threads read the same clock, monotonicMs (CLOCK_MONOTONIC, the process's hrtime), which
 * never jumps, whatever the thread.
 * The worker renews as soon as it runs: its start (0.1 s idle, up to 1.2 s at a load of 19 on 2
 * CPUs) would otherwise come on top of the first renewal interval, and with a short TTL the
 * grant's fence could close before the first renewal is answered.
 *
 * The worker only renews and reports (`KeeperReport`); the election (./election.ts) decides what a
 * report means, when its main thread gets to it. Without a worker (tests with a stand-in etcd,
 * and after a worker died), the same renewal runs on the calling thread.
 */
import { Worker } from 'node:worker_threads';
import { EtcdAnswerError, type EtcdGateway, type EtcdOptions } from './etcd.js';
import { keepAliveIntervalMs, type LeaseFence } from './fence.js';

/** What the renewal of a lease tells the election. */
export type KeeperReport =
  | { type: 'renewed'; ttlSeconds: number }
  /** etcd answered TTL 0: it no longer knows the lease. */
  | { type: 'gone' }
  /** A keep-alive failed; `refused` when etcd answered an error (renewing again would not help). */
  | { type: 'failed'; error: string; refused: boolean }
  /** The main thread showed no heartbeat for `silentForMs`: renewals stopped, the fence is closed. */
  | { type: 'abandoned'; silentForMs: number }
  /** The worker thread died; nothing renews the lease any more. */
  | { type: 'crashed'; error: string };

export interface LeaseKeeper {
  /** Renews at once (unless a renewal is on its way). */
  renewNow(): void;
  /** Stops renewing (the worker is terminated). */
  stop(): void;
}

export interface HeldLease {
  id: string;
  ttlSeconds: number;
  /** Opened by the grant; the keeper moves its deadline on each renewal. */
  fence: LeaseFence;
}

/** Starts keeping `lease` alive; `report` gets what happens, on the calling thread. */
export type KeepLease = (lease: HeldLease, report: (report: KeeperReport) => void) => LeaseKeeper;

/** A keep-alive that failed is tried again this soon (if the interval is longer). */
const KEEPALIVE_RETRY_MS = 500;
/** How often the main thread writes its heartbeat. */
const HEARTBEAT_MS = 1000;
/** The worker's program, next to this file: dist/src/ha/ from tsc, dist/bundle/ next to the bundle (scripts/bundle.mjs). */
const WORKER_SCRIPT = new URL('./lease-keeper-worker.js', import.meta.url);

/**
 * Milliseconds (microsecond steps) on CLOCK_MONOTONIC: the same in every thread of the process,
 * and never jumps like the wall clock.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/**
 * How long the main thread may show no heartbeat before the worker lets the lease go:
 * max(3 × TTL, 30 s). Stalls measured under load reached 15 to 20 s and one render of 10,000 stacks
 * takes ~7 s: those keep the lease; a main thread stuck for good loses it after at most this bound,
 * a renewal interval and a TTL.
 */
export function defaultStuckAfterMs(ttlSeconds: number): number {
  return Math.max(3 * ttlSeconds * 1000, 30_000);
}

export interface RenewalOptions {
  etcd: Pick<EtcdGateway, 'keepAlive'>;
  lease: HeldLease;
  now: () => number;
  /** How long the main thread has shown no heartbeat, when that is too long (undefined otherwise). */
  mainThreadSilentMs?: () => number | undefined;
  report: (report: KeeperReport) => void;
  /** When the first renewal goes (default: a renewal interval after the call). */
  firstRenewalAfterMs?: number;
}

/** Renews `lease` every third of its TTL on this thread's event loop, moving its fence's deadline. */
export function renewLease(options: RenewalOptions): LeaseKeeper {
  const { etcd, lease, now, report } = options;
  const intervalMs = keepAliveIntervalMs(lease.ttlSeconds);
  let stopped = false;
  let renewing = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (afterMs: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void renewOnce(), afterMs);
  };
  const finish = (last: KeeperReport) => {
    stopped = true;
    lease.fence.revoke();
    report(last);
  };
  const renewOnce = async () => {
    if (stopped || renewing) return;
    const silentForMs = options.mainThreadSilentMs?.();
    if (silentForMs !== undefined) return finish({ type: 'abandoned', silentForMs });
    const sentAt = now();
    renewing = true;
    try {
      const ttlSeconds = await etcd.keepAlive(lease.id);
      if (stopped) return;
      if (ttlSeconds <= 0) return finish({ type: 'gone' });
      lease.fence.renewed(sentAt, ttlSeconds);
      report({ type: 'renewed', ttlSeconds });
      // An answer read after the fence closed (the event loop stalled) is followed by another at once.
      schedule(lease.fence.holds(now()) ? intervalMs : 0);
    } catch (err) {
      if (stopped) return;
      const error = err instanceof Error ? err.message : String(err);
      if (err instanceof EtcdAnswerError) return finish({ type: 'failed', error, refused: true });
      report({ type: 'failed', error, refused: false });
      schedule(Math.min(intervalMs, KEEPALIVE_RETRY_MS));
    } finally {
      renewing = false;
    }
  };
  schedule(options.firstRenewalAfterMs ?? intervalMs);
  return {
    renewNow: () => {
      if (!renewing) schedule(0);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Renewals on the calling thread (a stand-in etcd in tests; the fallback after a worker died). */
export function keepOnThisThread(etcd: Pick<EtcdGateway, 'keepAlive'>, now: () => number): KeepLease {
  return (lease, report) => renewLease({ etcd, lease, now, report });
}

/** What the worker thread is started with (structured-cloned; the slots stay shared). */
export interface WorkerInput {
  etcd: EtcdOptions;
  leaseId: string;
  ttlSeconds: number;
  safetyMarginMs: number;
  deadlineSlot: BigInt64Array;
  heartbeatSlot: BigInt64Array;
  stuckAfterMs: number;
}

export interface WorkerKeeperOptions {
  etcd: EtcdOptions;
  safetyMarginMs: number;
  /** How long the main thread may show no heartbeat before renewals stop (default: defaultStuckAfterMs). */
  stuckAfterMs?: number;
  /** The worker's program (tests). */
  script?: URL;
}

/** Renewals from a worker thread, one per lease; it never keeps the process alive. */
export function keepInWorker(options: WorkerKeeperOptions): KeepLease {
  return (lease, report) => {
    const heartbeatSlot = new BigInt64Array(new SharedArrayBuffer(8));
    const beat = () => Atomics.store(heartbeatSlot, 0, BigInt(Math.floor(monotonicMs() * 1000)));
    beat();
    const input: WorkerInput = {
      etcd: options.etcd,
      leaseId: lease.id,
      ttlSeconds: lease.ttlSeconds,
      safetyMarginMs: options.safetyMarginMs,
      deadlineSlot: lease.fence.deadlineSlot,
      heartbeatSlot,
      stuckAfterMs: options.stuckAfterMs ?? defaultStuckAfterMs(lease.ttlSeconds),
    };
    // None of the process's node options: it needs none, and some stop a worker (--input-type).
    const worker = new Worker(options.script ?? WORKER_SCRIPT, { workerData: input, execArgv: [] });
    worker.unref();
    const heartbeat = setInterval(beat, HEARTBEAT_MS).unref();
    let stopped = false;
    let failure = 'it exited';
    const stop = () => {
      stopped = true;
      clearInterval(heartbeat);
      void worker.terminate();
    };
    worker.on('message', (message: KeeperReport) => {
      if (!stopped) report(message);
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) => {
      if (stopped) return;
      stop();
      report({ type: 'crashed', error: `${failure} (exit code ${code})` });
    });
    return { renewNow: () => worker.postMessage('renew'), stop };
  };
}
