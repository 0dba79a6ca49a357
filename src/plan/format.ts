/** A plan as stable text, for golden tests and `corral plan`. */
import { EMPTY_LIST } from '../util/lists.js';
import { groupBy } from '../util/records.js';
import type { Operation, Plan } from './types.js';

export function formatPlan(plan: Plan): string {
  const lines: string[] = (plan.hosts ?? []).map((note) => `host ${note.host}: ${note.level}: ${note.message}`);
  // Grouped once: a search of every operation per stack made `corral plan` quadratic (5,000 stacks: 32 s).
  const operationsByStack = groupBy(plan.operations, (op) => op.stack);
  for (const stack of plan.stacks) {
    const operations = operationsByStack.get(stack.stack) ?? EMPTY_LIST;
    const quiet = operations.length === 0 && stack.notes.length === 0;
    lines.push(quiet ? `stack ${stack.stack}: no changes` : `stack ${stack.stack}`);
    lines.push(...stack.notes.map((note) => `  ${note.level}: ${note.message}`));
    lines.push(...operations.map((op) => `  ${formatOperation(op)}`));
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** `#3 h1 CreateContainer web-app-1 after #1,#2: scale 0 → 1` */
export function formatOperation(op: Operation): string {
  const after = op.dependsOn.length > 0 ? ` after ${op.dependsOn.join(',')}` : '';
  const unit = op.unit !== undefined && op.unit !== op.target ? ` (unit ${op.unit})` : '';
  const target = op.kind === 'ConnectNetwork' ? `${op.target} to ${op.network}` : op.target;
  return `${op.id} ${op.host} ${op.kind} ${target}${unit}${after}: ${op.cause}`;
}
