/**
 * The scheduler: which host runs each deployment unit instance of every stack,
 * by Cattle's (Rancher 1.6's) label rules. Pure: desired stacks and observed hosts in, placements out.
 *
 * Stacks are scheduled in the order given. What an earlier stack (or unit) places
 * counts for the later ones as if it were already on the host: in the
 * fewest-containers-first order and for container_label / container rules.
 * A stack that cannot be scheduled gets `errors`, places nothing, and the others go on.
 *
 * The fleet (fleet.ts) is indexed once and updated as units are placed, so the work grows with
 * the instances placed and the hosts their rules can touch, not with every host per instance.
 */
import { type DesiredService, type DesiredStack, primaryServices, unitServices } from '../model/desired.js';
import { SchedulingLabel } from '../model/labels.js';
import { containerName } from '../model/naming.js';
import type { ObservedHost } from '../model/observed.js';
import type { StackPlacement, UnitInstance } from '../model/placement.js';
import { type Allocation, allocate } from './allocate.js';
import { type AffinityConstraint, isHard, parseAffinityLabels } from './constraints.js';
import type { IndexedContainer } from './container-index.js';
import { ExistingInstances, type InstanceHosts } from './existing-instances.js';
import { compareNames, Fleet, type FleetHost, type IndexNeeds } from './fleet.js';
import { acceptsUnit, constraintRule, passes, type Rule } from './match.js';
import { ServiceLabels } from './unit-labels.js';

export function scheduleStacks(stacks: readonly DesiredStack[], hosts: readonly ObservedHost[]): StackPlacement[] {
  const unitsOfStacks = stacks.map((stack) => schedulingOrder(stack).map((primary) => deploymentUnit(stack, primary)));
  const fleet = new Fleet(hosts, indexNeeds(unitsOfStacks.flat()));
  const existing = new ExistingInstances(fleet);
  return stacks.map((stack, at) => scheduleStack(stack, unitsOfStacks[at] ?? [], { fleet, existing }));
}

/** A primary service with its sidekicks, and the affinity rules of all of them merged (as Cattle merged them). */
interface Unit {
  stack: string;
  primary: DesiredService;
  services: DesiredService[];
  constraints: AffinityConstraint[];
  warnings: string[];
  /** Each service's labels once created; made when first needed. */
  labels?: ServiceLabels[];
}

interface Scheduling {
  /** Updated with every unit placed; a unit or stack that fails takes its containers back. */
  fleet: Fleet;
  existing: ExistingInstances;
}

interface Placed {
  instances: UnitInstance[];
  errors: string[];
  warnings: string[];
}

/** The stack's placement; its containers stay in the fleet unless the stack fails. */
function scheduleStack(stack: DesiredStack, units: readonly Unit[], scheduling: Scheduling): StackPlacement {
  const { fleet } = scheduling;
  const placement: StackPlacement = { stack: stack.name, instances: [], errors: [], warnings: [] };
  const stackMark = fleet.mark();
  for (const unit of units) {
    const unitMark = fleet.mark();
    const placed = unit.primary.global ? placeGlobal(unit, scheduling) : placeScaled(unit, scheduling);
    if (placed.errors.length > 0) fleet.rollback(unitMark);
    placement.instances.push(...placed.instances);
    placement.errors.push(...placed.errors);
    placement.warnings.push(...unit.warnings, ...placed.warnings);
  }
  if (placement.errors.length > 0) {
    fleet.rollback(stackMark);
    return { ...placement, instances: [] };
  }
  placement.instances.sort((a, b) => compareNames(a.service, b.service) || a.instance - b.instance);
  return placement;
}

/** Global units first (their hosts follow from host labels alone), then the others; each in name order. */
function schedulingOrder(stack: DesiredStack): DesiredService[] {
  const primaries = primaryServices(stack);
  return [...primaries.filter((s) => s.global), ...primaries.filter((s) => !s.global)];
}

function deploymentUnit(stack: DesiredStack, primary: DesiredService): Unit {
  const services = unitServices(stack, primary);
  const macros = { stackName: stack.name, serviceName: primary.name, stackServices: Object.keys(stack.services) };
  const unit: Unit = { stack: stack.name, primary, services, constraints: [], warnings: [] };
  for (const service of services) {
    const parsed = parseAffinityLabels(service.compose.labels, macros);
    unit.warnings.push(...parsed.warnings.map((warning) => `service ${service.name}: ${warning}`));
    unit.constraints.push(...parsed.constraints.filter((c) => !unit.constraints.some((known) => known.text === c.text)));
  }
  return unit;
}

