/**
 * The operations of one plan as they are emitted: numbered `#1`, `#2`, … in plan order, with the
 * removal of each container remembered for the operations that must wait for it. Pure.
 */
import type { NewOperation } from './network-book.js';
import type { Operation } from './types.js';

/** The number of an operation id (`#12` → 12), read without making a string. */
function idNumber(id: string): number {
  let n = 0;
  for (let at = 1; at < id.length; at++) n = n * 10 + (id.charCodeAt(at) - 48);
  return n;
}

/** Ids in strictly ascending order: no duplicate, nothing to sort. */
function ascending(ids: readonly string[]): boolean {
  for (let at = 1; at < ids.length; at++) if (idNumber(ids[at - 1] as string) >= idNumber(ids[at] as string)) return false;
  return true;
}

/** Accumulates operations, numbering them `#1`, `#2`, … in plan order. */
export class Operations {
  readonly list: Operation[] = [];
  /** Container id → the operation that removes it. */
  private readonly removals = new Map<string, string>();

  /**
   * Adds the operation (the object itself, numbered) and returns its id. Its `dependsOn` becomes
   * the operation's: pass an array that nothing else holds or changes. Duplicates are dropped and
   * the ids sorted. Bound, so that it can be handed on as a function.
   */
  readonly add = (op: NewOperation): string => {
    const id = `#${this.list.length + 1}`;
    const operation = op as Operation;
    if (op.dependsOn.length > 1 && !ascending(op.dependsOn))
      operation.dependsOn = [...new Set(op.dependsOn)].sort((a, b) => idNumber(a) - idNumber(b));
    operation.id = id;
    this.list.push(operation);
    if (op.kind === 'RemoveContainer') this.removals.set(op.containerId, id);
    return id;
  };

  /** Marks operations as part of an upgrade (a failure of theirs rolls the stack back). */
  markUpgrade(ids: readonly string[]): void {
    for (const id of ids) {
      const op = this.list[idNumber(id) - 1];
      if (op) op.upgrade = true;
    }
  }

  /** Marks every operation from the `first`-th (0-based) on as part of an upgrade. */
  markUpgradeSince(first: number): void {
    for (let at = first; at < this.list.length; at++) (this.list[at] as Operation).upgrade = true;
  }

  removalOf(containerId: string): string | undefined {
    return this.removals.get(containerId);
  }
}
