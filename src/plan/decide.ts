/**
 * What happens to each container of a deployment unit instance: create, replace, start, keep or
 * restore, and why; the networks it must be connected to; a replacement carried to the containers
 * that share its volumes or network. Pure: from the desired stack, its live containers and the specs.
 */
import { type DesiredService, type DesiredStack, unitServices } from '../model/desired.js';
import { CorralLabel } from '../model/labels.js';
import { containerName, deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedHost } from '../model/observed.js';
import type { UnitInstance } from '../model/placement.js';
import { checkedHealth, isRecovering } from '../status/container-health.js';
import { EMPTY_LIST } from '../util/lists.js';
import { memoizedPerObject } from '../util/memo.js';
import type { ContainerPlanSpec } from './container-spec.js';
import type { ContainerSpecs } from './container-specs.js';
import { changedKeys, parseKeyHashes } from './hash.js';
import type { NetworkPlace } from './network-book.js';
import { type NetworkDriver, serviceAliases } from './networks.js';
import type { StackLive } from './stack-live.js';
import type { EndpointSpec, PlanNote, RollbackRecord } from './types.js';

/** `restore`: the unit's kept predecessor (an upgrade's old container) is renamed back and started. */
export type Action = 'create' | 'replace' | 'start' | 'keep' | 'restore';

export interface ContainerDecision {
  service: DesiredService;
  spec: ContainerPlanSpec;
  existing?: ObservedContainer;
  /** The container this one replaced in an upgrade not finished yet, kept under `<name>-prev`. */
  predecessor?: ObservedContainer;
  action: Action;
  cause: string;
  /** Networks to connect the container to once it exists: joins for external_links, or ones a kept container lost. */
  connects: readonly Connect[];
}

export interface Connect {
  place: NetworkPlace;
  /** The stack that owns the network. */
  owner: string;
  endpoint: EndpointSpec;
  cause: string;
}

export interface UnitDecision {
  instance: UnitInstance;
  unitId: string;
  /** In dependency order: containers referenced through volumes_from / network_mode first. */
  containers: ContainerDecision[];
}

/**
 * An upgrade that is not finished (a crash, a new commit, a failure) left kept predecessors:
 * each container of the unit is paired with its own, on the same host. Rolling back, or the
 * desired configuration is the kept one's again (a revert during the upgrade): the kept one comes
 * back. Otherwise the upgrade goes on: a container already on the desired configuration stays (its
 * gate is waited for again), one on any other configuration is replaced and removed (the kept one
 * is what ran before the upgrade), a missing one is created.
 *
 * While a rolled-back desired state is desired, nothing is replaced for a configuration change: a
 * container of the version that ran before is kept, or started when it is stopped.
 */
export function pairWithPredecessors(
  unit: UnitDecision,
  predecessors: readonly ObservedContainer[],
  rollingBack: RollbackRecord | undefined,
): void {
  if (predecessors.length === 0 && !rollingBack) return;
  for (const d of unit.containers) {
    const predecessor = predecessors.find((p) => p.host === unit.instance.host && p.owner?.service === d.service.name);
    if (predecessor) d.predecessor = predecessor;
    if (predecessor && (rollingBack || predecessor.owner?.configHash === d.spec.hash)) {
      d.action = 'restore';
      d.cause = rollingBack
        ? `roll back: ${predecessor.name} was kept, ${d.spec.name} again`
        : `the upgrade is reverted: ${predecessor.name} was kept, ${d.spec.name} again`;
      continue;
    }
    const existing = d.existing;
    if (!rollingBack || !existing || d.action !== 'replace' || existing.owner?.configHash === d.spec.hash) continue;
    const stopped = existing.state === 'exited' || existing.state === 'created';
    const done = d.spec.shared.startOnce && existing.state === 'exited' && existing.exitCode === 0;
    d.action = stopped && !done ? 'start' : 'keep';
    d.cause = stopped && !done ? 'stopped, start (the version that ran before the rolled-back upgrade)' : '';
  }
}

/** A unit some of whose containers come back from being kept. */
export function isRestoring(unit: UnitDecision): boolean {
  for (const d of unit.containers) if (d.action === 'restore') return true;
  return false;
}

/** A unit whose containers change configuration: an upgrade (batched, gated, its old containers kept). */
export function isUpgrading(unit: UnitDecision): boolean {
  if (isRestoring(unit)) return false;
  for (const d of unit.containers) {
    if (d.action === 'replace' && d.existing?.owner?.configHash !== d.spec.hash) return true;
    if (d.action === 'create' && d.predecessor) return true;
  }
  return false;
}

