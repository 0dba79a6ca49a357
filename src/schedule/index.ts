/**
 * The scheduler: which host runs each deployment unit instance of every stack,
 * by Cattle's (Rancher 1.6's) label rules. Pure: desired stacks and observed hosts in, placements out
 * (a stack's parsed deployment units are remembered per stack object, see unitsOf).
 *
 * Stacks are scheduled in the order given. What an earlier stack (or unit) places
 * counts for the later ones as if it were already on the host: in the
 * fewest-containers-first order and for container_label / container rules.
 * A stack that cannot be scheduled gets `errors`, places nothing, and the others go on.
 *
 * Hosts that cannot be read are judged by what they held when last read (`known`): an
 * instance there stays there (held) until the host has been unreachable for longer than
 * host_down_grace; then it is placed again elsewhere (rescheduled). A copy on a host that is
 * back, replaced meanwhile by one that kept running elsewhere, is the one that goes.
 *
 * The fleet (fleet.ts) is indexed once and updated as units are placed, so the work grows with
 * the instances placed and the hosts their rules can touch, not with every host per instance.
 */

import { DEFAULT_HOST_DOWN_GRACE_MS } from '../config/host-down-grace.js';
import { type DesiredService, type DesiredStack, primaryServices, unitServices } from '../model/desired.js';
import type { KnownHosts } from '../model/known-hosts.js';
import { SchedulingLabel } from '../model/labels.js';
import { containerName } from '../model/naming.js';
import type { ObservedHost } from '../model/observed.js';
import type { HeldInstance, ReplacedCopy, RescheduledInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { memoizedPerObject } from '../util/memo.js';
import { type Allocation, allocate } from './allocate.js';
import { type AffinityConstraint, isHard, parseAffinityLabels } from './constraints.js';
import type { IndexedContainer } from './container-index.js';
import { ExistingInstances, type InstanceHosts } from './existing-instances.js';
import { compareNames, Fleet, type FleetHost, type IndexNeeds } from './fleet.js';
import { acceptsUnit, constraintRule, passes, type Rule } from './match.js';
import { ServiceLabels } from './unit-labels.js';

export interface ScheduleOptions {
  /** What each host held when it was last read (kept in the state directory); none by default. */
  known?: KnownHosts;
  /** The time now, to tell how long a host has been unreachable. */
  now?: Date;
  /** How long a host may be unreachable before its units are rescheduled. */
  hostDownGraceMs?: number;
}

export function scheduleStacks(
  stacks: readonly DesiredStack[],
  hosts: readonly ObservedHost[],
  options: ScheduleOptions = {},
): StackPlacement[] {
  const unitsOfStacks = stacks.map(unitsOf);
  const fleet = new Fleet(hosts, indexNeeds(unitsOfStacks.flat()));
  const graceMs = options.hostDownGraceMs ?? DEFAULT_HOST_DOWN_GRACE_MS;
  const existing = new ExistingInstances(fleet, { known: options.known ?? {}, now: options.now ?? new Date(0), hostDownGraceMs: graceMs });
  return stacks.map((stack, at) => scheduleStack(stack, unitsOfStacks[at] ?? [], { fleet, existing, graceMs }));
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
  graceMs: number;
}

interface Placed {
  instances: UnitInstance[];
  errors: string[];
  warnings: string[];
  held: HeldInstance[];
  rescheduled: RescheduledInstance[];
  replaced: ReplacedCopy[];
}

/** The stack's placement; its containers stay in the fleet unless the stack fails. */
function scheduleStack(stack: DesiredStack, units: readonly Unit[], scheduling: Scheduling): StackPlacement {
  const { fleet } = scheduling;
  const placement: StackPlacement = { stack: stack.name, instances: [], errors: [], warnings: [] };
  const held: HeldInstance[] = [];
  const rescheduled: RescheduledInstance[] = [];
  const replaced: ReplacedCopy[] = [];
  const stackMark = fleet.mark();
  for (const unit of units) {
    const unitMark = fleet.mark();
    const placed = unit.primary.global ? placeGlobal(unit, scheduling) : placeScaled(unit, scheduling);
    if (placed.errors.length > 0) fleet.rollback(unitMark);
    placement.instances.push(...placed.instances);
    placement.errors.push(...placed.errors);
    placement.warnings.push(...unit.warnings, ...placed.warnings);
    held.push(...placed.held);
    rescheduled.push(...placed.rescheduled);
    replaced.push(...placed.replaced);
  }
  if (placement.errors.length > 0) {
    fleet.rollback(stackMark);
    placement.instances = [];
    return placement;
  }
  const byUnit = (a: UnitInstance, b: UnitInstance) => compareNames(a.service, b.service) || a.instance - b.instance;
  placement.instances.sort(byUnit);
  if (held.length > 0) placement.held = held.sort(byUnit);
  if (rescheduled.length > 0) placement.rescheduled = rescheduled.sort(byUnit);
  if (replaced.length > 0) placement.replaced = replaced.sort(byUnit);
  return placement;
}

/**
 * The deployment units of each stack scheduled so far, in scheduling order. They depend on the
 * stack alone, and a desired stack does not change once rendered (a new revision renders new
 * stack objects), so the daemon's passes between two revisions parse each stack's affinity rules
 * once, not once per pass.
 */
const unitsOf = memoizedPerObject((stack: DesiredStack): readonly Unit[] =>
  schedulingOrder(stack).map((primary) => deploymentUnit(stack, primary)),
);

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
function placeScaled(unit: Unit, scheduling: Scheduling): Placed {
  const { fleet, existing } = scheduling;
  const scale = Math.max(0, unit.primary.scale);
  const kept = [...existing.of(unit.stack, unit.primary.name)].sort(([a], [b]) => a - b).slice(0, scale);
  const instances: UnitInstance[] = [];
  const held: HeldInstance[] = [];
  const toPlace: number[] = [];
  for (const [instance, hostId] of kept) {
    const host = fleet.host(hostId);
    if (!host.reachable) held.push(...heldInstance(unit, instance, host, scheduling, false));
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
    if (!('host' in allocation)) return failedUnit(unschedulable(unit, instance, allocation));
    instances.push(unitInstance(unit, instance, fleet.host(allocation.host).name));
    fleet.place(allocation.host, containers);
  }
  return { instances, errors: [], warnings: [], held, ...movedAndReplaced(unit, instances, scheduling) };
}

function failedUnit(error: string): Placed {
  return { instances: [], errors: [error], warnings: [], held: [], rescheduled: [], replaced: [] };
}

/** Instances now on reachable hosts whose copy on a host down for too long was lost, and returned copies that go. */
function movedAndReplaced(
  unit: Unit,
  instances: readonly UnitInstance[],
  { fleet, existing }: Scheduling,
): { rescheduled: RescheduledInstance[]; replaced: ReplacedCopy[] } {
  const lost = existing.lostOf(unit.stack, unit.primary.name);
  const replacedCopies = existing.replacedOf(unit.stack, unit.primary.name);
  const rescheduled: RescheduledInstance[] = [];
  const replaced: ReplacedCopy[] = [];
  for (const placed of instances) {
    const lostOn = lost.get(placed.instance);
    const absence = lostOn === undefined ? undefined : existing.absence(lostOn);
    if (lostOn !== undefined && absence && placed.host !== fleet.host(lostOn).name)
      rescheduled.push({ ...placed, from: fleet.host(lostOn).name, lastSeen: absence.lastSeen });
    const replacedOn = replacedCopies.get(placed.instance);
    if (replacedOn !== undefined && fleet.host(replacedOn).name !== placed.host)
      replaced.push({ service: placed.service, instance: placed.instance, host: fleet.host(replacedOn).name, keptOn: placed.host });
  }
  return { rescheduled, replaced };
}

/** An instance left on an unreachable host corral saw before, with the time it has left there. */
function heldInstance(unit: Unit, instance: number, host: FleetHost, { existing, graceMs }: Scheduling, global: boolean): HeldInstance[] {
  const absence = existing.absence(host.id);
  if (!absence) return [];
  const held: HeldInstance = { ...unitInstance(unit, instance, host.name), lastSeen: absence.lastSeen };
  if (global) return [held];
  held.rescheduleInMs = Math.max(0, graceMs - absence.downForMs);
  held.rescheduleAt = new Date(Date.parse(absence.lastSeen) + graceMs).toISOString();
  return [held];
}

/**
 * One instance on every reachable host passing every host_label rule (soft ones
 * count as hard) and its require_any; container rules do not apply. A host keeps
 * the instance number it already runs; a new host gets the lowest free number.
 * An unreachable host keeps its instance.
 */
function placeGlobal(unit: Unit, scheduling: Scheduling): Placed {
  const { fleet, existing } = scheduling;
  const hostRules = unit.constraints.filter((c) => c.kind === 'host_label');
  const eligible = (host: FleetHost, instance: number) =>
    host.reachable && hostRules.every((c) => passes(c, fleet, host.id)) && acceptsInstance(host, unit, instance);
  const existingByHost = lowestInstancePerHost(
    withLost(existing.of(unit.stack, unit.primary.name), existing.lostOf(unit.stack, unit.primary.name)),
  );
  const instances: UnitInstance[] = [];
  const held: HeldInstance[] = [];
  for (const [hostId, instance] of [...existingByHost].sort(([a], [b]) => a - b)) {
    const host = fleet.host(hostId);
    if (!host.reachable) held.push(...heldInstance(unit, instance, host, scheduling, true));
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
  return { instances, errors: [], warnings, held, rescheduled: [], replaced: [] };
}

/** A global unit keeps its instance on a host however long the host is away: the lost copies count too. */
function withLost(staying: InstanceHosts, lost: InstanceHosts): InstanceHosts {
  if (lost.size === 0) return staying;
  const all = new Map(lost);
  for (const [instance, host] of staying) all.set(instance, host);
  return all;
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
