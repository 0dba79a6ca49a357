/**
 * One stack's live containers and placement, grouped once so that deciding each unit instance
 * (and explaining each create or removal) does not search the whole stack again. The kept
 * predecessors of an upgrade not finished yet are apart: paired with their unit's containers,
 * not counted as live instances. Looked up by unit, then instance, without making a key string
 * per lookup. Pure.
 */
import type { ObservedContainer } from '../model/observed.js';
import type { HeldInstance, ReplacedCopy, RescheduledInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { EMPTY_LIST } from '../util/lists.js';

/** `unit` → instance → value (instances are whole numbers from 1: an array by instance). */
type ByUnitInstance<T> = Map<string, (T | undefined)[]>;

export class StackLive {
  /** The stack's containers, not the kept predecessors. */
  readonly containers: readonly ObservedContainer[];
  /** The kept predecessors of an upgrade not finished yet (model/observed.ts), in the stack's order. */
  readonly kept: readonly ObservedContainer[];
  /** The unit instance's containers, in the stack's order. */
  private readonly byUnitInstance: ByUnitInstance<ObservedContainer[]> = new Map();
  /** The unit instance's kept predecessors (none in most stacks: made when there are some). */
  private keptByUnitInstance: ByUnitInstance<ObservedContainer[]> | undefined;
  // The rest is made when first asked for, or when the placement has any: most stacks need none of it.
  /** The first placed instance of each unit instance. */
  private placed: ByUnitInstance<UnitInstance> | undefined;
  private held: ByUnitInstance<HeldInstance> | undefined;
  private rescheduled: ByUnitInstance<RescheduledInstance> | undefined;
  /** `<unit>\0<instance>\0<host>` → the copy. */
  private replaced: Map<string, ReplacedCopy> | undefined;
  private primaryInstances: Map<string, ReadonlySet<number>> | undefined;
  private desiredCounts: Map<string, number> | undefined;

  /** `stackContainers`: all the stack's containers on the hosts, the kept predecessors among them. */
  constructor(
    stackContainers: readonly ObservedContainer[],
    private readonly placement: StackPlacement,
  ) {
    let kept: ObservedContainer[] | undefined;
    for (const container of stackContainers) {
      const owner = container.owner;
      if (owner?.kept) (kept ??= []).push(container);
      if (!owner) continue;
      const byKey: ByUnitInstance<ObservedContainer[]> = owner.kept ? (this.keptByUnitInstance ??= new Map()) : this.byUnitInstance;
      const list = lookup(byKey, owner.unit, owner.instance);
      if (list) list.push(container);
      else remember(byKey, owner.unit, owner.instance, [container]);
    }
    // Most stacks have no kept predecessor: their containers are the list given, not a copy.
    this.containers = kept ? stackContainers.filter((c) => !c.owner?.kept) : stackContainers;
    this.kept = kept ?? EMPTY_LIST;
    for (const held of placement.held ?? []) remember((this.held ??= new Map()), held.service, held.instance, held);
    for (const moved of placement.rescheduled ?? []) remember((this.rescheduled ??= new Map()), moved.service, moved.instance, moved);
    for (const copy of placement.replaced ?? [])
      (this.replaced ??= new Map()).set(`${copy.service}\u0000${copy.instance}\u0000${copy.host}`, copy);
  }

  /** The instance left on an unreachable host, with when the host was last seen. */
  heldAt(unit: string, instance: number): HeldInstance | undefined {
    return this.held && lookup(this.held, unit, instance);
  }

  /** The instance placed again because its host has been unreachable for too long. */
  rescheduledAt(unit: string, instance: number): RescheduledInstance | undefined {
    return this.rescheduled && lookup(this.rescheduled, unit, instance);
  }

  /** The copy on `host`, back from being unreachable, that another copy replaced meanwhile. */
  replacedCopyAt(unit: string, instance: number, host: string): ReplacedCopy | undefined {
    return this.replaced?.get(`${unit}\u0000${instance}\u0000${host}`);
  }

  /** The live containers of a unit instance (the primary and its sidekicks), on any host. */
  ofUnit(unit: string, instance: number): readonly ObservedContainer[] {
    return lookup(this.byUnitInstance, unit, instance) ?? EMPTY_LIST;
  }

  /** The kept predecessors of a unit instance (an upgrade not finished yet), on any host. */
  keptOf(unit: string, instance: number): readonly ObservedContainer[] {
    return (this.keptByUnitInstance && lookup(this.keptByUnitInstance, unit, instance)) ?? EMPTY_LIST;
  }

  /** Where the scheduler placed a unit instance, if it did. */
  placedAt(unit: string, instance: number): UnitInstance | undefined {
    if (!this.placed) {
      this.placed = new Map();
      for (const placed of this.placement.instances) {
        if (!lookup(this.placed, placed.service, placed.instance)) remember(this.placed, placed.service, placed.instance, placed);
      }
    }
    return lookup(this.placed, unit, instance);
  }

  /** Instance numbers of the unit's primary containers that are live. */
  liveInstances(unit: string): ReadonlySet<number> {
    this.primaryInstances ??= new Map();
    let instances = this.primaryInstances.get(unit);
    if (!instances) {
      instances = new Set(
        this.containers.filter((c) => c.owner?.unit === unit && c.owner.service === unit).map((c) => c.owner?.instance ?? 0),
      );
      this.primaryInstances.set(unit, instances);
    }
    return instances;
  }

  /** How many instances of the unit the scheduler placed. */
  desiredCount(unit: string): number {
    this.desiredCounts ??= new Map();
    let count = this.desiredCounts.get(unit);
    if (count === undefined) {
      count = this.placement.instances.filter((i) => i.service === unit).length;
      this.desiredCounts.set(unit, count);
    }
    return count;
  }
}

function lookup<T>(map: ByUnitInstance<T>, unit: string, instance: number): T | undefined {
  return map.get(unit)?.[instance];
}

function remember<T>(map: ByUnitInstance<T>, unit: string, instance: number, value: T): void {
  let byInstance = map.get(unit);
  if (!byInstance) map.set(unit, (byInstance = []));
  byInstance[instance] = value;
}
