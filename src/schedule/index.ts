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
 * What depends on a stack alone (its units, their parsed rules and container labels) is worked
 * out once per stack object; an instance that stays where it is costs a few lookups.
 */

import { DEFAULT_HOST_DOWN_GRACE_MS } from '../config/host-down-grace.js';
import { type DesiredService, type DesiredStack, primaryServices, unitServices } from '../model/desired.js';
import type { KnownHosts } from '../model/known-hosts.js';
import { SchedulingLabel } from '../model/labels.js';
import { containerNamePrefix } from '../model/naming.js';
import type { ObservedHost } from '../model/observed.js';
import type { HeldInstance, ReplacedCopy, RescheduledInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { EMPTY_LIST } from '../util/lists.js';
import { allocate, type Unplaced } from './allocate.js';
import { type AffinityConstraint, isHard, parseAffinityLabels, SharedLabelRules, sameConstraint } from './constraints.js';
import type { UnitMember } from './container-index.js';
import { ExistingInstances, type InstanceHosts } from './existing-instances.js';
import { compareNames, Fleet, type FleetHost, type IndexNeeds } from './fleet.js';
import { acceptsUnit, constraintRule, passes, type Rule } from './match.js';
import { type LabelLookup, ServiceLabels } from './unit-labels.js';

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
  const sharedRules = new SharedLabelRules();
  const unitsOfStacks = stacks.map((stack) => unitsOf(stack, sharedRules));
  const fleet = new Fleet(hosts, () => indexNeeds(unitsOfStacks));
  const graceMs = options.hostDownGraceMs ?? DEFAULT_HOST_DOWN_GRACE_MS;
  const existing = new ExistingInstances(fleet, { known: options.known ?? {}, now: options.now ?? new Date(0), hostDownGraceMs: graceMs });
  return stacks.map((stack, at) => scheduleStack(stack, unitsOfStacks[at]?.units ?? [], { fleet, existing, graceMs }));
}

/** A primary service with its sidekicks, and the affinity rules of all of them merged (as Cattle merged them). */
interface Unit {
  stack: string;
  primary: DesiredService;
  constraints: readonly AffinityConstraint[];
  /** The constraints, hard ones first (each kind in label order), as the allocator tries them; `hard` of them are hard. */
  byHardness: readonly AffinityConstraint[];
  hard: number;
  /** The host_label constraints: all (a global unit's), and the hard ones (that an instance staying on its host must pass). */
  hostRules: readonly AffinityConstraint[];
  hardHostRules: readonly AffinityConstraint[];
  warnings: readonly string[];
  /** Each service's container, the primary's first. */
  members: readonly UnitMember[];
}

/** A stack's units in scheduling order, and what their rules ask of the container index. */
interface StackUnits {
  units: readonly Unit[];
  /** Lowercased keys of container_label rules. */
  containerLabelKeys: readonly string[];
  containerNames: boolean;
}

interface Scheduling {
  /** Updated with every unit placed; a unit or stack that fails takes its containers back. */
  fleet: Fleet;
  existing: ExistingInstances;
  graceMs: number;
}

/** What a stack's units add up to while they are placed; the lists of hosts that are away are made when needed. */
interface Outcome {
  instances: UnitInstance[];
  errors: string[];
  warnings: string[];
  held?: HeldInstance[];
  rescheduled?: RescheduledInstance[];
  replaced?: ReplacedCopy[];
}

