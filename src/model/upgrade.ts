/**
 * An upgrade as a transaction: what it tries, and what is remembered of one that failed and was
 * rolled back (kept in the state directory by state/rollbacks-store.ts, read by the plan).
 */

/** What an upgrade tries: the desired stack (by its key, plan/stack-key.ts), its version and revision. */
export interface UpgradeAttempt {
  /** The desired stack's key: the same desired state, the same key; any change of the stack, another. */
  key: string;
  template: string;
  version: string;
  revision?: string;
}

/** An upgrade that failed and was rolled back; the same desired state (`key`) is not tried again. */
export interface RollbackRecord extends UpgradeAttempt {
  /** What failed: `AwaitReady web-app-1 on h1: web-app-1 not ready within 60 s: exited (3)`. */
  cause: string;
  /** When it was rolled back (ISO 8601). */
  time: string;
}
