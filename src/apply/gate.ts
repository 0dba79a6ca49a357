/**
 * Carries out an upgrade gate (an AwaitReady operation): asks `readiness` every POLL_MS until the
 * new container reads as ready or the gate's time is up, then waits the gate's interval before
 * the operations after it may run. What "ready" means is decided elsewhere (status/
 * container-health.ts, through the reconcile pass that supplies `readiness`); here it is only
 * waited for. A read that fails (the host's Docker did not answer in time: dockerd holds an
 * inspect while a container exits and its network endpoints are torn down) is no verdict: the
 * gate asks again until its time is up, and then names that error.
 */
import { describeError } from '../observe/index.js';
import type { Operation } from '../plan/types.js';

export const GATE_POLL_MS = 250;

export interface GateReading {
  ready: boolean;
  /** For people: what the container shows now ("running 3 s of min_ready 5 s", a probe's result). */
  detail: string;
}

export type AwaitReadyOperation = Extract<Operation, { kind: 'AwaitReady' }>;
export type Readiness = (op: AwaitReadyOperation) => Promise<GateReading>;

export async function awaitReady(
  op: AwaitReadyOperation,
  readiness: Readiness | undefined,
  now: () => number,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<void> {
  if (!readiness) throw new Error('no readiness check available to this apply');
  const deadline = now() + op.gate.timeoutMs;
  let reading = await readOnce(op, readiness);
  while (!reading.ready) {
    if (now() >= deadline) throw new Error(`${op.target} not ready within ${Math.round(op.gate.timeoutMs / 1000)} s: ${reading.detail}`);
    await sleep(GATE_POLL_MS);
    reading = await readOnce(op, readiness);
  }
  if (op.gate.thenWaitMs > 0) await sleep(op.gate.thenWaitMs);
}

/** The container's reading, or not ready with the error when it could not be read. */
async function readOnce(op: AwaitReadyOperation, readiness: Readiness): Promise<GateReading> {
  try {
    return await readiness(op);
  } catch (err) {
    return { ready: false, detail: `could not read it from ${op.host}: ${describeError(err)}` };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