/** The stack's placement; its containers stay in the fleet unless the stack fails. */
function scheduleStack(stack: DesiredStack, units: readonly Unit[], scheduling: Scheduling): StackPlacement {
  const { fleet } = scheduling;
  const out: Outcome = { instances: [], errors: [], warnings: [] };
  const stackMark = fleet.mark();
  for (const unit of units) {
    const unitMark = fleet.mark();
    for (const warning of unit.warnings) out.warnings.push(warning);
    const placed = unit.primary.global ? placeGlobal(unit, scheduling, out) : placeScaled(unit, scheduling, out);
    if (!placed) fleet.rollback(unitMark);
  }
  const placement: StackPlacement = { stack: stack.name, instances: out.instances, errors: out.errors, warnings: out.warnings };
  if (out.errors.length > 0) {
    fleet.rollback(stackMark);
    placement.instances = [];
    return placement;
  }
  // A list of its length: one grown by push from empty has room for 17, and placements live through the plan.
  placement.instances = sortByUnit(out.instances).slice();
  if (out.held) placement.held = sortByUnit(out.held);
  if (out.rescheduled) placement.rescheduled = sortByUnit(out.rescheduled);
  if (out.replaced) placement.replaced = sortByUnit(out.replaced);
  return placement;
}

/** Sorted by service, then instance (sort makes a work array even when there is nothing to move: most lists come in order). */
function sortByUnit<T extends UnitInstance>(instances: T[]): T[] {
  for (let at = 1; at < instances.length; at++) {
    if (byUnit(instances[at - 1] as T, instances[at] as T) > 0) return instances.sort(byUnit);
  }
  return instances;
}

function byUnit(a: UnitInstance, b: UnitInstance): number {
  return compareNames(a.service, b.service) || a.instance - b.instance;
}

/**
 * The deployment units of each stack scheduled so far, in scheduling order. They depend on the
 * stack alone, and a desired stack does not change once rendered (a new revision renders new
 * stack objects), so the daemon's passes between two revisions parse each stack's affinity rules
 * once, not once per pass. They live as long as the stacks (through the whole plan), so a unit
 * holds as little as it can: rules shared between stacks (`sharedRules`), empty lists shared.
 */
function unitsOf(stack: DesiredStack, sharedRules: SharedLabelRules): StackUnits {
  let units = unitsByStack.get(stack);
  if (!units) unitsByStack.set(stack, (units = stackUnits(stack, sharedRules)));
  return units;
}

const unitsByStack = new WeakMap<DesiredStack, StackUnits>();

function stackUnits(stack: DesiredStack, sharedRules: SharedLabelRules): StackUnits {
  const stackServices = Object.keys(stack.services);
  const units = schedulingOrder(stack).map((primary) => deploymentUnit(stack, primary, stackServices, sharedRules));
  const containerLabelKeys = new Set<string>();
  let containerNames = false;
  for (const { constraints } of units) {
    for (const c of constraints) {
      if (c.kind === 'container_label' && c.key !== undefined) containerLabelKeys.add(c.key);
      if (c.kind === 'container') containerNames = true;
    }
  }
  return { units, containerLabelKeys: containerLabelKeys.size === 0 ? EMPTY_LIST : [...containerLabelKeys], containerNames };
}

/** Global units first (their hosts follow from host labels alone), then the others; each in name order. */
function schedulingOrder(stack: DesiredStack): DesiredService[] {
  const primaries = primaryServices(stack);
  return [...primaries.filter((s) => s.global), ...primaries.filter((s) => !s.global)];
}

function deploymentUnit(
  stack: DesiredStack,
  primary: DesiredService,
  stackServices: readonly string[],
  sharedRules: SharedLabelRules,
): Unit {
  const services = unitServices(stack, primary);
  const macros = { stackName: stack.name, serviceName: primary.name, stackServices };
  const constraints: AffinityConstraint[] = [];
  const warnings: string[] = [];
  for (const service of services) {
    const parsed = parseAffinityLabels(service.compose.labels, macros, sharedRules);
    for (const warning of parsed.warnings) warnings.push(`service ${service.name}: ${warning}`);
    for (const c of parsed.constraints) if (!constraints.some((known) => sameConstraint(known, c))) constraints.push(c);
  }
  const rules = orNone(constraints);
  const hard = rules.filter(isHard).length;
  const hostRules = onlyThose(rules, (c) => c.kind === 'host_label');
  return {
    stack: stack.name,
    primary,
    members: services.map((service) => new Member(stack.name, service, service === primary ? undefined : primary.name)),
    constraints: rules,
    byHardness: hardFirst(rules, hard),
    hard,
    hostRules,
    hardHostRules: onlyThose(hostRules, isHard),
    warnings: orNone(warnings),
  };
}

