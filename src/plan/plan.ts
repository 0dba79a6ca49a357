/**
 * plan: from the desired stacks, the scheduler's placements and the observed hosts to an
 * ordered list of Docker operations with dependencies and causes. Pure: no I/O, no clock.
 *
 * Rules: a stack that failed to render or to schedule is never touched; nothing on an
 * unreachable host is touched (the scheduler leaves an instance there while the host is within
 * host_down_grace, and places it elsewhere after; the plan creates what is placed on reachable
 * hosts and reports the rest); whole stacks are pruned only from a complete desired state
 * (`prune`); volumes are never removed; a container without corral's ownership label is never
 * in the observed model and so never touched.
 *
 * The observation is indexed once (observed-index.ts) and each stack's containers grouped once
 * (stack-live.ts), so planning grows with the stacks and containers, not with stacks × hosts.
 *
 * Networks (networks.ts, network-book.ts, swarm.ts): on a `network: overlay` host the stack's
 * containers join its swarm overlay network, created and removed through the swarm manager;
 * nothing that needs it is created on an overlay host outside the swarm. A network is removed
 * only once no container of any stack uses it. Links that cannot reach across hosts are noted
 * as `degraded` (reach.ts).
 */
import { type DesiredService, type DesiredStack, GATE_TIMEOUT_MS, UPGRADE_DEFAULTS, unitServices } from '../model/desired.js';
import { CorralLabel } from '../model/labels.js';
import { containerName, deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import type { HeldInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { checkedHealth, isRecovering } from '../status/container-health.js';
import { formatDuration } from '../util/duration.js';
import type { ContainerPlanSpec } from './container-spec.js';
import { ContainerSpecs } from './container-specs.js';
import { changedKeys, parseKeyHashes } from './hash.js';
import { NetworkBook, type NetworkPlace, type NewOperation } from './network-book.js';
import { externalLinksOf, type NetworkDriver, networkNameFor, overlayNetworkName, serviceAliases, stackNetworkName } from './networks.js';
import { ObservedIndex } from './observed-index.js';
import { reachabilityNotes } from './reach.js';
import { StackLive } from './stack-live.js';
import { addressPoolNotes, swarmView } from './swarm.js';
import type { EndpointSpec, HostNote, Operation, Plan, PlanNote, ReadinessGate, StackPlan } from './types.js';
import { upgradeRefusal } from './upgrade.js';

export interface PlanOptions {
  /** Remove stacks that are no longer desired. false when the desired state was read incompletely. */
  prune: boolean;
  /** Stacks in the repository that failed to render: nothing of theirs is touched. */
  failedStacks?: readonly string[];
  /** Plan only these stacks. */
  only?: readonly string[];
}

const idNumber = (id: string) => Number(id.slice(1));

/** Accumulates operations, numbering them `#1`, `#2`, … in plan order. */
class Operations {
  readonly list: Operation[] = [];
  /** Container id → the operation that removes it. */
  private readonly removals = new Map<string, string>();
  add(op: NewOperation): string {
    const id = `#${this.list.length + 1}`;
    const dependsOn = op.dependsOn.length < 2 ? [...op.dependsOn] : [...new Set(op.dependsOn)].sort((a, b) => idNumber(a) - idNumber(b));
    const operation = op as Operation;
    operation.id = id;
    operation.dependsOn = dependsOn;
    this.list.push(operation);
    if (op.kind === 'RemoveContainer') this.removals.set(op.containerId, id);
    return id;
  }
  removalOf(containerId: string): string | undefined {
    return this.removals.get(containerId);
  }
}

export function plan(
  desired: readonly DesiredStack[],
  placements: readonly StackPlacement[],
  observed: ObservedState,
  options: PlanOptions,
): Plan {
  const ops = new Operations();
  const stacks: StackPlan[] = [];
  const index = new ObservedIndex(observed);
  const specs = new ContainerSpecs();
  const failed = new Set(options.failedStacks ?? []);
  const only = options.only ? new Set(options.only) : undefined;
  const desiredByName = firstByName(desired, (s) => s.name);
  const placementByName = firstByName(placements, (p) => p.stack);
  const swarm = swarmView(observed.hosts);
  const networks = new NetworkBook(index, swarm);
  const shared: Shared = {
    index,
    specs,
    networks,
    prune: options.prune,
    inRepository: (name) => desiredByName.has(name) || failed.has(name),
    desiredByName,
    placementByName,
  };
  const names = new Set([
    ...desired.map((s) => s.name),
    ...failed,
    ...index.liveStacks(),
    ...[...swarm.networks.values()].map((n) => n.stack),
  ]);
  for (const name of [...names].filter(Boolean).sort()) {
    if (only && !only.has(name)) continue;
    const stackLive = index.liveOf(name);
    const stack = desiredByName.get(name);
    if (failed.has(name)) {
      stacks.push({
        stack: name,
        actionable: false,
        notes: [{ level: 'error', message: 'the stack failed to render; nothing of it is changed' }],
      });
    } else if (stack) {
      stacks.push(planDesiredStack(stack, placementByName.get(name), shared, stackLive, ops));
    } else if (options.prune) {
      stacks.push(pruneStack(name, shared, stackLive, ops));
    } else {
      stacks.push({
        stack: name,
        actionable: false,
        notes: [{ level: 'warning', message: 'not in the desired state, which was read incompletely: not pruned' }],
      });
    }
  }
  networks.finish(
    (op) => ops.add(op),
    (id) => ops.removalOf(id),
  );
  const hostNotes: HostNote[] = [...swarm.notes, ...addressPoolNotes(swarm, desired, observed.hosts)];
  return { operations: ops.list, stacks, ...(hostNotes.length > 0 ? { hosts: hostNotes } : {}) };
}

/** Name → the first item with that name. */
function firstByName<T>(items: readonly T[], nameOf: (item: T) => string): Map<string, T> {
  const byName = new Map<string, T>();
  for (const item of items) if (!byName.has(nameOf(item))) byName.set(nameOf(item), item);
  return byName;
}

type Action = 'create' | 'replace' | 'start' | 'keep';

interface ContainerDecision {
  service: DesiredService;
  spec: ContainerPlanSpec;
  existing?: ObservedContainer;
  action: Action;
  cause: string;
  /** Networks to connect the container to once it exists: joins for external_links, or ones a kept container lost. */
  connects: Connect[];
}

interface Connect {
  place: NetworkPlace;
  /** The stack that owns the network. */
  owner: string;
  endpoint: EndpointSpec;
  cause: string;
}

interface UnitDecision {
  instance: UnitInstance;
  unitId: string;
  /** In dependency order: containers referenced through volumes_from / network_mode first. */
  containers: ContainerDecision[];
}

/** What planning every stack shares: the indexed observation, the container specs worked out so far, the networks. */
interface Shared {
  index: ObservedIndex;
  specs: ContainerSpecs;
  networks: NetworkBook;
  prune: boolean;
  /** The stack is in the repository (rendered or failed to render). */
  inRepository: (stack: string) => boolean;
  desiredByName: ReadonlyMap<string, DesiredStack>;
  placementByName: ReadonlyMap<string, StackPlacement>;
}

function planDesiredStack(
  stack: DesiredStack,
  placement: StackPlacement | undefined,
  shared: Shared,
  stackLive: ObservedContainer[],
  ops: Operations,
): StackPlan {
  const { index } = shared;
  const notes: PlanNote[] = [];
  if (!placement)
    return {
      stack: stack.name,
      actionable: false,
      notes: [{ level: 'error', message: 'the scheduler returned no placement; nothing of the stack is changed' }],
    };
  if (placement.errors.length > 0) {
    const errors = placement.errors.map((message): PlanNote => ({ level: 'error', message: `not scheduled: ${message}` }));
    return { stack: stack.name, actionable: false, notes: [...errors, { level: 'error', message: 'nothing of the stack is changed' }] };
  }
  const refusal = upgradeRefusal(stack, stackLive);
  if (refusal) return { stack: stack.name, actionable: false, notes: [{ level: 'error', message: refusal }] };
  notes.push(...placement.warnings.map((message): PlanNote => ({ level: 'warning', message })));
  const live = new StackLive(stackLive, placement);
  const kept = new Set<ObservedContainer>();
  const units: UnitDecision[] = [];
  const linkAliases = linkAliasesByService(stack);
  const warnings = new Set<string>();
  for (const instance of placement.instances) {
    const primary = stack.services[instance.service];
    const host = index.host(instance.host);
    const unitId = deploymentUnitId(stack.name, instance.service, instance.instance);
    const liveOfUnit = live.ofUnit(instance.service, instance.instance);
    if (!primary || !host) {
      notes.push({ level: 'error', message: `${unitId}: placed on unknown host "${instance.host}" or for an unknown service; left as is` });
      for (const c of liveOfUnit) kept.add(c);
      continue;
    }
    if (!host.reachable) {
      notes.push({ level: 'degraded', message: heldMessage(unitId, host, live.heldAt(instance.service, instance.instance)) });
      for (const c of liveOfUnit) kept.add(c);
      continue;
    }
    const networking = { networkDriver: driverOf(host), externalNetworks: externalNetworksFor(stack, host, shared) };
    const unit = decideUnit(stack, primary, instance, host, live, linkAliases, shared.specs, networking, notes);
    for (const d of unit.containers) for (const w of d.spec.warnings) warnings.add(`service ${d.service.name}: ${w}`);
    const swarmProblem = needsSwarm(unit) && !shared.networks.swarm.members.has(host.name) ? swarmProblemOf(host, shared) : undefined;
    if (swarmProblem) {
      notes.push({ level: 'degraded', message: `${unitId}: ${swarmProblem}; ${liveOfUnit.length > 0 ? 'left as is' : 'not created'}` });
      for (const c of liveOfUnit) kept.add(c);
      // Still the stack's: its overlay network stays for it.
      for (const d of unit.containers) if (d.spec.network) shared.networks.use(placeOfOwn(d, d.spec.network, host.name));
      continue;
    }
    for (const d of unit.containers) if (d.existing) kept.add(d.existing);
    units.push(unit);
  }
  notes.unshift(...[...warnings].map((message): PlanNote => ({ level: 'warning', message })));
  notes.push(
    ...reachabilityNotes({
      stack,
      placement,
      hostByName: (name) => index.host(name),
      swarm: shared.networks.swarm,
      otherStackHosts: (other, service) => otherStackHosts(other, service, shared),
    }),
  );
  for (const moved of placement.rescheduled ?? []) {
    const message = `${deploymentUnitId(stack.name, moved.service, moved.instance)}: rescheduled on ${moved.host}: ${moved.from} has been unreachable since ${moved.lastSeen}, longer than host_down_grace`;
    notes.push({ level: 'info', message });
  }
  const removals = stackLive.filter((c) => !kept.has(c));
  const { batches, held } = upgradeBatches(stack, units, notes);
  const emitted = units.filter((u) => !held.has(u));
  emitStackOperations(stack.name, batches, emitted, removals, shared, stackLive, ops, (c) => removalCause(c, stack, live), false, notes);
  return { stack: stack.name, actionable: true, notes };
}

function driverOf(host: ObservedHost): NetworkDriver {
  return host.network === 'overlay' ? 'overlay' : 'bridge';
}

/** The unit creates, starts or connects something on the swarm's overlay networks. */
function needsSwarm(unit: UnitDecision): boolean {
  return unit.containers.some(
    (d) => (d.spec.networkDriver === 'overlay' && d.action !== 'keep') || d.connects.some((c) => c.place.driver === 'overlay'),
  );
}

function swarmProblemOf(host: ObservedHost, shared: Shared): string {
  return shared.networks.swarm.problems.get(host.name) ?? `${host.name} cannot use the swarm's overlay networks`;
}

/**
 * The networks of the stacks this stack links to (external_links), as a container on the host
 * joins them. A linked stack is joined while it is in the repository (and, when the desired state
 * was read incompletely, while its network exists); otherwise not, and the link is noted as unreachable.
 */
function externalNetworksFor(stack: DesiredStack, host: ObservedHost, shared: Shared): Map<string, string> {
  const driver = driverOf(host);
  const networks = new Map<string, string>();
  for (const service of Object.values(stack.services)) {
    for (const link of externalLinksOf(service, stack.name)) {
      const name = networkNameFor(link.stack, driver);
      const place: NetworkPlace = driver === 'overlay' ? { driver, name } : { driver, host: host.name, name };
      if (shared.inRepository(link.stack) || (!shared.prune && shared.networks.exists(place))) networks.set(link.stack, name);
    }
  }
  return networks;
}

/** Hosts of another stack's service: from its placement, else from its live containers; undefined when it is not deployed. */
function otherStackHosts(other: string, service: string, shared: Shared): string[] | undefined {
  const desired = shared.desiredByName.get(other);
  const placement = shared.placementByName.get(other);
  if (desired && placement && placement.errors.length === 0) {
    const units = Object.values(desired.services).filter((s) => s.name === service || s.sidekicks.includes(service));
    const hosts = placement.instances.filter((i) => units.some((u) => u.name === i.service)).map((i) => i.host);
    return [...new Set(hosts)];
  }
  // Pruned from a complete desired state: its containers are on their way out.
  if (!shared.inRepository(other) && shared.prune) return undefined;
  const live = shared.index.liveOf(other).filter((c) => c.owner?.service === service);
  if (live.length > 0) return [...new Set(live.map((c) => c.host))];
  return shared.inRepository(other) ? [] : undefined;
}

function decideUnit(
  stack: DesiredStack,
  primary: DesiredService,
  instance: UnitInstance,
  host: ObservedHost,
  live: StackLive,
  linkAliases: Map<string, string[]>,
  specs: ContainerSpecs,
  networking: { networkDriver: NetworkDriver; externalNetworks: ReadonlyMap<string, string> },
  notes: PlanNote[],
): UnitDecision {
  const services = unitServices(stack, primary);
  const unitNames = Object.fromEntries(services.map((s) => [s.name, containerName(stack.name, s.name, instance.instance, s.primary)]));
  const decisions = services.map((service): ContainerDecision => {
    const spec = specs.spec({
      stack,
      service,
      instance: instance.instance,
      unitNames,
      linkAliases: linkAliases.get(service.name) ?? [],
      ...networking,
    });
    const existing = live.ofUnit(primary.name, instance.instance).find((c) => c.host === host.name && c.owner?.service === service.name);
    const decided = decideContainer(spec, existing, primary, instance, live);
    const { action, cause } =
      decided.action === 'keep' && existing ? (healthDecision(service, existing, live.containers, notes) ?? decided) : decided;
    const decision: ContainerDecision = { service, spec, action, cause, connects: [] };
    if (existing) decision.existing = existing;
    return decision;
  });
  propagateReplacements(decisions);
  for (const d of decisions) d.connects = connectsOf(d, stack, host, linkAliases.get(d.service.name) ?? []);
  return { instance, unitId: deploymentUnitId(stack.name, primary.name, instance.instance), containers: dependencyOrder(decisions) };
}

function decideContainer(
  spec: ContainerPlanSpec,
  existing: ObservedContainer | undefined,
  primary: DesiredService,
  instance: UnitInstance,
  live: StackLive,
): { action: Action; cause: string } {
  if (!existing) return { action: 'create', cause: createCause(primary, instance, live) };
  if (existing.owner?.configHash !== spec.hash.hash) return { action: 'replace', cause: configChangeCause(existing, spec) };
  if (existing.state === 'dead') return { action: 'replace', cause: 'dead, recreate' };
  if (existing.state === 'created') return { action: 'start', cause: 'created, start' };
  if (existing.state !== 'exited') return { action: 'keep', cause: '' };
  if (spec.startOnce && existing.exitCode === 0) return { action: 'keep', cause: '' };
  return { action: 'start', cause: existing.exitCode === undefined ? 'exited, restart' : `exited (${existing.exitCode}), restart` };
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
  const health = checkedHealth(existing, service);
  if (!check || existing.state !== 'running' || health?.word !== 'unhealthy') return undefined;
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

/** Why an instance on an unreachable host is left alone, and for how long. */
function heldMessage(unitId: string, host: ObservedHost, held: HeldInstance | undefined): string {
  const unreachable = `${unitId}: host ${host.name} is unreachable (${host.error ?? 'no answer'})`;
  if (!held) return `${unreachable}; left as is`;
  const lastSeen = `${unreachable}, last seen ${held.lastSeen}`;
  if (held.rescheduleInMs === undefined) return `${lastSeen}; left as is until it is back (a global unit stays with its host)`;
  return `${lastSeen}; left as is, rescheduled on another host in ${formatDuration(held.rescheduleInMs)} unless it is back`;
}

/**
 * Instances above every live one read as a scale-up; a gap as a container that went missing.
 * (Removing the highest instance by hand looks like a scale-up: the observed state has no history.)
 */
function createCause(primary: DesiredService, instance: UnitInstance, live: StackLive): string {
  const moved = live.rescheduledAt(instance.service, instance.instance);
  if (moved) return `rescheduled from ${moved.from} (unreachable since ${moved.lastSeen})`;
  const liveInstances = live.liveInstances(primary.name);
  const desiredCount = live.desiredCount(primary.name);
  const elsewhere = live.ofUnit(primary.name, instance.instance).find((c) => c.host !== instance.host);
  if (elsewhere) return `placed on ${instance.host} now (was on ${elsewhere.host})`;
  if (liveInstances.has(instance.instance)) return 'missing, create';
  if (liveInstances.size < desiredCount && instance.instance > Math.max(0, ...liveInstances))
    return `scale ${liveInstances.size} → ${desiredCount}`;
  return 'missing, create';
}

function configChangeCause(existing: ObservedContainer, spec: ContainerPlanSpec): string {
  const before = parseKeyHashes(existing.labels[CorralLabel.configKeys]);
  const keys = before ? changedKeys(before, spec.hash.keys) : [];
  return keys.length > 0 ? `config changed: ${keys.join(', ')}` : 'config changed';
}

/**
 * A new container joins the networks of its external_links once created. A kept one is connected
 * again to any network of its own it is observed without (its host left the swarm and came back).
 */
function connectsOf(d: ContainerDecision, stack: DesiredStack, host: ObservedHost, linkAliases: readonly string[]): Connect[] {
  const placeOf = (name: string): NetworkPlace =>
    d.spec.networkDriver === 'overlay' ? { driver: 'overlay', name } : { driver: 'bridge', host: host.name, name };
  const joins = d.spec.joins.map(
    (join): Connect => ({
      place: placeOf(join.network),
      owner: join.stack,
      endpoint: { Links: join.links },
      cause: `external_links to stack ${join.stack}`,
    }),
  );
  if (renews(d)) return joins;
  const attached = d.existing?.networks;
  if (!attached || !d.spec.network) return [];
  const missing: Connect[] = [];
  if (!attached.includes(d.spec.network))
    missing.push({
      place: placeOf(d.spec.network),
      owner: stack.name,
      endpoint: { Aliases: serviceAliases(stack.name, d.service, linkAliases) },
      cause: `not attached to ${d.spec.network}, connect`,
    });
  for (const join of joins.filter((j) => !attached.includes(j.place.name)))
    missing.push({ ...join, cause: `not attached to ${join.place.name} (${join.cause}), connect` });
  return missing;
}

/** A container that shares the volumes or network of one that is created or replaced must be replaced too. */
function propagateReplacements(decisions: ContainerDecision[]): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const d of decisions) {
      if (renews(d)) continue;
      const renewed = decisions.find((t) => d.spec.references.includes(t.service.name) && renews(t));
      if (!renewed) continue;
      d.action = 'replace';
      d.cause = `${renewed.spec.name} is ${renewed.action === 'create' ? 'created' : 'replaced'}`;
      changed = true;
    }
  }
}

