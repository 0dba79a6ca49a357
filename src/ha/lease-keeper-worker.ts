/**
 * The lease keeper's worker thread (started by ./lease-keeper.ts's keepInWorker): renews one lease
 * on its own event loop, writes the fence's deadline into the shared slot, posts each report to
 * the main thread, and "renew" messages from it renew at once. I/O: etcd keep-alives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EtcdGateway, type EtcdTls } from './etcd.js';
import { LeaseFence } from './fence.js';
import { monotonicMs, renewLease, type WorkerInput } from './lease-keeper.js';

const input = workerData as WorkerInput;
const etcd = new EtcdGateway({ ...input.etcd, ...(input.etcd.tls ? { tls: asBuffers(input.etcd.tls) } : {}) });
const renewal = renewLease({
  etcd,
  lease: { id: input.leaseId, ttlSeconds: input.ttlSeconds, fence: new LeaseFence(input.safetyMarginMs, input.deadlineSlot) },
  now: monotonicMs,
  mainThreadSilentMs: () => {
    const silentForMs = monotonicMs() - Number(Atomics.load(input.heartbeatSlot, 0)) / 1000;
    return silentForMs > input.stuckAfterMs ? silentForMs : undefined;
  },
  report: (report) => parentPort?.postMessage(report),
  // At once: the grant's fence has been counting down since before this thread started.
  firstRenewalAfterMs: 0,
});
parentPort?.on('message', () => renewal.renewNow());

/** Buffers arrive as plain Uint8Arrays (structured clone); the TLS options get Buffers again. */
function asBuffers(tls: EtcdTls): EtcdTls {
  const copy: EtcdTls = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = tls[key];
    if (value) copy[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return copy;
}