/** An empty list, shared by the units that have none of a kind. */

/** EMPTY_LIST, or the items in a list of their length (one grown by push from empty has room for 17). */
function orNone<T>(items: readonly T[]): readonly T[] {
  return items.length === 0 ? EMPTY_LIST : items.slice();
}

/** The items `keep` takes: the list itself when it takes all, EMPTY_LIST when none. */
function onlyThose<T>(items: readonly T[], keep: (item: T) => boolean): readonly T[] {
  const kept = items.filter(keep);
  return kept.length === items.length ? items : orNone(kept);
}

/** The constraints with the hard ones first, each kind in label order (the list itself when it is so already). */
function hardFirst(constraints: readonly AffinityConstraint[], hard: number): readonly AffinityConstraint[] {
  let inOrder = true;
  for (let at = 0; at < hard && inOrder; at++) inOrder = isHard(constraints[at] as AffinityConstraint);
  if (inOrder) return constraints;
  return [...constraints.filter(isHard), ...constraints.filter((c) => !isHard(c))];
}

/** The container label keys and names that any unit's rules look for. */
function indexNeeds(stacks: readonly StackUnits[]): IndexNeeds {
  const containerLabelKeys = new Set<string>();
  let containerNames = false;
  for (const stack of stacks) {
    for (const key of stack.containerLabelKeys) containerLabelKeys.add(key);
    containerNames ||= stack.containerNames;
  }
  return { containerLabelKeys, containerNames };
}

/**
 * `scale` instances. Existing instances keep their number and host (the lowest
 * numbers survive a scale down); one on an unreachable host is left alone; one
 * whose host no longer passes the hard host rules is placed again. New instances
 * take the lowest free numbers. False when an instance cannot be placed (its error is in `out`).
 */
function placeScaled(unit: Unit, scheduling: Scheduling, out: Outcome): boolean {
  const { fleet, existing } = scheduling;
  const scale = Math.max(0, unit.primary.scale);
  const existingHosts = existing.of(unit.stack, unit.primary.name);
  const kept = lowestNumbers(existingHosts, scale);
  const unitFrom = out.instances.length;
  let moved: number[] | undefined;
  for (const instance of kept) {
    const host = fleet.host(existingHosts.get(instance) as number);
    if (!host.reachable) heldInstance(unit, instance, host, scheduling, false, (out.held ??= []));
    if (!host.reachable || staysOn(unit, instance, host, fleet)) out.instances.push(unitInstance(unit, instance, host.name));
    else (moved ??= []).push(instance);
  }
  const added = kept.length < scale ? lowestFree(kept, scale - kept.length) : undefined;
  const toPlace = moved && added ? [...moved, ...added].sort((a, b) => a - b) : (moved ?? added);
  if (toPlace) {
    const members = unit.members;
    const rules = unit.byHardness.map((c) => constraintRule(c, fleet));
    for (const instance of toPlace) {
      const allocation = allocate(withRequireAny(rules, unit, instance, fleet), fleet);
      if (typeof allocation !== 'number') {
        out.errors.push(unschedulable(unit, instance, allocation));
        return false;
      }
      out.instances.push(unitInstance(unit, instance, fleet.host(allocation).name));
      fleet.place(allocation, members, instance);
    }
  }
  movedAndReplaced(unit, out.instances, unitFrom, scheduling, out);
  return true;
}

/** The `count` lowest instance numbers of a unit, ascending. */
function lowestNumbers(instances: InstanceHosts, count: number): readonly number[] {
  if (instances.size === 0) return EMPTY_LIST;
  const numbers: number[] = [];
  for (const instance of instances.keys()) numbers.push(instance);
  let ascending = true;
  for (let at = 1; at < numbers.length && ascending; at++) ascending = (numbers[at - 1] as number) < (numbers[at] as number);
  if (!ascending) numbers.sort((a, b) => a - b);
  if (numbers.length > count) numbers.length = count;
  return numbers;
}