/** Referenced containers before the ones that reference them; otherwise the unit's order (primary first). */
function dependencyOrder(decisions: ContainerDecision[]): ContainerDecision[] {
  const ordered: ContainerDecision[] = [];
  const visit = (d: ContainerDecision, path: Set<ContainerDecision>) => {
    if (ordered.includes(d) || path.has(d)) return;
    path.add(d);
    for (const target of decisions.filter((t) => d.spec.references.includes(t.service.name))) visit(target, path);
    ordered.push(d);
  };
  for (const d of decisions) visit(d, new Set());
  return ordered;
}

/** `links: [db:database]` in any service gives the db containers the alias `database`. */
function linkAliasesByService(stack: DesiredStack): Map<string, string[]> {
  const aliases = new Map<string, string[]>();
  for (const service of Object.values(stack.services)) {
    const links = Array.isArray(service.compose['links']) ? service.compose['links'].map(String) : [];
    for (const link of links.filter((l) => !l.includes('/'))) {
      const [target = '', alias] = link.split(':');
      if (!alias || alias === target || !(target in stack.services)) continue;
      aliases.set(target, [...new Set([...(aliases.get(target) ?? []), alias])].sort());
    }
  }
  return aliases;
}

function removalCause(container: ObservedContainer, stack: DesiredStack, live: StackLive): string {
  const owner = container.owner;
  if (!owner) return 'not desired';
  const service = stack.services[owner.service];
  if (!service) return 'service removed from git';
  const unit = service.primary ?? service.name;
  if (owner.unit !== unit) return `now in the deployment unit of ${unit}`;
  const placed = live.placedAt(unit, owner.instance);
  const replaced = live.replacedCopyAt(unit, owner.instance, container.host);
  if (replaced) return `extra copy: the one on ${replaced.keptOn} kept running while ${container.host} was unreachable`;
  if (placed && placed.host !== container.host) return `placed on ${placed.host} now`;
  if (placed) return 'duplicate';
  if (service.global) return `global service: ${container.host} is no longer eligible`;
  return `scale ${live.liveInstances(unit).size} → ${live.desiredCount(unit)}`;
}

