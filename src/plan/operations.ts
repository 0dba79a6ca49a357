/**
 * The operations of one plan as they are emitted: numbered `#1`, `#2`, … in plan order, with the
 * removal of each container remembered for the operations that must wait for it. A create's body
 * and config hash are read from its container spec when first asked for (createContainerOperation).
 * Pure.
 */
import type { NewOperation } from './network-book.js';
import type { ContainerCreateSpec, Operation } from './types.js';

/** What a create operation reads its body and config hash from: a container spec (./container-spec.ts), which builds each once. */
export interface CreateSource {
  readonly create: ContainerCreateSpec;
  readonly hash: string;
}

type CreateOperation = Extract<NewOperation, { kind: 'CreateContainer' }>;
/** A create operation's fields but its body and config hash. */
export type CreateFields = Omit<CreateOperation, 'kind' | 'container' | 'configHash'> & { unit: string };

/** Where a create operation keeps its spec: a symbol, not enumerable, so no JSON, spread, Object.keys or clone sees it. */
const SOURCE = Symbol('createSource');
type WithSource = CreateOperation & { [SOURCE]: CreateSource };

/**
 * An own, enumerable accessor for a create operation's `key`, shared by every create (so the
 * operations share one shape), that reads the spec when asked — the spec builds its request and
 * hash once. Set (a test, a caller that changes a copy), it becomes a plain value.
 */
function readFromSource<K extends 'container' | 'configHash'>(
  key: K,
  read: (source: CreateSource) => CreateOperation[K],
): PropertyDescriptor {
  return {
    get(this: WithSource): CreateOperation[K] {
      return read(this[SOURCE]);
    },
    set(this: WithSource, value: CreateOperation[K]): void {
      Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  };
}
const SOURCE_DESCRIPTOR: PropertyDescriptor = { value: undefined };
const CONTAINER_ACCESSOR = readFromSource('container', (source) => source.create);
const CONFIG_HASH_ACCESSOR = readFromSource('configHash', (source) => source.hash);

/**
 * A CreateContainer operation whose body (`container`) and `configHash` are built when first read
 * (by the executor, JSON, a spread, redaction): the plan decides where and why, the body is a pure
 * function of the spec. Its keys, their order and values are those of the object literal
 * `{ kind, host, target, stack, dependsOn, cause, unit, container, configHash }`.
 */
export function createContainerOperation(fields: CreateFields, source: CreateSource): CreateOperation {
  const { host, target, stack, dependsOn, cause, unit } = fields;
  const op = { kind: 'CreateContainer', host, target, stack, dependsOn, cause, unit } as Omit<CreateOperation, 'container' | 'configHash'>;
  // One defineProperty each: about half the cost of one defineProperties with both. The source's
  // descriptor is one object, filled for the call and emptied after, not one per create.
  SOURCE_DESCRIPTOR.value = source;
  Object.defineProperty(op, SOURCE, SOURCE_DESCRIPTOR);
  SOURCE_DESCRIPTOR.value = undefined;
  Object.defineProperty(op, 'container', CONTAINER_ACCESSOR);
  Object.defineProperty(op, 'configHash', CONFIG_HASH_ACCESSOR);
  return op as CreateOperation;
}

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

/** The dependencies of every operation that has none: one frozen list, not an array per operation kept until the plan is done. */
export const NO_DEPENDENCIES: string[] = Object.freeze([]) as unknown as string[];

/** Accumulates operations, numbering them `#1`, `#2`, … in plan order. */
export class Operations {
  readonly list: Operation[] = [];
  /** Container id → the operation that removes it. */
  private readonly removals = new Map<string, string>();
  /** The id of the operation added next, once asked for (nextId). */
  private reservedId: string | undefined;

  /**
   * The id the next operation added gets. An operation made with it as its last key
   * (`{ …, id: ops.nextId }`) is one object of its size; one given its id when added grows a second
   * store for that key (40 bytes, and one more object to collect, for each of the 185,000
   * operations of a cold plan at 10,000 stacks). Read it just before adding the operation.
   */
  get nextId(): string {
    this.reservedId ??= `#${this.list.length + 1}`;
    return this.reservedId;
  }

  /**
   * Adds the operation (the object itself, numbered) and returns its id; an `id` it was made with
   * (nextId) is set right if it is not. Its `dependsOn` becomes the operation's: pass an array that
   * nothing else holds or changes. Duplicates are dropped and the ids sorted; an empty list becomes
   * one shared, frozen list. Bound, so that it can be handed on as a function.
   */
  readonly add = (op: NewOperation): string => {
    const id = this.reservedId ?? `#${this.list.length + 1}`;
    this.reservedId = undefined;
    const operation = op as Operation;
    if (op.dependsOn.length === 0) operation.dependsOn = NO_DEPENDENCIES;
    else if (op.dependsOn.length > 1 && !ascending(op.dependsOn))
      operation.dependsOn = [...new Set(op.dependsOn)].sort((a, b) => idNumber(a) - idNumber(b));
    if (operation.id !== id) operation.id = id;
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