/** A unit already on the desired configuration whose old containers are still kept: an upgrade not finished (in progress elsewhere, or interrupted); its gate is waited for again. */
export function isResumed(unit: UnitDecision): boolean {
  return !isRestoring(unit) && !isUpgrading(unit) && unit.containers.some((d) => d.predecessor);
}

/** The unit creates, starts or connects something on the swarm's overlay networks. */
export function needsSwarm(unit: UnitDecision): boolean {
  for (const d of unit.containers) {
    if (d.spec.shared.networkDriver === 'overlay' && d.action !== 'keep') return true;
    for (const c of d.connects) if (c.place.driver === 'overlay') return true;
  }
  return false;
}

export interface Networking {
  networkDriver: NetworkDriver;
  externalNetworks: ReadonlyMap<string, string>;
  /** Service → the names of host-network services it gets (host-names.ts). */
  hostNames: ReadonlyMap<string, readonly string[]>;
}

/** What deciding the units of one stack reads and adds to, made once per stack. */
export interface StackDecisions {
  stack: DesiredStack;
  live: StackLive;
  /** Service → the aliases `links: [svc:alias]` of the stack give it. */
  linkAliases: ReadonlyMap<string, readonly string[]>;
  specs: ContainerSpecs;
  /** The stack's notes (health strategies add to them). */
  notes: PlanNote[];
  /** unitNamings(stack). */
  namings: UnitNamings;
}

export function decideUnit(
  { stack, live, linkAliases, specs, notes, namings }: StackDecisions,
  primary: DesiredService,
  instance: UnitInstance,
  host: ObservedHost,
  networking: Networking,
): UnitDecision {
  const naming = unitNaming(namings, stack, primary, instance.instance);
  const ofUnit = live.ofUnit(primary.name, instance.instance);
  const decisions: ContainerDecision[] = [];
  for (const service of naming.services) {
    const spec = specs.spec({
      stack,
      service,
      instance: instance.instance,
      unitNames: naming.names,
      linkAliases: linkAliases.get(service.name) ?? EMPTY_LIST,
      networkDriver: networking.networkDriver,
      externalNetworks: networking.externalNetworks,
      hostNames: networking.hostNames.get(service.name) ?? EMPTY_LIST,
    });
    const existing = containerOf(ofUnit, host.name, service.name);
    decisions.push(decideContainer(service, spec, existing, primary, instance, live, notes));
  }
  propagateReplacements(decisions);
  for (const d of decisions) d.connects = connectsOf(d, stack, host, linkAliases.get(d.service.name) ?? EMPTY_LIST);
  return { instance, unitId: naming.unitId, containers: dependencyOrder(decisions) };
}

/** The unit's container of the service on the host. */
function containerOf(ofUnit: readonly ObservedContainer[], host: string, service: string): ObservedContainer | undefined {
  for (const c of ofUnit) if (c.host === host && c.owner?.service === service) return c;
  return undefined;
}

/** Some container of the unit needs another's volumes or network (volumes_from, network_mode container:). */
function hasReferences(decisions: readonly ContainerDecision[]): boolean {
  for (const d of decisions) if (d.spec.shared.references.length > 0) return true;
  return false;
}

/** The services of a unit instance and their container names: the same for every plan of the stack object. */
interface UnitNaming {
  /** The primary first, then its sidekicks. */
  services: readonly DesiredService[];
  /** Service → container name, for this instance. */
  names: Record<string, string>;
  /** `<stack>-<primary>-<instance>`. */
  unitId: string;
}

/** The namings of one primary's unit instances. */
interface PrimaryNamings {
  /** The unit's services, the same for every instance. */
  services: readonly DesiredService[];
  /** Instance number → its naming (instances are whole numbers from 1). */
  byInstance: (UnitNaming | undefined)[];
}

/** A stack's unit namings, by primary service. */
export type UnitNamings = Map<string, PrimaryNamings>;

/** The namings of the stack's units, kept with the stack object (the passes between two revisions name them again). */
export const unitNamings = memoizedPerObject((_stack: DesiredStack): UnitNamings => new Map());

