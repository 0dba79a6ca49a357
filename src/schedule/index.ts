/**
 * The scheduler: which host runs each deployment unit instance of every stack,
 * by Cattle's (Rancher 1.6's) label rules. Pure: desired stacks and observed hosts in, placements out.
 *
 * Stacks are scheduled in the order given. What an earlier stack (or unit) places
 * counts for the later ones as if it were already on the host: in the
 * fewest-containers-first order and for container_label / container rules.
 * A stack that cannot be scheduled gets `errors`, places nothing, and the others go on.
 */
import { type DesiredService, type DesiredStack, primaryServices, unitServices } from '../model/desired.js';
import { SchedulingLabel } from '../model/labels.js';
import { containerName, rancherSystemLabels } from '../model/naming.js';
import type { ObservedHost } from '../model/observed.js';
import type { StackPlacement, UnitInstance } from '../model/placement.js';
import { type Allocation, allocate, compareNames } from './allocate.js';
import { type AffinityConstraint, isHard, parseAffinityLabels } from './constraints.js';
import { acceptsUnit, type HostContainer, type HostView, hostView, lowercased, passes, type Rule } from './match.js';

export function scheduleStacks(stacks: readonly DesiredStack[], hosts: readonly ObservedHost[]): StackPlacement[] {
  let fleet = hosts.map(hostView);
  return stacks.map((stack) => {
    const scheduled = scheduleStack(stack, fleet);
    fleet = scheduled.fleet;
    return scheduled.placement;
  });
}

/** A primary service with its sidekicks, and the affinity rules of all of them merged (as Cattle merged them). */
interface Unit {
  stack: string;
  primary: DesiredService;
  services: DesiredService[];
  constraints: AffinityConstraint[];
  warnings: string[];
}

interface Placed {
  instances: UnitInstance[];
  errors: string[];
  warnings: string[];
  fleet: HostView[];
}

