/**
 * Which upgrades of a pass failed, and what to remember of each: a stack whose plan upgraded it
 * (StackPlan.upgrade) and one of whose upgrade operations (a pull, a stop, a rename, a create, a
 * start, a gate) failed is rolled back. The record names the first operation that failed and
 * Docker's or the gate's message, with secret answers scrubbed. Pure.
 */
import type { OperationResult } from '../apply/index.js';
import type { DesiredStack } from '../model/desired.js';
import { redactString, stackSecretValues } from '../model/redact.js';
import type { RollbackRecord } from '../model/upgrade.js';
import type { Plan } from '../plan/types.js';
import { groupBy } from '../util/records.js';

export function failedUpgrades(
  plan: Plan,
  results: readonly OperationResult[],
  desired: readonly DesiredStack[],
  now: Date,
): Map<string, RollbackRecord> {
  const failures = new Map<string, RollbackRecord>();
  // The failed upgrade operations by stack, grouped once (not searched per stack).
  const failedByStack = groupBy(
    results.filter((r) => r.operation.upgrade && r.status === 'failed'),
    (r) => r.operation.stack,
  );
  const desiredByName = new Map(desired.map((s) => [s.name, s]));
  for (const stackPlan of plan.stacks) {
    const attempt = stackPlan.upgrade;
    if (!attempt) continue;
    const failed = failedByStack.get(stackPlan.stack)?.[0];
    if (!failed) continue;
    const { kind, target, host } = failed.operation;
    const stack = desiredByName.get(stackPlan.stack);
    const cause = redactString(`${kind} ${target} on ${host}: ${failed.error ?? 'failed'}`, stack ? stackSecretValues([stack]) : []);
    failures.set(stackPlan.stack, { ...attempt, cause, time: now.toISOString() });
  }
  return failures;
}