function pruneStack(name: string, shared: Shared, stackLive: ObservedContainer[], ops: Operations): StackPlan {
  const volumes = shared.index.volumesOf(name);
  const notes: PlanNote[] =
    volumes.length > 0 ? [{ level: 'info', message: `volumes kept (corral never removes volumes): ${volumes.join(', ')}` }] : [];
  emitStackOperations(name, [], [], stackLive, shared, stackLive, ops, () => 'stack removed from git', true, notes);
  return { stack: name, actionable: true, notes };
}

/**
 * Per host: networks, volumes and image pulls first, then each unit's containers, then removals.
 * The stack's overlay network (created through the swarm manager) comes before everything; unused
 * networks are handed to the network book, which removes them once nothing uses them. Every stop,
 * removal and create of the stack waits for every pull of the stack (so a container's network
 * connects, which follow its create, do too); network creates and a kept container's reconnect do not.
 */
function emitStackOperations(
  stack: string,
  batches: readonly UpgradeBatch[],
  units: UnitDecision[],
  removals: ObservedContainer[],
  shared: Shared,
  stackLive: ObservedContainer[],
  ops: Operations,
  causeOf: (c: ObservedContainer) => string,
  stackRemoved: boolean,
  notes: PlanNote[],
): void {
  const { index, networks } = shared;
  const add = (op: NewOperation) => ops.add(op);
  const bridge = stackNetworkName(stack);
  const overlay = overlayNetworkName(stack);
  const infra = new Map<string, Map<string, string>>();
  const unitsByHost = groupBy(units, (u) => u.instance.host);
  const decisions = units.flatMap((u) => u.containers);
  for (const unit of units) {
    for (const d of unit.containers) {
      if (d.spec.network) networks.use(placeOfOwn(d, d.spec.network, unit.instance.host));
      for (const c of d.connects) networks.use(c.place);
    }
  }
  const overlayId = decisions.some((d) => d.spec.networkDriver === 'overlay' && renews(d))
    ? networks.ensure(
        { driver: 'overlay', name: overlay },
        stack,
        stack,
        "missing, create (the stack's overlay network, across the swarm)",
        add,
      )
    : undefined;
  for (const host of index.inObservedOrder(unitsByHost.keys())) {
    if (!host.reachable) continue;
    const hostDecisions = (unitsByHost.get(host.name) ?? []).flatMap((u) => u.containers);
    const renewed = hostDecisions.filter(renews);
    const ids = new Map<string, string>();
    if (overlayId) ids.set(`network:${overlay}`, overlayId);
    if (renewed.some((d) => d.spec.network === bridge)) {
      const id = networks.ensure({ driver: 'bridge', host: host.name, name: bridge }, stack, stack, 'missing, create', add);
      if (id) ids.set(`network:${bridge}`, id);
    }
    for (const connect of hostDecisions.flatMap((d) => d.connects)) {
      const cause = connect.owner === stack ? 'missing, create' : `network of stack ${connect.owner}, for external_links`;
      const id = networks.ensure(connect.place, connect.owner, stack, cause, add);
      if (id) ids.set(`network:${connect.place.name}`, id);
    }
    for (const volume of renewed.flatMap((d) => d.spec.volumes)) {
      if (index.hasVolume(host, volume.Name) || ids.has(`volume:${volume.Name}`)) continue;
      ids.set(
        `volume:${volume.Name}`,
        ops.add({
          host: host.name,
          stack,
          dependsOn: [],
          kind: 'CreateVolume',
          target: volume.Name,
          cause: 'missing, create (volumes are kept when the stack is removed)',
          volume,
        }),
      );
    }
    for (const d of renewed) {
      if (ids.has(`image:${d.spec.image}`) || d.spec.image === '') continue;
      const cause = d.spec.pullAlways ? 'pull_image: always' : index.hasImage(host, d.spec.image) ? undefined : `missing on ${host.name}`;
      if (cause)
        ids.set(
          `image:${d.spec.image}`,
          ops.add({ host: host.name, stack, dependsOn: [], kind: 'PullImage', target: d.spec.image, cause }),
        );
    }
    infra.set(host.name, ids);
  }
  // Pull first: no container of the stack is stopped, removed or created before every new image
  // is on every host that runs it, so a failed pull (a mistyped tag) changes nothing.
  const pulls = [...infra.values()].flatMap((ids) => [...ids].filter(([key]) => key.startsWith('image:')).map(([, id]) => id));
  const upgrading = new Set(batches.flatMap((b) => b.units));
  for (const unit of units.filter((u) => !upgrading.has(u))) emitUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), pulls, ops);
  // An upgrade goes batch by batch: each batch's old containers stop only once the previous batch passed its gates.
  let after: readonly string[] = pulls;
  for (const batch of batches) {
    const gates = batch.units.map((unit) => {
      const started = emitUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), after, ops);
      return emitGate(unit, batch, started, stack, ops);
    });
    after = [...pulls, ...gates];
  }
  for (const container of sortForRemoval(removals)) emitRemoval(container, stack, causeOf(container), pulls, ops);
  // Containers replaced by this plan leave their network too; a container whose networks were
  // not observed counts as staying on the one its host uses.
  const gone = [...removals, ...decisions.filter((d) => d.action === 'replace' && d.existing).map((d) => d.existing as ObservedContainer)];
  const goneSet = new Set(gone);
  const staying = stackLive.filter((c) => !goneSet.has(c));
  const removalIds = (onHost?: string) =>
    gone
      .filter((c) => onHost === undefined || c.host === onHost)
      .map((c) => ops.removalOf(c.id))
      .filter((id): id is string => id !== undefined);
  for (const host of index.hostsWithNetwork(bridge)) {
    const planned = (unitsByHost.get(host.name) ?? []).some((u) => u.containers.some((d) => d.spec.network === bridge));
    const used = staying.some((c) => c.host === host.name && (c.networks?.includes(bridge) ?? true));
    if (used || planned) continue;
    const cause = stackRemoved ? 'stack removed from git' : `no container of the stack left on ${host.name}`;
    networks.proposeRemoval(stack, { driver: 'bridge', host: host.name, name: bridge }, removalIds(host.name), cause, notes, stackRemoved);
  }
  proposeOverlayRemoval(stack, decisions, staying, removalIds(), shared, notes, stackRemoved);
}

