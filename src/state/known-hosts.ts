/**
 * Updating what corral knows of its hosts after a pass (model/known-hosts.ts). Pure: the
 * previous knowledge, an observation, the instances the scheduler moved off unreachable hosts
 * and the time in; the new knowledge out.
 *
 * - A host read now: last seen now, holding what was read. Its `replaced` marks are dropped
 *   once it holds no copy of the instance, or no other reachable host does (then its copy is
 *   the one that stays).
 * - A host that could not be read: kept as it was last seen, plus the instances rescheduled
 *   away from it in this pass.
 * - A host no longer configured is forgotten.
 */
import { holds, type KnownHost, type KnownHosts, type UnitInstances } from '../model/known-hosts.js';
import type { ObservedState } from '../model/observed.js';
import { groupBy } from '../util/records.js';

/** An instance moved off an unreachable host. */
export interface MovedInstance {
  stack: string;
  unit: string;
  instance: number;
  from: string;
}

export function rememberPass(previous: KnownHosts, observed: ObservedState, moved: readonly MovedInstance[], now: Date): KnownHosts {
  const heldBy = reachableHolders(observed);
  // Grouped once: each unreachable host reads its own, not every instance moved in the pass.
  const movedFrom = groupBy(moved, (m) => m.from);
  const next: Record<string, KnownHost> = {};
  for (const host of observed.hosts) {
    const before = previous[host.name];
    if (host.reachable) {
      const units = unitsOf(host.containers);
      const replaced = filterInstances(
        before?.replaced ?? {},
        (stack, unit, instance) => holds(units, stack, unit, instance) && (heldBy.get(key(stack, unit, instance)) ?? 0) > 1,
      );
      next[host.name] = { lastSeen: now.toISOString(), units, replaced };
    } else if (before) {
      const replaced = copyInstances(before.replaced);
      for (const m of movedFrom.get(host.name) ?? []) add(replaced, m.stack, m.unit, m.instance);
      next[host.name] = { lastSeen: before.lastSeen, units: before.units, replaced };
    }
  }
  return next;
}

/** Whether anything but the hosts' last-seen times changed, or a last-seen time moved by more than `slackMs`. */
export function changedBeyond(before: KnownHosts, after: KnownHosts, slackMs: number): boolean {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of names) {
    const a = before[name];
    const b = after[name];
    if (!a || !b) return true;
    if (JSON.stringify(a.units) !== JSON.stringify(b.units) || JSON.stringify(a.replaced) !== JSON.stringify(b.replaced)) return true;
    if (Math.abs(Date.parse(b.lastSeen) - Date.parse(a.lastSeen)) > slackMs) return true;
  }
  return false;
}

function unitsOf(containers: ObservedState['hosts'][number]['containers']): UnitInstances {
  const units: UnitInstances = {};
  for (const { owner } of containers) if (owner) add(units, owner.stack, owner.unit, owner.instance);
  return sorted(units);
}

/** How many reachable hosts hold a copy of each instance. */
function reachableHolders(observed: ObservedState): Map<string, number> {
  const holders = new Map<string, number>();
  for (const host of observed.hosts.filter((h) => h.reachable)) {
    const seen = new Set<string>();
    for (const { owner } of host.containers) if (owner) seen.add(key(owner.stack, owner.unit, owner.instance));
    for (const k of seen) holders.set(k, (holders.get(k) ?? 0) + 1);
  }
  return holders;
}

function key(stack: string, unit: string, instance: number): string {
  return `${stack}\u0000${unit}\u0000${instance}`;
}

function add(units: UnitInstances, stack: string, unit: string, instance: number): void {
  const instances = entry(
    entry(units, stack, () => ({})),
    unit,
    (): number[] => [],
  );
  if (instances.includes(instance)) return;
  instances.push(instance);
  instances.sort((a, b) => a - b);
}

/** `record[key]`, made first when missing; a key such as `__proto__` (a service may be named so) stays data. */
function entry<T>(record: Record<string, T>, key: string, make: () => T): T {
  if (Object.hasOwn(record, key)) return record[key] as T;
  const value = make();
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

function copyInstances(units: UnitInstances): UnitInstances {
  return filterInstances(units, () => true);
}

function filterInstances(units: UnitInstances, keep: (stack: string, unit: string, instance: number) => boolean): UnitInstances {
  const kept: UnitInstances = {};
  for (const [stack, byUnit] of Object.entries(units)) {
    for (const [unit, instances] of Object.entries(byUnit)) {
      for (const instance of instances) if (keep(stack, unit, instance)) add(kept, stack, unit, instance);
    }
  }
  return kept;
}

/** The same instances with stacks and units in name order. */
function sorted(units: UnitInstances): UnitInstances {
  const out: UnitInstances = {};
  for (const stack of Object.keys(units).sort()) {
    const byUnit = units[stack] ?? {};
    for (const unit of Object.keys(byUnit).sort()) for (const instance of byUnit[unit] ?? []) add(out, stack, unit, instance);
  }
  return out;
}
