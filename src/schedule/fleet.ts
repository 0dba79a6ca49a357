/**
 * The fleet as the scheduler sees it while it places stacks one after another: the hosts
 * (numbered in name order), their labels, and the containers on them — observed ones and those
 * this run has placed — indexed so that a rule finds the hosts it can touch without scanning
 * every host and container. Placements are journalled, so a stack or unit that fails can take
 * its tentative containers back. Pure, mutable.
 *
 * The kept predecessors of an upgrade not finished yet (`<name>-prev`, model/naming.ts) are no
 * instances: a kept container whose successor exists is set apart, so it counts neither as an
 * instance, nor for the rules, nor for fewest-containers-first. One whose successor does not
 * exist (an upgrade interrupted between the rename and the create) stands for its instance, which
 * stays on its host so that the upgrade goes on, or is rolled back, beside it.
 */
import type { ObservedContainer, ObservedHost } from '../model/observed.js';
import { type LabelItem, parseRequireAny } from './constraints.js';
import { ContainerIndex, type UnitMember } from './container-index.js';
import { FewestContainersFirst } from './host-order.js';

export interface FleetHost {
  /** Position in host name order. */
  id: number;
  name: string;
  reachable: boolean;
  /** Lowercased keys and values. */
  labels: ReadonlyMap<string, string>;
  /** Parsed `io.rancher.scheduler.require_any`; empty when the host takes any container. */
  requireAny: readonly LabelItem[];
  /** The containers observed on it (not the ones this run places), without the kept predecessors set apart (see the header). */
  observed: readonly ObservedContainer[];
}

/** What the rules of the stacks being scheduled look for, so that only that is indexed. */
export interface IndexNeeds {
  /** Lowercased label keys of container_label rules. */
  containerLabelKeys: ReadonlySet<string>;
  /** Whether any `container` (name) rule exists. */
  containerNames: boolean;
}

const NO_HOSTS: ReadonlySet<number> = new Set();

export class Fleet {
  /** By id: `hosts[id].id === id`. */
  readonly hosts: readonly FleetHost[];
  /** Reachable hosts in the allocator's order. */
  readonly order: FewestContainersFirst;
  /** Hosts with a `require_any` label, ascending. */
  readonly requireAnyHosts: readonly number[];
  /** Host label key → value → hosts, ascending. */
  private readonly byLabel = new Map<string, Map<string, Set<number>>>();
  private readonly journal: Placement[] = [];
  /** Asked when the container index is first needed (a pass that keeps every instance where it is never asks). */
  private readonly needs: () => IndexNeeds;
  private index?: ContainerIndex;

  constructor(observed: readonly ObservedHost[], needs: () => IndexNeeds) {
    const byName = [...observed].sort((a, b) => compareNames(a.name, b.name));
    const succeeded = succeededInstances(byName);
    this.hosts = byName.map((host, id) => {
      const labels = lowercased(host.labels);
      const containers = succeeded.size === 0 ? host.containers : host.containers.filter((c) => !setApart(c, succeeded));
      return { id, name: host.name, reachable: host.reachable, labels, requireAny: parseRequireAny(labels), observed: containers };
    });
    for (const host of this.hosts) {
      for (const [key, value] of host.labels) this.hostSet(key, value).add(host.id);
    }
    this.requireAnyHosts = this.hosts.filter((h) => h.requireAny.length > 0).map((h) => h.id);
    this.needs = needs;
    this.order = new FewestContainersFirst(
      this.hosts.map((h) => h.observed.length),
      (id) => this.hosts[id]?.reachable === true,
    );
  }

  host(id: number): FleetHost {
    const host = this.hosts[id];
    if (!host) throw new Error(`no host number ${id}`);
    return host;
  }

  /** Hosts whose label `key` (lowercased) has the value (lowercased), ascending. */
  hostsWithLabel(key: string, value: string): ReadonlySet<number> {
    return this.byLabel.get(key)?.get(value) ?? NO_HOSTS;
  }

  /** The containers observed and placed so far, indexed for the rules (on first use). */
  get containers(): ContainerIndex {
    if (this.index) return this.index;
    const needs = this.needs();
    const index = new ContainerIndex(needs.containerLabelKeys, needs.containerNames);
    if (index.indexes) {
      for (const host of this.hosts) {
        for (const container of host.observed) index.addObserved(host.id, container.name, container.labels);
      }
      for (const placed of this.journal) index.countUnit(placed.host, placed.members, placed.instance, 1);
    }
    this.index = index;
    return index;
  }

  /** Tentatively put a unit instance's containers on a host. */
  place(host: number, members: readonly UnitMember[], instance: number): void {
    this.journal.push({ host, members, instance });
    this.index?.countUnit(host, members, instance, 1);
    this.order.add(host, members.length);
  }

  /** A point to roll back to. */
  mark(): number {
    return this.journal.length;
  }

  /** Take back every placement made since `mark`. */
  rollback(mark: number): void {
    while (this.journal.length > mark) {
      const placed = this.journal.pop();
      if (!placed) break;
      this.index?.countUnit(placed.host, placed.members, placed.instance, -1);
      this.order.add(placed.host, -placed.members.length);
    }
  }

  private hostSet(key: string, value: string): Set<number> {
    let values = this.byLabel.get(key);
    if (!values) this.byLabel.set(key, (values = new Map()));
    let hosts = values.get(value);
    if (!hosts) values.set(value, (hosts = new Set()));
    return hosts;
  }
}

/** A unit instance placed by this run. */
interface Placement {
  host: number;
  members: readonly UnitMember[];
  instance: number;
}

/** The containers (stack, service, instance) of which a kept predecessor's successor exists, when any kept one does. */
function succeededInstances(hosts: readonly ObservedHost[]): ReadonlySet<string> {
  if (!hosts.some((h) => h.containers.some((c) => c.owner?.kept))) return new Set();
  const succeeded = new Set<string>();
  for (const host of hosts) {
    for (const c of host.containers) if (c.owner && !c.owner.kept) succeeded.add(instanceKey(c));
  }
  return succeeded;
}

/** A kept predecessor whose successor exists. */
function setApart(container: ObservedContainer, succeeded: ReadonlySet<string>): boolean {
  return container.owner?.kept === true && succeeded.has(instanceKey(container));
}

function instanceKey(container: ObservedContainer): string {
  const owner = container.owner;
  return owner ? `${owner.stack}\u0000${owner.service}\u0000${owner.instance}` : '';
}

export function lowercased(labels: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(labels).map(([key, value]) => [key.toLowerCase(), value.toLowerCase()]));
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