/** The stack's overlay network goes once no container of the stack is on it, and no overlay host is out of sight. */
function proposeOverlayRemoval(
  stack: string,
  decisions: ContainerDecision[],
  staying: ObservedContainer[],
  removalIds: string[],
  { index, networks }: Shared,
  notes: PlanNote[],
  stackRemoved: boolean,
): void {
  const overlay = overlayNetworkName(stack);
  if (!networks.swarm.networks.has(overlay)) return;
  if (decisions.some((d) => d.spec.network === overlay)) return;
  const onIt = (c: ObservedContainer) => c.networks?.includes(overlay) ?? index.host(c.host)?.network === 'overlay';
  if (staying.some(onIt)) return;
  const unseen = index.unreachable.filter((h) => h.network === 'overlay').map((h) => h.name);
  if (unseen.length > 0) {
    if (stackRemoved) notes.push({ level: 'info', message: `network ${overlay} kept while ${unseen.join(', ')} cannot be checked` });
    return;
  }
  const cause = stackRemoved ? 'stack removed from git' : 'no container of the stack uses it';
  networks.proposeRemoval(stack, { driver: 'overlay', name: overlay }, removalIds, cause, notes, stackRemoved);
}

/** The container is created, new or again (replace). */
function renews(d: ContainerDecision): boolean {
  return d.action === 'create' || d.action === 'replace';
}

