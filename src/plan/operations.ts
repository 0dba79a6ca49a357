/**
 * The operations of one plan as they are emitted: numbered `#1`, `#2`, … in plan order, with the
 * removal of each container remembered for the operations that must wait for it. Pure.
 */
import type { NewOperation } from './network-book.js';
import type { Operation } from './types.js';

const idNumber = (id: string) => Number(id.slice(1));

/** Accumulates operations, numbering them `#1`, `#2`, … in plan order. */
export class Operations {
  readonly list: Operation[] = [];
  /** Container id → the operation that removes it. */
  private readonly removals = new Map<string, string>();
  add(op: NewOperation): string {
    const id = `#${this.list.length + 1}`;
    const dependsOn = op.dependsOn.length < 2 ? [...op.dependsOn] : [...new Set(op.dependsOn)].sort((a, b) => idNumber(a) - idNumber(b));
    const operation = op as Operation;
    operation.id = id;
    operation.dependsOn = dependsOn;
    this.list.push(operation);
    if (op.kind === 'RemoveContainer') this.removals.set(op.containerId, id);
    return id;
  }
  /** Marks operations as part of an upgrade (a failure of theirs rolls the stack back). */
  markUpgrade(ids: readonly string[]): void {
    for (const id of ids) {
      const op = this.list[idNumber(id) - 1];
      if (op) op.upgrade = true;
    }
  }
  removalOf(containerId: string): string | undefined {
    return this.removals.get(containerId);
  }
}