/** The container label keys and names that any unit's rules look for. */
function indexNeeds(units: readonly Unit[]): IndexNeeds {
  const containerLabelKeys = new Set<string>();
  let containerNames = false;
  for (const { constraints } of units) {
    for (const c of constraints) {
      if (c.kind === 'container_label' && c.key !== undefined) containerLabelKeys.add(c.key);
      if (c.kind === 'container') containerNames = true;
    }
  }
  return { containerLabelKeys, containerNames };
}

/**
 * `scale` instances. Existing instances keep their number and host (the lowest
 * numbers survive a scale down); one on an unreachable host is left alone; one
 * whose host no longer passes the hard host rules is placed again. New instances
 * take the lowest free numbers.
 */
function placeScaled(unit: Unit, { fleet, existing }: Scheduling): Placed {
  const scale = Math.max(0, unit.primary.scale);
  const kept = [...existing.of(unit.stack, unit.primary.name)].sort(([a], [b]) => a - b).slice(0, scale);
  const instances: UnitInstance[] = [];
  const toPlace: number[] = [];
  for (const [instance, hostId] of kept) {
    const host = fleet.host(hostId);
    if (!host.reachable || staysOn(unit, instance, host, fleet)) instances.push(unitInstance(unit, instance, host.name));
    else toPlace.push(instance);
  }
  toPlace.push(
    ...lowestFree(
      kept.map(([instance]) => instance),
      scale - kept.length,
    ),
  );
  for (const instance of toPlace.sort((a, b) => a - b)) {
    const containers = unitContainers(unit, instance);
    const rules = [...unit.constraints.map((c) => constraintRule(c, fleet)), requireAnyRule(containers, fleet)];
    const allocation = allocate(rules, fleet);
    if (!('host' in allocation)) return { instances: [], errors: [unschedulable(unit, instance, allocation)], warnings: [] };
    instances.push(unitInstance(unit, instance, fleet.host(allocation.host).name));
    fleet.place(allocation.host, containers);
  }
  return { instances, errors: [], warnings: [] };
}

/**
 * One instance on every reachable host passing every host_label rule (soft ones
 * count as hard) and its require_any; container rules do not apply. A host keeps
 * the instance number it already runs; a new host gets the lowest free number.
 * An unreachable host keeps its instance.
 */
function placeGlobal(unit: Unit, { fleet, existing }: Scheduling): Placed {
  const hostRules = unit.constraints.filter((c) => c.kind === 'host_label');
  const eligible = (host: FleetHost, instance: number) =>
    host.reachable && hostRules.every((c) => passes(c, fleet, host.id)) && acceptsInstance(host, unit, instance);
  const existingByHost = lowestInstancePerHost(existing.of(unit.stack, unit.primary.name));
  const instances: UnitInstance[] = [];
  for (const [hostId, instance] of [...existingByHost].sort(([a], [b]) => a - b)) {
    const host = fleet.host(hostId);
    if (!host.reachable || eligible(host, instance)) instances.push(unitInstance(unit, instance, host.name));
  }
  const numbers = new FreeNumbers(instances.map((i) => i.instance));
  for (const hostId of globalCandidates(hostRules, fleet)) {
    if (existingByHost.has(hostId)) continue;
    const host = fleet.host(hostId);
    const instance = numbers.lowest();
    if (!eligible(host, instance)) continue;
    numbers.take(instance);
    instances.push(unitInstance(unit, instance, host.name));
    fleet.place(hostId, unitContainers(unit, instance));
  }
  const warnings =
    instances.length === 0
      ? [
          `service ${unit.primary.name}: global, but no reachable host is eligible (its host_label rules, the hosts' ${SchedulingLabel.requireAny})`,
        ]
      : [];
  return { instances, errors: [], warnings };
}

/**
 * Hosts that may be eligible for a global unit, in name order: when the unit requires host
 * labels (must or prefer: soft counts as hard here), the hosts of its rarest one; otherwise all.
 */