function placeOfOwn(d: ContainerDecision, name: string, host: string): NetworkPlace {
  return d.spec.networkDriver === 'overlay' ? { driver: 'overlay', name } : { driver: 'bridge', host, name };
}

/** Scale down highest instance first; by service, then instance descending. */
function sortForRemoval(containers: ObservedContainer[]): ObservedContainer[] {
  return [...containers].sort(
    (a, b) =>
      (a.owner?.unit ?? '').localeCompare(b.owner?.unit ?? '') ||
      (b.owner?.instance ?? 0) - (a.owner?.instance ?? 0) ||
      a.name.localeCompare(b.name) ||
      a.host.localeCompare(b.host),
  );
}

function emitRemoval(
  container: ObservedContainer,
  stack: string,
  cause: string,
  dependsOn: string[],
  ops: Operations,
  unit?: string,
): string {
  const op = (kind: 'StopContainer' | 'RemoveContainer', after: string[]) => {
    const { host, name: target, id: containerId } = container;
    return ops.add(
      unit
        ? { host, target, stack, cause, containerId, unit, kind, dependsOn: after }
        : { host, target, stack, cause, containerId, kind, dependsOn: after },
    );
  };
  const needsStop = container.state === 'running' || container.state === 'restarting' || container.state === 'paused';
  const stopId = needsStop ? op('StopContainer', dependsOn) : undefined;
  return op('RemoveContainer', stopId ? [stopId] : dependsOn);
}

