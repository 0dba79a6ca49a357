/**
 * After a pass that changed the hosts (not a dry run): one history entry per stack it applied,
 * kept when the stack's configuration or result moved on (src/state/stack-history.ts). A history
 * that cannot be written is reported, never fails the pass. I/O (through the store).
 */
import { diagnosticText } from '../model/diagnostics.js';
import { stackSecretValues } from '../model/redact.js';
import { historyEntryOf } from '../state/stack-history.js';
import type { StackHistoryStore } from '../state/stack-history-store.js';
import type { ReconcileInput, StackOutcome } from './index.js';

/** Records each outcome's entry; returns why some could not be written, if they could not. */
export async function recordHistory(
  store: StackHistoryStore,
  input: ReconcileInput,
  outcomes: readonly StackOutcome[],
  time: Date,
): Promise<string | undefined> {
  const desiredByName = new Map(input.desired.map((s) => [s.name, s]));
  const failedByName = new Map((input.failed ?? []).map((f) => [f.stack, f]));
  const revision = input.desired.find((s) => s.revision !== undefined)?.revision;
  const secrets = stackSecretValues(input.desired);
  // Each stack's file is its own (the store writes one stack's at a time): read and written side by side.
  const errors = await Promise.all(
    outcomes.map(async (outcome) => {
      const desired = desiredByName.get(outcome.stack);
      const renderErrors = failedByName
        .get(outcome.stack)
        ?.diagnostics.filter((d) => d.severity === 'error')
        .map(diagnosticText);
      const entry = historyEntryOf({
        ...(desired ? { desired } : {}),
        ...(renderErrors?.length ? { renderErrors } : {}),
        ...(revision ? { revision } : {}),
        operations: outcome.operations,
        status: outcome.status,
        time,
        secrets,
      });
      if (!entry) return undefined;
      try {
        await store.record(outcome.stack, entry);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }),
  );
  const failed = errors.filter((error) => error !== undefined);
  return failed.length ? failed.join('; ') : undefined;
}