/** The constraints' rules, with the hosts' require_any after the hard ones when any host has one. */
function withRequireAny(rules: readonly Rule[], unit: Unit, instance: number, fleet: Fleet): readonly Rule[] {
  if (fleet.requireAnyHosts.length === 0) return rules;
  return [...rules.slice(0, unit.hard), requireAnyRule(instanceLabels(unit, instance), fleet), ...rules.slice(unit.hard)];
}

/** Instances of the unit (from `from` in `instances`) now on reachable hosts whose copy on a host down for too long was lost, and returned copies that go. */
function movedAndReplaced(
  unit: Unit,
  instances: readonly UnitInstance[],
  from: number,
  { fleet, existing }: Scheduling,
  out: Outcome,
): void {
  const lost = existing.lostOf(unit.stack, unit.primary.name);
  const replacedCopies = existing.replacedOf(unit.stack, unit.primary.name);
  if (lost.size === 0 && replacedCopies.size === 0) return;
  for (let at = from; at < instances.length; at++) {
    const placed = instances[at] as UnitInstance;
    const lostOn = lost.get(placed.instance);
    const absence = lostOn === undefined ? undefined : existing.absence(lostOn);
    if (lostOn !== undefined && absence && placed.host !== fleet.host(lostOn).name)
      (out.rescheduled ??= []).push({ ...placed, from: fleet.host(lostOn).name, lastSeen: absence.lastSeen });
    const replacedOn = replacedCopies.get(placed.instance);
    if (replacedOn !== undefined && fleet.host(replacedOn).name !== placed.host)
      (out.replaced ??= []).push({
        service: placed.service,
        instance: placed.instance,
        host: fleet.host(replacedOn).name,
        keptOn: placed.host,
      });
  }
}

/** An instance left on an unreachable host corral saw before, with the time it has left there, added to `held`. */
function heldInstance(
  unit: Unit,
  instance: number,
  host: FleetHost,
  { existing, graceMs }: Scheduling,
  global: boolean,
  held: HeldInstance[],
): void {
  const absence = existing.absence(host.id);
  if (!absence) return;
  const one: HeldInstance = { ...unitInstance(unit, instance, host.name), lastSeen: absence.lastSeen };
  if (!global) {
    one.rescheduleInMs = Math.max(0, graceMs - absence.downForMs);
    one.rescheduleAt = new Date(Date.parse(absence.lastSeen) + graceMs).toISOString();
  }
  held.push(one);
}

/**
 * One instance on every reachable host passing every host_label rule (soft ones
 * count as hard) and its require_any; container rules do not apply. A host keeps
 * the instance number it already runs; a new host gets the lowest free number.
 * An unreachable host keeps its instance. Never fails: no eligible host is a warning.
 */