/** Emits the unit's operations, each stop, removal and create after `after`; returns each started container's start operation by service. */
function emitUnit(
  unit: UnitDecision,
  stack: string,
  infra: Map<string, string>,
  after: readonly string[],
  ops: Operations,
): Map<string, string> {
  const host = unit.instance.host;
  const removed = new Map<string, string>();
  const created = new Map<string, string>();
  const started = new Map<string, string>();
  // Old containers go in reverse dependency order: a container before the one whose network or volumes it uses.
  for (const d of [...unit.containers].reverse().filter((c) => c.action === 'replace' && c.existing)) {
    const dependents = unit.containers
      .filter((o) => o.spec.references.includes(d.service.name))
      .map((o) => removed.get(o.service.name))
      .filter((id): id is string => id !== undefined);
    dependents.push(...after);
    removed.set(d.service.name, emitRemoval(d.existing as ObservedContainer, stack, d.cause, dependents, ops, unit.unitId));
  }
  for (const d of unit.containers.filter(renews)) {
    const dependsOn = [
      ...(d.spec.network ? [infra.get(`network:${d.spec.network}`)] : []),
      ...d.spec.volumes.map((v) => infra.get(`volume:${v.Name}`)),
      ...after,
      removed.get(d.service.name),
      ...d.spec.references.map((r) => created.get(r)),
    ].filter((id): id is string => id !== undefined);
    created.set(
      d.service.name,
      ops.add({
        kind: 'CreateContainer',
        host,
        target: d.spec.name,
        stack,
        dependsOn,
        cause: d.cause,
        unit: unit.unitId,
        container: d.spec.create,
        configHash: d.spec.hash.hash,
      }),
    );
  }
  const connected = new Map<string, string[]>();
  for (const d of unit.containers.filter((c) => c.connects.length > 0)) {
    const createId = created.get(d.service.name);
    const containerId = !createId && d.existing ? { containerId: d.existing.id } : {};
    const ids = d.connects.map((connect) =>
      ops.add({
        kind: 'ConnectNetwork',
        host,
        target: d.spec.name,
        stack,
        dependsOn: [createId, infra.get(`network:${connect.place.name}`)].filter((id): id is string => id !== undefined),
        cause: connect.cause,
        unit: unit.unitId,
        network: connect.place.name,
        endpoint: connect.endpoint,
        ...containerId,
      }),
    );
    connected.set(d.service.name, ids);
  }
  for (const d of unit.containers.filter((c) => c.action !== 'keep')) {
    const createId = created.get(d.service.name);
    const dependsOn = [createId, ...(connected.get(d.service.name) ?? []), ...d.spec.references.map((r) => started.get(r))].filter(
      (id): id is string => id !== undefined,
    );
    const cause = createId ? (d.action === 'replace' ? 'replaced, start' : 'created, start') : d.cause;
    const start: NewOperation = { kind: 'StartContainer', host, target: d.spec.name, stack, dependsOn, cause, unit: unit.unitId };
    if (d.action === 'start' && d.existing) start.containerId = d.existing.id;
    started.set(d.service.name, ops.add(start));
  }
  return started;
}