function unitNaming(byPrimary: UnitNamings, stack: DesiredStack, primary: DesiredService, instance: number): UnitNaming {
  let ofPrimary = byPrimary.get(primary.name);
  if (!ofPrimary) byPrimary.set(primary.name, (ofPrimary = { services: unitServices(stack, primary), byInstance: [] }));
  let naming = ofPrimary.byInstance[instance];
  if (!naming) {
    // Own keys whatever a service is called (`__proto__` too): made once per unit instance, kept with the stack.
    const names: Record<string, string> = Object.fromEntries(
      ofPrimary.services.map((s) => [s.name, containerName(stack.name, s.name, instance, s.primary)]),
    );
    naming = { services: ofPrimary.services, names, unitId: deploymentUnitId(stack.name, primary.name, instance) };
    ofPrimary.byInstance[instance] = naming;
  }
  return naming;
}

function decideContainer(
  service: DesiredService,
  spec: ContainerPlanSpec,
  existing: ObservedContainer | undefined,
  primary: DesiredService,
  instance: UnitInstance,
  live: StackLive,
  notes: PlanNote[],
): ContainerDecision {
  let action: Action = 'keep';
  let cause = '';
  if (!existing) {
    action = 'create';
    cause = createCause(primary, instance, live);
  } else if (existing.owner?.configHash !== spec.hash) {
    action = 'replace';
    cause = configChangeCause(existing, spec);
  } else if (existing.state === 'dead') {
    action = 'replace';
    cause = 'dead, recreate';
  } else if (existing.state === 'created') {
    action = 'start';
    cause = 'created, start';
  } else if (existing.state === 'exited' && !(spec.shared.startOnce && existing.exitCode === 0)) {
    action = 'start';
    cause = existing.exitCode === undefined ? 'exited, restart' : `exited (${existing.exitCode}), restart`;
  } else {
    const health = healthDecision(service, existing, live.containers, notes);
    if (health) ({ action, cause } = health);
  }
  return { service, spec, existing, predecessor: undefined, action, cause, connects: EMPTY_LIST };
}

/**
 * A running container whose health check says unhealthy, by its service's rancher-compose
 * `health_check.strategy`: `recreate` replaces it; `recreateOnQuorum` replaces it only while at
 * least `quorum` containers of the service are healthy; `none` (and a Docker HEALTHCHECK alone)
 * only reports it. One whose latest probe passed is recovering and is left alone. The health
 * comes in as observed data (the daemon's probes).
 */
function healthDecision(
  service: DesiredService,
  existing: ObservedContainer,
  stackLive: readonly ObservedContainer[],
  notes: PlanNote[],
): { action: Action; cause: string } | undefined {
  const check = service.healthCheck;
  if (!check || existing.state !== 'running') return undefined;
  const health = checkedHealth(existing, service);
  if (health?.word !== 'unhealthy') return undefined;
  if (check.strategy === 'none') {
    notes.push({ level: 'info', message: `${existing.name} is unhealthy (${health.detail}); health_check strategy none: left as is` });
    return undefined;
  }
  if (isRecovering(existing)) {
    notes.push({
      level: 'info',
      message: `${existing.name} is unhealthy (${health.detail}) but its latest probe passed: not recreated while it recovers`,
    });
    return undefined;
  }
  if (check.strategy === 'recreateOnQuorum') {
    const healthy = stackLive.filter(
      (c) => c.owner?.service === service.name && c.state === 'running' && checkedHealth(c, service)?.word === 'healthy',
    ).length;
    const quorum = check.quorum ?? 1;
    if (healthy < quorum) {
      notes.push({
        level: 'info',
        message: `${existing.name} is unhealthy (${health.detail}); not recreated: ${healthy} healthy, quorum ${quorum} (recreateOnQuorum)`,
      });
      return undefined;
    }
  }
  return { action: 'replace', cause: `unhealthy: ${health.detail}` };
}

/**
 * Instances above every live one read as a scale-up; a gap as a container that went missing.
 * (Removing the highest instance by hand looks like a scale-up: the observed state has no history.)
 */
function createCause(primary: DesiredService, instance: UnitInstance, live: StackLive): string {
  const moved = live.rescheduledAt(instance.service, instance.instance);
  if (moved) return `rescheduled from ${moved.from} (unreachable since ${moved.lastSeen})`;
  for (const c of live.ofUnit(primary.name, instance.instance))
    if (c.host !== instance.host) return `placed on ${instance.host} now (was on ${c.host})`;
  const liveInstances = live.liveInstances(primary.name);
  if (liveInstances.has(instance.instance)) return 'missing, create';
  const desiredCount = live.desiredCount(primary.name);
  if (liveInstances.size < desiredCount && instance.instance > highest(liveInstances))
    return `scale ${liveInstances.size} → ${desiredCount}`;
  return 'missing, create';
}

