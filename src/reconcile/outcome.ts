/**
 * The outcome of applying a revision to a stack, in one place: Synced, Failed or RolledBack, with
 * the cause. Each reconcile pass that changed something on the hosts for a stack gives one
 * (StackOutcome.applied), for the history of applied revisions and the events. Pure.
 *
 * An upgrade that failed is rolled back within the same pass (./rollback.ts): its outcome is
 * RolledBack with what failed, even when the stack ends up running the version before.
 */
import type { DesiredStack } from '../model/desired.js';
import type { RollbackRecord } from '../model/upgrade.js';
import type { StackStatus } from '../status/stack-status.js';
import { SyncStatus } from '../status/words.js';

export type RevisionResult = typeof SyncStatus.Synced | typeof SyncStatus.Failed | typeof SyncStatus.RolledBack;

export interface RevisionOutcome {
  stack: string;
  /** The git revision the desired state was read at (absent for a plain directory). */
  revision?: string;
  template?: string;
  /** The template version that was applied (or tried, for RolledBack). */
  version?: string;
  result: RevisionResult;
  /** For Failed and RolledBack: what failed (secret answers scrubbed). */
  cause?: string;
  /** When the pass ended (ISO 8601). */
  time: string;
}

/**
 * The outcome of a pass that applied operations to a stack; undefined when it neither converged,
 * failed nor rolled back (still under way, or a host could not be read).
 */
export function revisionOutcome(input: {
  stack: string;
  desired: DesiredStack | undefined;
  converged: boolean;
  status: StackStatus;
  rolledBack: RollbackRecord | undefined;
  time: Date;
}): RevisionOutcome | undefined {
  const { desired, status, rolledBack } = input;
  const base = {
    stack: input.stack,
    ...(desired?.revision ? { revision: desired.revision } : {}),
    ...(desired ? { template: desired.template.template, version: desired.template.version } : {}),
    time: input.time.toISOString(),
  };
  if (rolledBack) return { ...base, result: SyncStatus.RolledBack, cause: rolledBack.cause };
  if (input.converged) return { ...base, result: SyncStatus.Synced };
  if (status.sync === SyncStatus.Failed) return { ...base, result: SyncStatus.Failed, cause: status.lastError ?? status.message };
  return undefined;
}