interface UpgradeBatch {
  /** The primary service whose units these are. */
  service: DesiredService;
  units: UnitDecision[];
  /** 1-based, of `batches` for this service. */
  batch: number;
  batches: number;
}

/**
 * Units with a container whose configuration changed, in batches of the service's
 * `upgrade_strategy.batch_size` (lowest instances first), services in dependency order (links,
 * depends_on, volumes_from). Recreating a dead or unhealthy container is not an upgrade: no batches.
 * An upgrade whose earlier batch left a new container that is not ready (stopped, restarting,
 * unhealthy) is held: no further batch starts until a new commit fixes or reverts it.
 */
function upgradeBatches(
  stack: DesiredStack,
  units: UnitDecision[],
  notes: PlanNote[],
): { batches: UpgradeBatch[]; held: Set<UnitDecision> } {
  const upgraded = units.filter((u) =>
    u.containers.some((d) => d.action === 'replace' && d.existing?.owner?.configHash !== d.spec.hash.hash),
  );
  const byService = groupBy(upgraded, (u) => u.instance.service);
  const batches: UpgradeBatch[] = [];
  const held = new Set<UnitDecision>();
  for (const name of serviceOrder(stack)) {
    const service = stack.services[name];
    const list = byService.get(name);
    if (!service || !list) continue;
    const notReady = newButNotReady(units.filter((u) => u.instance.service === name && !list.includes(u)));
    if (notReady) {
      notes.push({
        level: 'error',
        message: `upgrade of ${name} held: ${notReady} runs the new configuration but is not ready; ${list.length} unit${list.length === 1 ? '' : 's'} keep the old one until a new commit fixes or reverts it`,
      });
      for (const unit of list) held.add(unit);
      continue;
    }
    if (service.upgrade?.startFirst)
      notes.push({
        level: 'warning',
        message: `${name}: upgrade_strategy.start_first is not carried out yet; each unit stops before its new container starts`,
      });
    const size = service.upgrade?.batchSize ?? UPGRADE_DEFAULTS.batchSize;
    const sorted = [...list].sort((a, b) => a.instance.instance - b.instance.instance);
    const count = Math.ceil(sorted.length / size);
    for (let i = 0; i < count; i++) batches.push({ service, units: sorted.slice(i * size, (i + 1) * size), batch: i + 1, batches: count });
  }
  return { batches, held };
}