function globalCandidates(hostRules: readonly AffinityConstraint[], fleet: Fleet): Iterable<number> {
  const required = hostRules.filter((c) => c.op === 'must' || c.op === 'prefer');
  if (required.length === 0) return fleet.hosts.map((h) => h.id);
  const sets = required.map((c) => (c.key === undefined ? new Set<number>() : fleet.hostsWithLabel(c.key, c.value)));
  const rarest = sets.reduce((best, hosts) => (hosts.size < best.size ? hosts : best));
  return [...rarest].sort((a, b) => a - b);
}

/** Host id → the lowest instance number running there (a global unit has one instance per host). */
function lowestInstancePerHost(instances: InstanceHosts): Map<number, number> {
  const byHost = new Map<number, number>();
  for (const [instance, host] of [...instances].sort(([a], [b]) => a - b)) {
    if (!byHost.has(host)) byHost.set(host, instance);
  }
  return byHost;
}

/** Stable placement: an instance stays unless its host now fails a hard host_label rule or its require_any. */
function staysOn(unit: Unit, instance: number, host: FleetHost, fleet: Fleet): boolean {
  const hostRules = unit.constraints.filter((c) => c.kind === 'host_label' && isHard(c));
  return hostRules.every((c) => passes(c, fleet, host.id)) && acceptsInstance(host, unit, instance);
}

/** The host's require_any, for an instance of the unit (labels are only made when the host has one). */
function acceptsInstance(host: FleetHost, unit: Unit, instance: number): boolean {
  if (host.requireAny.length === 0) return true;
  return acceptsUnit(
    host,
    unitContainers(unit, instance).map((c) => c.labels),
  );
}

/** The containers an instance of the unit will have, with the labels they will carry once created. */
function unitContainers(unit: Unit, instance: number): IndexedContainer[] {
  unit.labels ??= unit.services.map(
    (service) => new ServiceLabels(service.compose.labels, unit.stack, service.name, primaryOf(unit, service)),
  );
  const labels = unit.labels;
  return unit.services.map((service, at) => ({
    name: containerName(unit.stack, service.name, instance, primaryOf(unit, service)),
    labels: (labels[at] as ServiceLabels).forInstance(instance),
  }));
}

/** The unit's primary for a sidekick; undefined for the primary itself. */
function primaryOf(unit: Unit, service: DesiredService): string | undefined {
  return service === unit.primary ? undefined : unit.primary.name;
}

/** require_any touches only the hosts that have the label and would refuse this unit's containers. */
function requireAnyRule(containers: readonly IndexedContainer[], fleet: Fleet): Rule {
  const labels = containers.map((c) => c.labels);
  const accepts = (host: number) => acceptsUnit(fleet.host(host), labels);
  return {
    text: `${SchedulingLabel.requireAny} (host label: containers must carry one of its labels)`,
    hard: true,
    passes: accepts,
    passesUntouched: true,
    touched: () => new Set(fleet.requireAnyHosts.filter((host) => !accepts(host))),
  };
}

function unschedulable(unit: Unit, instance: number, allocation: Exclude<Allocation, { host: number }>): string {
  const service = `service ${unit.primary.name}`;
  if (allocation.failed.length === 0) return `${service}: no reachable host to place instance ${instance} on`;
  const rules = allocation.failed.map((rule) => rule.text).join(', ');
  return `${service}: no host satisfies ${rules} (instance ${instance}; closest host: ${allocation.closest})`;
}

function unitInstance(unit: Unit, instance: number, host: string): UnitInstance {
  return { service: unit.primary.name, instance, host };
}

/** The `count` lowest numbers ≥ 1 not in `used`. */
function lowestFree(used: readonly number[], count: number): number[] {
  const numbers = new FreeNumbers(used);
  return Array.from({ length: Math.max(0, count) }, () => numbers.take(numbers.lowest()));
}

/** Instance numbers ≥ 1 handed out lowest first; taking numbers only ever raises the lowest free one. */
class FreeNumbers {
  private readonly used: Set<number>;
  private next = 1;

  constructor(used: Iterable<number>) {
    this.used = new Set(used);
  }

  lowest(): number {
    while (this.used.has(this.next)) this.next++;
    return this.next;
  }

  take(instance: number): number {
    this.used.add(instance);
    return instance;
  }
}