/** The highest of the instance numbers, 0 for none. */
function highest(instances: ReadonlySet<number>): number {
  let max = 0;
  for (const instance of instances) if (instance > max) max = instance;
  return max;
}

function configChangeCause(existing: ObservedContainer, spec: ContainerPlanSpec): string {
  const before = parseKeyHashes(existing.labels[CorralLabel.configKeys]);
  const keys = before ? changedKeys(before, spec.shared.keyHashes) : [];
  return keys.length > 0 ? `config changed: ${keys.join(', ')}` : 'config changed';
}

/**
 * A new container joins the networks of its external_links once created. A kept one is connected
 * again to any network of its own it is observed without (its host left the swarm and came back).
 */
function connectsOf(d: ContainerDecision, stack: DesiredStack, host: ObservedHost, linkAliases: readonly string[]): readonly Connect[] {
  const { network } = d.spec.shared;
  // Most containers: nothing to join, and a kept one is on its network.
  if (d.spec.shared.joins.length === 0 && (renews(d) || !network || !d.existing?.networks || d.existing.networks.includes(network)))
    return EMPTY_LIST;
  const placeOf = (name: string): NetworkPlace =>
    d.spec.shared.networkDriver === 'overlay' ? { driver: 'overlay', name } : { driver: 'bridge', host: host.name, name };
  const joins = d.spec.shared.joins.map(
    (join): Connect => ({
      place: placeOf(join.network),
      owner: join.stack,
      endpoint: { Links: join.links },
      cause: `external_links to stack ${join.stack}`,
    }),
  );
  if (renews(d)) return joins;
  const attached = d.existing?.networks;
  if (!attached || !d.spec.shared.network) return [];
  const missing: Connect[] = [];
  if (!attached.includes(d.spec.shared.network))
    missing.push({
      place: placeOf(d.spec.shared.network),
      owner: stack.name,
      endpoint: { Aliases: serviceAliases(stack.name, d.service, linkAliases) },
      cause: `not attached to ${d.spec.shared.network}, connect`,
    });
  for (const join of joins.filter((j) => !attached.includes(j.place.name)))
    missing.push({ ...join, cause: `not attached to ${join.place.name} (${join.cause}), connect` });
  return missing;
}

/** A container that shares the volumes or network of one that is created or replaced must be replaced too. */
function propagateReplacements(decisions: ContainerDecision[]): void {
  if (!hasReferences(decisions) || !decisions.some(renews)) return;
  let changed = true;
  while (changed) {
    changed = false;
    for (const d of decisions) {
      if (renews(d)) continue;
      const renewed = decisions.find((t) => d.spec.shared.references.includes(t.service.name) && renews(t));
      if (!renewed) continue;
      d.action = 'replace';
      d.cause = `${renewed.spec.name} is ${renewed.action === 'create' ? 'created' : 'replaced'}`;
      changed = true;
    }
  }
}

/** Referenced containers before the ones that reference them; otherwise the unit's order (primary first). */
function dependencyOrder(decisions: ContainerDecision[]): ContainerDecision[] {
  if (!hasReferences(decisions) || referencesComeFirst(decisions)) return decisions;
  const ordered: ContainerDecision[] = [];
  const visit = (d: ContainerDecision, path: Set<ContainerDecision>) => {
    if (ordered.includes(d) || path.has(d)) return;
    path.add(d);
    for (const target of decisions.filter((t) => d.spec.shared.references.includes(t.service.name))) visit(target, path);
    ordered.push(d);
  };
  for (const d of decisions) visit(d, new Set());
  return ordered;
}

/** Every container a container references is before it already (a sidekick after its primary): the order needs no change. */
function referencesComeFirst(decisions: readonly ContainerDecision[]): boolean {
  for (let i = 0; i < decisions.length; i++) {
    for (const target of (decisions[i] as ContainerDecision).spec.shared.references) {
      const at = decisions.findIndex((t) => t.service.name === target);
      if (at >= i) return false;
    }
  }
  return true;
}

/** The container is created, new or again (replace). */
export function renews(d: ContainerDecision): boolean {
  return d.action === 'create' || d.action === 'replace';
}

export function placeOfOwn(d: ContainerDecision, name: string, host: string): NetworkPlace {
  return d.spec.shared.networkDriver === 'overlay' ? { driver: 'overlay', name } : { driver: 'bridge', host, name };
}