/** `web-app-1 (restarting)` for the first container already on the new configuration that is not ready. */
function newButNotReady(units: UnitDecision[]): string | undefined {
  for (const d of units.flatMap((u) => u.containers)) {
    const existing = d.existing;
    if (!existing || existing.owner?.configHash !== d.spec.hash.hash || d.spec.startOnce) continue;
    if (existing.state !== 'running') return `${existing.name} (${existing.state})`;
    const health = checkedHealth(existing, d.service);
    if (health?.word === 'unhealthy') return `${existing.name} (unhealthy: ${health.detail})`;
  }
  return undefined;
}

/** Primary services, each after those it depends on (through any member of its unit), otherwise by name. */
function serviceOrder(stack: DesiredStack): string[] {
  const primaryOf = (name: string) => stack.services[name]?.primary ?? name;
  const primaries = Object.values(stack.services)
    .filter((s) => s.primary === undefined)
    .map((s) => s.name)
    .sort();
  const dependencies = new Map<string, Set<string>>(primaries.map((p) => [p, new Set<string>()]));
  for (const service of Object.values(stack.services)) {
    const own = primaryOf(service.name);
    for (const target of serviceReferences(service)) {
      const other = primaryOf(target);
      if (other !== own && dependencies.has(other)) dependencies.get(own)?.add(other);
    }
  }
  const ordered: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return;
    path.add(name);
    for (const dependency of [...(dependencies.get(name) ?? [])].sort()) visit(dependency, path);
    ordered.push(name);
  };
  for (const name of primaries) visit(name, new Set());
  return ordered;
}

/** Services this one names in links, depends_on and volumes_from. */
function serviceReferences(service: DesiredService): string[] {
  const compose = service.compose;
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.map(String) : value && typeof value === 'object' ? Object.keys(value) : [];
  return [
    ...list(compose['links'])
      .filter((l) => !l.includes('/'))
      .map((l) => l.split(':')[0] ?? ''),
    ...list(compose['depends_on']),
    ...list(compose['volumes_from']).map((v) => (v.startsWith('container:') ? '' : (v.replace(/^service:/, '').split(':')[0] ?? ''))),
  ].filter(Boolean);
}

/** The gate after a unit of a batch: its new container (the primary's, or the first renewed one) must turn ready. */
function emitGate(unit: UnitDecision, batch: UpgradeBatch, started: Map<string, string>, stack: string, ops: Operations): string {
  const renewed = unit.containers.filter(renews);
  const waited = renewed.find((d) => d.service.name === batch.service.name) ?? renewed[0] ?? unit.containers[0];
  const strategy = batch.service.upgrade ?? UPGRADE_DEFAULTS;
  const gate = {
    service: waited?.service.name ?? batch.service.name,
    batch: batch.batch,
    batches: batch.batches,
    minReadyMs: strategy.minReadyMs,
    timeoutMs: waited?.service.healthCheck?.initializingTimeoutMs ?? GATE_TIMEOUT_MS,
    thenWaitMs: batch.batch < batch.batches ? strategy.intervalMs : 0,
  };
  const startId = waited ? started.get(waited.service.name) : undefined;
  return ops.add({
    kind: 'AwaitReady',
    host: unit.instance.host,
    target: waited?.spec.name ?? unit.unitId,
    stack,
    unit: unit.unitId,
    dependsOn: startId ? [startId] : [],
    cause: gateCause(gate, waited?.service),
    gate,
  });
}

/** `batch 1/3 of web, gate: healthy by its health_check, within 60 s; then 2 s before the next batch` */
function gateCause(gate: ReadinessGate, service: DesiredService | undefined): string {
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const check = service?.healthCheck
    ? 'healthy by its health_check'
    : `healthy by Docker's HEALTHCHECK or ${seconds(gate.minReadyMs)} running without a restart`;
  const then = gate.thenWaitMs > 0 ? `; then ${seconds(gate.thenWaitMs)} before the next batch` : '';
  return `batch ${gate.batch}/${gate.batches} of ${service?.primary ?? service?.name ?? gate.service}, gate: ${check}, within ${seconds(gate.timeoutMs)}${then}`;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(keyOf(item));
    if (group) group.push(item);
    else groups.set(keyOf(item), [item]);
  }
  return groups;
}
