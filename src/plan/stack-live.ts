/**
 * One stack's live containers and placement, grouped once so that deciding each unit instance
 * (and explaining each create or removal) does not search the whole stack again. The kept
 * predecessors of an upgrade not finished yet are apart: paired with their unit's containers,
 * not counted as live instances. Pure.
 */
import type { ObservedContainer } from '../model/observed.js';
import type { HeldInstance, ReplacedCopy, RescheduledInstance, StackPlacement, UnitInstance } from '../model/placement.js';

export class StackLive {
  /** The stack's containers, not the kept predecessors. */
  readonly containers: readonly ObservedContainer[];
  /** The kept predecessors of an upgrade not finished yet (model/observed.ts), in the stack's order. */
  readonly kept: readonly ObservedContainer[];
  /** `unit` and instance → its containers, in the stack's order. */
  private readonly byUnitInstance = new Map<string, ObservedContainer[]>();
  /** `unit` and instance → its kept predecessors. */
  private readonly keptByUnitInstance = new Map<string, ObservedContainer[]>();
  /** `service` and instance → the first placed instance. */
  private readonly placed = new Map<string, UnitInstance>();
  private readonly held = new Map<string, HeldInstance>();
  private readonly rescheduled = new Map<string, RescheduledInstance>();
  private readonly replaced = new Map<string, ReplacedCopy>();
  private readonly primaryInstances = new Map<string, ReadonlySet<number>>();
  private readonly desiredCounts = new Map<string, number>();

  /** `stackContainers`: all the stack's containers on the hosts, the kept predecessors among them. */
  constructor(
    stackContainers: readonly ObservedContainer[],
    private readonly placement: StackPlacement,
  ) {
    this.containers = stackContainers.filter((c) => !c.owner?.kept);
    this.kept = stackContainers.filter((c) => c.owner?.kept);
    for (const container of stackContainers) {
      if (!container.owner) continue;
      const key = unitKey(container.owner.unit, container.owner.instance);
      const byKey = container.owner.kept ? this.keptByUnitInstance : this.byUnitInstance;
      const list = byKey.get(key);
      if (list) list.push(container);
      else byKey.set(key, [container]);
    }
    for (const instance of placement.instances) {
      const key = unitKey(instance.service, instance.instance);
      if (!this.placed.has(key)) this.placed.set(key, instance);
    }
    for (const held of placement.held ?? []) this.held.set(unitKey(held.service, held.instance), held);
    for (const moved of placement.rescheduled ?? []) this.rescheduled.set(unitKey(moved.service, moved.instance), moved);
    for (const copy of placement.replaced ?? []) this.replaced.set(`${unitKey(copy.service, copy.instance)}\u0000${copy.host}`, copy);
  }

  /** The instance left on an unreachable host, with when the host was last seen. */
  heldAt(unit: string, instance: number): HeldInstance | undefined {
    return this.held.get(unitKey(unit, instance));
  }

  /** The instance placed again because its host has been unreachable for too long. */
  rescheduledAt(unit: string, instance: number): RescheduledInstance | undefined {
    return this.rescheduled.get(unitKey(unit, instance));
  }

  /** The copy on `host`, back from being unreachable, that another copy replaced meanwhile. */
  replacedCopyAt(unit: string, instance: number, host: string): ReplacedCopy | undefined {
    return this.replaced.get(`${unitKey(unit, instance)}\u0000${host}`);
  }

  /** The live containers of a unit instance (the primary and its sidekicks), on any host. */
  ofUnit(unit: string, instance: number): readonly ObservedContainer[] {
    return this.byUnitInstance.get(unitKey(unit, instance)) ?? [];
  }

  /** The kept predecessors of a unit instance (an upgrade not finished yet), on any host. */
  keptOf(unit: string, instance: number): readonly ObservedContainer[] {
    return this.keptByUnitInstance.get(unitKey(unit, instance)) ?? [];
  }

  /** Where the scheduler placed a unit instance, if it did. */
  placedAt(unit: string, instance: number): UnitInstance | undefined {
    return this.placed.get(unitKey(unit, instance));
  }

  /** Instance numbers of the unit's primary containers that are live. */
  liveInstances(unit: string): ReadonlySet<number> {
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
    let count = this.desiredCounts.get(unit);
    if (count === undefined) {
      count = this.placement.instances.filter((i) => i.service === unit).length;
      this.desiredCounts.set(unit, count);
    }
    return count;
  }
}

function unitKey(unit: string, instance: number): string {
  return `${unit}\u0000${instance}`;
}