/** The stack's placement, and the fleet with its new containers added (unchanged when the stack fails). */
function scheduleStack(stack: DesiredStack, fleet: HostView[]): { placement: StackPlacement; fleet: HostView[] } {
  const placement: StackPlacement = { stack: stack.name, instances: [], errors: [], warnings: [] };
  let current = fleet;
  for (const primary of schedulingOrder(stack)) {
    const unit = deploymentUnit(stack, primary);
    const placed = primary.global ? placeGlobal(unit, current) : placeScaled(unit, current);
    placement.instances.push(...placed.instances);
    placement.errors.push(...placed.errors);
    placement.warnings.push(...unit.warnings, ...placed.warnings);
    current = placed.fleet;
  }
  if (placement.errors.length > 0) return { placement: { ...placement, instances: [] }, fleet };
  placement.instances.sort((a, b) => compareNames(a.service, b.service) || a.instance - b.instance);
  return { placement, fleet: current };
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

/**
 * `scale` instances. Existing instances keep their number and host (the lowest
 * numbers survive a scale down); one on an unreachable host is left alone; one
 * whose host no longer passes the hard host rules is placed again. New instances
 * take the lowest free numbers.
 */
function placeScaled(unit: Unit, fleet: HostView[]): Placed {
  const scale = Math.max(0, unit.primary.scale);
  const kept = [...existingInstances(unit, fleet)].sort(([a], [b]) => a - b).slice(0, scale);
  const instances: UnitInstance[] = [];
  const toPlace: number[] = [];
  for (const [instance, host] of kept) {
    if (!host.reachable || staysOn(unit, instance, host)) instances.push(unitInstance(unit, instance, host.name));
    else toPlace.push(instance);
  }
  toPlace.push(
    ...lowestFree(
      kept.map(([instance]) => instance),
      scale - kept.length,
    ),
  );
  let current = fleet;
  for (const instance of toPlace.sort((a, b) => a - b)) {
    const containers = unitContainers(unit, instance);
    const allocation = allocate([...unit.constraints.map(affinityRule), requireAnyRule(containers)], current);
    if (!('host' in allocation)) return { instances: [], errors: [unschedulable(unit, instance, allocation)], warnings: [], fleet };
    instances.push(unitInstance(unit, instance, allocation.host.name));
    current = withContainers(current, allocation.host.name, containers);
  }
  return { instances, errors: [], warnings: [], fleet: current };
}

/**
 * One instance on every reachable host passing every host_label rule (soft ones
 * count as hard) and its require_any; container rules do not apply. A host keeps
 * the instance number it already runs; a new host gets the lowest free number.
 * An unreachable host keeps its instance.
 */
function placeGlobal(unit: Unit, fleet: HostView[]): Placed {
  const hostRules = unit.constraints.filter((c) => c.kind === 'host_label');
  const eligible = (host: HostView, instance: number) =>
    host.reachable &&
    hostRules.every((c) => passes(c, host)) &&
    acceptsUnit(
      host,
      unitContainers(unit, instance).map((c) => c.labels),
    );
  const existing = lowestInstancePerHost(existingInstances(unit, fleet));
  const hosts = [...fleet].sort((a, b) => compareNames(a.name, b.name));
  const instances: UnitInstance[] = [];
  for (const host of hosts) {
    const instance = existing.get(host.name);
    if (instance !== undefined && (!host.reachable || eligible(host, instance))) instances.push(unitInstance(unit, instance, host.name));
  }
  let current = fleet;
  for (const host of hosts.filter((h) => !existing.has(h.name))) {
    const [instance = 1] = lowestFree(
      instances.map((i) => i.instance),
      1,
    );
    if (!eligible(host, instance)) continue;
    instances.push(unitInstance(unit, instance, host.name));
    current = withContainers(current, host.name, unitContainers(unit, instance));
  }
  const warnings =
    instances.length === 0
      ? [
          `service ${unit.primary.name}: global, but no reachable host is eligible (its host_label rules, the hosts' ${SchedulingLabel.requireAny})`,
        ]
      : [];
  return { instances, errors: [], warnings, fleet: current };
}

/**
 * Instance number → host, from the ownership labels of observed containers. When
 * one number is seen on several hosts, a reachable host wins, then the first by name.
 */
function existingInstances(unit: Unit, fleet: readonly HostView[]): Map<number, HostView> {
  const found = new Map<number, HostView>();
  const hosts = [...fleet].sort((a, b) => Number(b.reachable) - Number(a.reachable) || compareNames(a.name, b.name));
  for (const host of hosts) {
    for (const { owner } of host.containers) {
      if (owner?.stack !== unit.stack || owner.unit !== unit.primary.name || found.has(owner.instance)) continue;
      found.set(owner.instance, host);
    }
  }
  return found;
}

/** Host name → the lowest instance number running there (a global unit has one instance per host). */
function lowestInstancePerHost(instances: ReadonlyMap<number, HostView>): Map<string, number> {
  const byHost = new Map<string, number>();
  for (const [instance, host] of [...instances].sort(([a], [b]) => a - b)) {
    if (!byHost.has(host.name)) byHost.set(host.name, instance);
  }
  return byHost;
}

/** Stable placement: an instance stays unless its host now fails a hard host_label rule or its require_any. */
function staysOn(unit: Unit, instance: number, host: HostView): boolean {
  const hostRules = unit.constraints.filter((c) => c.kind === 'host_label' && isHard(c));
  return (
    hostRules.every((c) => passes(c, host)) &&
    acceptsUnit(
      host,
      unitContainers(unit, instance).map((c) => c.labels),
    )
  );
}

/** The containers an instance of the unit will have, with the labels they will carry once created. */
function unitContainers(unit: Unit, instance: number): HostContainer[] {
  return unit.services.map((service) => {
    const primary = service === unit.primary ? undefined : unit.primary.name;
    const labels = { ...service.compose.labels, ...rancherSystemLabels(unit.stack, service.name, instance, primary) };
    return { name: containerName(unit.stack, service.name, instance, primary), labels: lowercased(labels) };
  });
}

function affinityRule(constraint: AffinityConstraint): Rule {
  return { text: constraint.text, hard: isHard(constraint), passes: (host) => passes(constraint, host) };
}

function requireAnyRule(containers: readonly HostContainer[]): Rule {
  const labels = containers.map((c) => c.labels);
  return {
    text: `${SchedulingLabel.requireAny} (host label: containers must carry one of its labels)`,
    hard: true,
    passes: (host) => acceptsUnit(host, labels),
  };
}

function unschedulable(unit: Unit, instance: number, allocation: Exclude<Allocation, { host: HostView }>): string {
  const service = `service ${unit.primary.name}`;
  if (allocation.failed.length === 0) return `${service}: no reachable host to place instance ${instance} on`;
  const rules = allocation.failed.map((rule) => rule.text).join(', ');
  return `${service}: no host satisfies ${rules} (instance ${instance}; closest host: ${allocation.closest})`;
}

function unitInstance(unit: Unit, instance: number, host: string): UnitInstance {
  return { service: unit.primary.name, instance, host };
}

function withContainers(fleet: readonly HostView[], hostName: string, containers: readonly HostContainer[]): HostView[] {
  return fleet.map((host) => (host.name === hostName ? { ...host, containers: [...host.containers, ...containers] } : host));
}

/** The `count` lowest numbers ≥ 1 not in `used`. */
function lowestFree(used: readonly number[], count: number): number[] {
  const free: number[] = [];
  for (let n = 1; free.length < count; n++) if (!used.includes(n)) free.push(n);
  return free;
}