function placeGlobal(unit: Unit, scheduling: Scheduling, out: Outcome): boolean {
  const { fleet, existing } = scheduling;
  const hostRules = unit.hostRules;
  const eligible = (host: FleetHost, instance: number) =>
    host.reachable && hostRules.every((c) => passes(c, fleet, host.id)) && acceptsInstance(host, unit, instance);
  const existingByHost = lowestInstancePerHost(
    withLost(existing.of(unit.stack, unit.primary.name), existing.lostOf(unit.stack, unit.primary.name)),
  );
  const unitFrom = out.instances.length;
  for (const [hostId, instance] of [...existingByHost].sort(([a], [b]) => a - b)) {
    const host = fleet.host(hostId);
    if (!host.reachable) heldInstance(unit, instance, host, scheduling, true, (out.held ??= []));
    if (!host.reachable || eligible(host, instance)) out.instances.push(unitInstance(unit, instance, host.name));
  }
  const numbers = new FreeNumbers(out.instances.slice(unitFrom).map((i) => i.instance));
  const add = (hostId: number) => {
    if (existingByHost.has(hostId)) return;
    const host = fleet.host(hostId);
    const instance = numbers.lowest();
    if (!eligible(host, instance)) return;
    numbers.take(instance);
    out.instances.push(unitInstance(unit, instance, host.name));
    fleet.place(hostId, unit.members, instance);
  };
  const candidates = globalCandidates(hostRules, fleet);
  if (candidates) for (const hostId of candidates) add(hostId);
  else for (let hostId = 0; hostId < fleet.hosts.length; hostId++) add(hostId);
  if (out.instances.length === unitFrom) {
    out.warnings.push(
      `service ${unit.primary.name}: global, but no reachable host is eligible (its host_label rules, the hosts' ${SchedulingLabel.requireAny})`,
    );
  }
  return true;
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
 * labels (must or prefer: soft counts as hard here), the hosts of its rarest one; otherwise
 * undefined (all of them).
 */
function globalCandidates(hostRules: readonly AffinityConstraint[], fleet: Fleet): Iterable<number> | undefined {
  const required = hostRules.filter((c) => c.op === 'must' || c.op === 'prefer');
  if (required.length === 0) return undefined;
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
  for (const c of unit.hardHostRules) if (!passes(c, fleet, host.id)) return false;
  return acceptsInstance(host, unit, instance);
}

/** The host's require_any, for an instance of the unit (labels are only made when the host has one). */
function acceptsInstance(host: FleetHost, unit: Unit, instance: number): boolean {
  if (host.requireAny.length === 0) return true;
  return acceptsUnit(host, instanceLabels(unit, instance));
}

/**
 * A unit's container: the labels it will carry once created, and its name (less the instance
 * number), made only for `container` rules (members live as long as their stack).
 */
class Member implements UnitMember {
  readonly labels: ServiceLabels;
  private prefix?: string;

  constructor(
    private readonly stack: string,
    private readonly service: DesiredService,
    private readonly primary: string | undefined,
  ) {
    this.labels = new ServiceLabels(service.compose.labels, stack, service.name, primary);
  }

  get namePrefix(): string {
    this.prefix ??= containerNamePrefix(this.stack, this.service.name, this.primary).toLowerCase();
    return this.prefix;
  }
}

/** The labels an instance's containers will carry once created. */
function instanceLabels(unit: Unit, instance: number): LabelLookup[] {
  return unit.members.map((member) => member.labels.forInstance(instance));
}

/** require_any touches only the hosts that have the label and would refuse this unit's containers. */
function requireAnyRule(labels: readonly LabelLookup[], fleet: Fleet): Rule {
  const accepts = (host: number) => acceptsUnit(fleet.host(host), labels);
  let refusing: Set<number> | undefined;
  return {
    text: `${SchedulingLabel.requireAny} (host label: containers must carry one of its labels)`,
    hard: true,
    passes: accepts,
    passesUntouched: true,
    touched: () => {
      refusing ??= new Set(fleet.requireAnyHosts.filter((host) => !accepts(host)));
      return refusing;
    },
  };
}

function unschedulable(unit: Unit, instance: number, allocation: Unplaced): string {
  const service = `service ${unit.primary.name}`;
  if (allocation.failed.length === 0) return `${service}: no reachable host to place instance ${instance} on`;
  const rules = allocation.failed.map((rule) => rule.text).join(', ');
  return `${service}: no host satisfies ${rules} (instance ${instance}; closest host: ${allocation.closest})`;
}

function unitInstance(unit: Unit, instance: number, host: string): UnitInstance {
  return { service: unit.primary.name, instance, host };
}

/** The `count` lowest numbers ≥ 1 not in `used` (ascending). */
function lowestFree(used: readonly number[], count: number): number[] {
  const free: number[] = new Array(count);
  let found = 0;
  let next = 1;
  for (const taken of used) {
    for (; next < taken && found < count; next++) free[found++] = next;
    if (next === taken) next++;
  }
  for (; found < count; next++) free[found++] = next;
  return free;
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
