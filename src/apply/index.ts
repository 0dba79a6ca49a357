/**
 * apply: executes a plan with dockerode. No decisions of its own: it runs each operation
 * once its dependencies succeeded, at most `perHost` at a time on each host, every host
 * in parallel. Every operation is idempotent (the thing already exists / is already gone →
 * success), so an interrupted apply is finished by the next run. A failed operation fails
 * only the operations that depend on it; the rest go on. With a fence (leader election), each
 * operation is sent only if the fence lets it through at that moment, and its clients ask the
 * fence again as each request leaves; the fence decides, not this.
 * An upgrade gate (AwaitReady) waits for the readiness the caller reads (./gate.ts).
 */
import type Docker from 'dockerode';
import { isFencedError } from '../observe/fenced-agent.js';
import { describeError } from '../observe/index.js';
import type { Operation, Plan } from '../plan/types.js';
import { awaitReady, type Readiness } from './gate.js';
import { executeOperation } from './operations.js';

export type OperationStatus = 'ok' | 'failed' | 'skipped';

export interface OperationResult {
  operation: Operation;
  status: OperationStatus;
  /** For failed: Docker's message; for skipped: which dependency failed. */
  error?: string;
  durationMs: number;
}

export interface ApplyOptions {
  /** One client per host name, without a short request timeout (pulls and stops take time). */
  clients: ReadonlyMap<string, Docker>;
  /** Concurrent operations per host. */
  perHost?: number;
  onResult?: (result: OperationResult) => void;
  /** Told as each operation is sent (after the fence let it through), for progress reports. */
  onStart?: (operation: Operation) => void;
  now?: () => number;
  /**
   * Asked right before each operation is sent: undefined lets it through; a reason stops it, and
   * the operation is recorded skipped with that reason (fencing: a replica that may no longer lead).
   */
  fence?: () => string | undefined;
  /** Reads a new container's readiness for an upgrade gate (AwaitReady). */
  readiness?: Readiness;
}

export const DEFAULT_PER_HOST = 4;

export function apply(plan: Plan, options: ApplyOptions): Promise<OperationResult[]> {
  const limit = options.perHost ?? DEFAULT_PER_HOST;
  const now = options.now ?? Date.now;
  const results = new Map<string, OperationResult>();
  const pending = [...plan.operations];
  const running = new Map<string, number>();
  let active = 0;
  return new Promise((resolve) => {
    const record = (result: OperationResult) => {
      results.set(result.operation.id, result);
      options.onResult?.(result);
    };
    const pump = () => {
      // Dependencies always come earlier in a plan, so one pass in order settles chains of skips.
      for (const op of [...pending]) {
        const dependencies = op.dependsOn.map((id) => results.get(id));
        const failed = op.dependsOn.filter((id) => {
          const r = results.get(id);
          return r !== undefined && r.status !== 'ok';
        });
        if (failed.length > 0) {
          pending.splice(pending.indexOf(op), 1);
          record({ operation: op, status: 'skipped', error: `not run: ${failed.join(',')} did not succeed`, durationMs: 0 });
          continue;
        }
        // A gate only waits: it takes none of the host's Docker slots.
        const slot = op.kind === 'AwaitReady' ? 0 : 1;
        if (dependencies.some((r) => r === undefined) || (slot > 0 && (running.get(op.host) ?? 0) >= limit)) continue;
        pending.splice(pending.indexOf(op), 1);
        running.set(op.host, (running.get(op.host) ?? 0) + slot);
        active++;
        void run(op).then((result) => {
          running.set(op.host, (running.get(op.host) ?? slot) - slot);
          active--;
          record(result);
          pump();
        });
      }
      if (pending.length === 0 && active === 0) resolve(plan.operations.map((op) => results.get(op.id) as OperationResult));
    };
    const run = async (op: Operation): Promise<OperationResult> => {
      const started = now();
      const client = options.clients.get(op.host);
      const refusal = options.fence?.();
      if (refusal) return { operation: op, status: 'skipped', error: refusal, durationMs: 0 };
      options.onStart?.(op);
      try {
        if (!client) throw new Error(`no Docker client for host ${op.host}`);
        if (op.kind === 'AwaitReady') await awaitReady(op, options.readiness, now);
        else await executeOperation(client, op);
        return { operation: op, status: 'ok', durationMs: now() - started };
      } catch (err) {
        // The fence closed between this check and the request leaving (observe/fenced-agent.ts): nothing was sent.
        if (isFencedError(err)) return { operation: op, status: 'skipped', error: err.message, durationMs: now() - started };
        return { operation: op, status: 'failed', error: dockerMessage(err), durationMs: now() - started };
      }
    };
    pump();
  });
}

function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | undefined)?.json;
  return typeof json?.message === 'string' ? json.message : describeError(err);
}
