/**
 * Where each deployment unit instance already runs, read once from the ownership labels of the
 * observed containers (a sidekick counts for its unit). When one number is seen on several hosts,
 * a reachable host wins, then the first by name. Pure.
 */
import type { Fleet } from './fleet.js';

/** Instance number → host id. */
export type InstanceHosts = ReadonlyMap<number, number>;

const NONE: InstanceHosts = new Map();

export class ExistingInstances {
  /** `stack` → `unit` → instance → host id. */
  private readonly byStack = new Map<string, Map<string, Map<number, number>>>();

  constructor(fleet: Fleet) {
    const precedence = [...fleet.hosts].sort((a, b) => Number(b.reachable) - Number(a.reachable) || a.id - b.id);
    for (const host of precedence) {
      for (const { owner } of host.observed) {
        if (!owner) continue;
        const instances = this.unitMap(owner.stack, owner.unit);
        if (!instances.has(owner.instance)) instances.set(owner.instance, host.id);
      }
    }
  }

  of(stack: string, unit: string): InstanceHosts {
    return this.byStack.get(stack)?.get(unit) ?? NONE;
  }

  private unitMap(stack: string, unit: string): Map<number, number> {
    let units = this.byStack.get(stack);
    if (!units) this.byStack.set(stack, (units = new Map()));
    let instances = units.get(unit);
    if (!instances) units.set(unit, (instances = new Map()));
    return instances;
  }
}
