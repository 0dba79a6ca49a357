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
 * as `degraded` (reach.ts). The names of `net: host` services are /etc/hosts entries of the
 * containers on the stack network (host-names.ts).
 */
import { type DesiredService, type DesiredStack, GATE_TIMEOUT_MS, UPGRADE_DEFAULTS, unitServices } from '../model/desired.js';
import { CorralLabel } from '../model/labels.js';
import { containerName, deploymentUnitId, keptName } from '../model/naming.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import type { HeldInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { checkedHealth, isRecovering } from '../status/container-health.js';
import { formatDuration } from '../util/duration.js';
import { memoizedPerObject } from '../util/memo.js';
import type { ContainerPlanSpec } from './container-spec.js';
import { ContainerSpecs, type SpecCache } from './container-specs.js';
import { changedKeys, parseKeyHashes } from './hash.js';
import { hostNetworkNames } from './host-names.js';
import { NetworkBook, type NetworkPlace, type NewOperation } from './network-book.js';
import {
  externalLinksOf,
  isOverlayNetworkName,
  type NetworkDriver,
  networkNameFor,
  onHostNetwork,
  overlayNetworkName,
  serviceAliases,
  stackNetworkName,
} from './networks.js';
import { ObservedIndex } from './observed-index.js';
import { reachabilityNotes } from './reach.js';
import { desiredStackKey } from './stack-key.js';
import { StackLive } from './stack-live.js';
import { addressPoolNotes, swarmView } from './swarm.js';
import type {
  EndpointSpec,
  HostNote,
  Operation,
  Plan,
  PlanNote,
  ReadinessGate,
  RollbackRecord,
  StackPlan,
  UpgradeAttempt,
} from './types.js';
import { upgradeRefusal } from './upgrade.js';

export interface PlanOptions {
  /** Remove stacks that are no longer desired. false when the desired state was read incompletely. */
  prune: boolean;
  /** Stacks in the repository that failed to render: nothing of theirs is touched. */
  failedStacks?: readonly string[];
  /** Plan only these stacks. */
  only?: readonly string[];
  /**
   * The last upgrade of each stack that was rolled back (state/upgrades-store.ts), by stack. While a
   * stack's desired state is the one rolled back (the same key), the plan restores the kept
   * containers and tries no upgrade; any change of the stack tries again.
   */
  rolledBack?: ReadonlyMap<string, RollbackRecord>;
  /** Container specs of earlier plans of the same desired stacks, reused and added to (see container-specs.ts). */
  specCache?: SpecCache;
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
  /** Marks operations as part of an upgrade (a failure of theirs rolls the stack back). */
  markUpgrade(ids: readonly string[]): void {
    for (const id of ids) {
      const op = this.list[idNumber(id) - 1];
      if (op) op.upgrade = true;
    }
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
  const specs = new ContainerSpecs(options.specCache);
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
    rolledBack: options.rolledBack ?? new Map(),
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

/** `restore`: the unit's kept predecessor (an upgrade's old container) is renamed back and started. */
type Action = 'create' | 'replace' | 'start' | 'keep' | 'restore';

interface ContainerDecision {
  service: DesiredService;
  spec: ContainerPlanSpec;
  existing?: ObservedContainer;
  /** The container this one replaced in an upgrade not finished yet, kept under `<name>-prev`. */
  predecessor?: ObservedContainer;
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
  rolledBack: ReadonlyMap<string, RollbackRecord>;
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
  const record = shared.rolledBack.get(stack.name);
  const rollingBack = record && record.key === desiredStackKey(stack) ? record : undefined;
  const kept = new Set<ObservedContainer>();
  const units: UnitDecision[] = [];
  const linkAliases = linkAliasesByService(stack);
  const hostNames = hostNetworkNames({
    stack,
    placement,
    linkAliases,
    addressOf: (name) => index.host(name)?.address,
    otherHostService: (other, service) =>
      otherOnHostNetwork(other, service, shared) ? otherStackHosts(other, service, shared) : undefined,
  });
  const warnings = new Set<string>(hostNames.warnings);
  for (const instance of placement.instances) {
    const primary = stack.services[instance.service];
    const host = index.host(instance.host);
    const unitId = deploymentUnitId(stack.name, instance.service, instance.instance);
    const liveOfUnit = live.ofUnit(instance.service, instance.instance);
    const predecessors = live.keptOf(instance.service, instance.instance);
    if (!primary || !host) {
      notes.push({ level: 'error', message: `${unitId}: placed on unknown host "${instance.host}" or for an unknown service; left as is` });
      for (const c of [...liveOfUnit, ...predecessors]) kept.add(c);
      continue;
    }
    if (!host.reachable) {
      notes.push({ level: 'degraded', message: heldMessage(unitId, host, live.heldAt(instance.service, instance.instance)) });
      for (const c of [...liveOfUnit, ...predecessors]) kept.add(c);
      continue;
    }
    const networking = {
      networkDriver: driverOf(host),
      externalNetworks: externalNetworksFor(stack, host, shared),
      hostNames: hostNames.byService,
    };
    const unit = decideUnit(stack, primary, instance, host, live, linkAliases, shared.specs, networking, notes);
    pairWithPredecessors(unit, predecessors, rollingBack);
    for (const d of unit.containers) for (const w of d.spec.shared.warnings) warnings.add(`service ${d.service.name}: ${w}`);
    const swarmProblem = needsSwarm(unit) && !shared.networks.swarm.members.has(host.name) ? swarmProblemOf(host, shared) : undefined;
    if (swarmProblem) {
      notes.push({ level: 'degraded', message: `${unitId}: ${swarmProblem}; ${liveOfUnit.length > 0 ? 'left as is' : 'not created'}` });
      for (const c of [...liveOfUnit, ...predecessors]) kept.add(c);
      // Still the stack's: its overlay network stays for it.
      for (const d of unit.containers) if (d.spec.shared.network) shared.networks.use(placeOfOwn(d, d.spec.shared.network, host.name));
      continue;
    }
    for (const d of unit.containers) {
      if (d.existing) kept.add(d.existing);
      if (d.predecessor && d.action === 'restore') kept.add(d.predecessor);
    }
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
      otherOnHostNetwork: (other, service) => otherOnHostNetwork(other, service, shared),
    }),
  );
  for (const moved of placement.rescheduled ?? []) {
    const message = `${deploymentUnitId(stack.name, moved.service, moved.instance)}: rescheduled on ${moved.host}: ${moved.from} has been unreachable since ${moved.lastSeen}, longer than host_down_grace`;
    notes.push({ level: 'info', message });
  }
  const removals = live.containers.filter((c) => !kept.has(c));
  const { batches, held } = upgradeBatches(stack, units, notes);
  const emitted = units.filter((u) => !held.has(u));
  const transaction: Transaction = {
    resumed: emitted.filter(isResumed),
    // Every kept predecessor not restored goes once the upgrade is done (all of them, when no upgrade is left).
    finished: live.kept.filter((p) => !kept.has(p)),
  };
  const attempt: UpgradeAttempt | undefined =
    batches.length + transaction.resumed.length > 0
      ? {
          key: desiredStackKey(stack),
          template: stack.template.template,
          version: stack.template.version,
          ...(stack.revision ? { revision: stack.revision } : {}),
        }
      : undefined;
  notes.push(...transactionNotes(attempt, transaction, rollingBack));
  emitStackOperations(
    stack.name,
    batches,
    emitted,
    removals,
    shared,
    stackLive,
    ops,
    (c) => removalCause(c, stack, live),
    false,
    notes,
    transaction,
  );
  return {
    stack: stack.name,
    actionable: true,
    notes,
    ...(attempt ? { upgrade: attempt } : {}),
    ...(rollingBack ? { rolledBack: rollingBack } : {}),
  };
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
function pairWithPredecessors(
  unit: UnitDecision,
  predecessors: readonly ObservedContainer[],
  rollingBack: RollbackRecord | undefined,
): void {
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
function isRestoring(unit: UnitDecision): boolean {
  return unit.containers.some((d) => d.action === 'restore');
}

/** A unit whose containers change configuration: an upgrade (batched, gated, its old containers kept). */
function isUpgrading(unit: UnitDecision): boolean {
  if (isRestoring(unit)) return false;
  return unit.containers.some(
    (d) => (d.action === 'replace' && d.existing?.owner?.configHash !== d.spec.hash) || (d.action === 'create' && d.predecessor),
  );
}

/** A unit already on the desired configuration whose old containers are still kept: an upgrade not finished (in progress elsewhere, or interrupted); its gate is waited for again. */
function isResumed(unit: UnitDecision): boolean {
  return !isRestoring(unit) && !isUpgrading(unit) && unit.containers.some((d) => d.predecessor);
}

/** The upgrade's part of a stack's plan beyond its batches. */
interface Transaction {
  /** Units an unfinished upgrade (in progress elsewhere, or interrupted) already moved to the desired configuration: gated again, before any batch. */
  resumed: UnitDecision[];
  /** Kept predecessors removed once every gate passed. */
  finished: ObservedContainer[];
}

function transactionNotes(
  attempt: UpgradeAttempt | undefined,
  transaction: Transaction,
  rollingBack: RollbackRecord | undefined,
): PlanNote[] {
  const notes: PlanNote[] = [];
  if (rollingBack)
    notes.push({
      level: 'warning',
      message: `upgrade to ${rollingBack.template} ${rollingBack.version}${rollingBack.revision ? ` (revision ${rollingBack.revision.slice(0, 12)})` : ''} was rolled back at ${rollingBack.time}: ${rollingBack.cause}; not tried again until a new commit changes the stack`,
    });
  if (attempt && transaction.resumed.length > 0) notes.push(unfinishedUpgradeNote(transaction.resumed));
  if (attempt)
    notes.push({
      level: 'info',
      message: `upgrade to ${attempt.template} ${attempt.version}: replaced containers are kept until every gate passed; any failure rolls the stack back`,
    });
  return notes;
}

/**
 * Units already on the new configuration beside their kept predecessors. The hosts do not say
 * whether another corral is applying that upgrade right now (`corral plan` beside a daemon) or a
 * crash interrupted it, so the note says what is seen, not which.
 */
function unfinishedUpgradeNote(resumed: readonly UnitDecision[]): PlanNote {
  const kept = resumed.flatMap((u) => u.containers.map((d) => d.predecessor?.name).filter((name): name is string => name !== undefined));
  const units = resumed.map((u) => u.unitId).join(', ');
  return {
    level: 'info',
    message: `an upgrade is in progress or was interrupted (kept predecessor${kept.length === 1 ? '' : 's'}: ${kept.join(', ')}): ${units} already run${resumed.length === 1 ? 's' : ''} the new configuration; gated again`,
  };
}

function driverOf(host: ObservedHost): NetworkDriver {
  return host.network === 'overlay' ? 'overlay' : 'bridge';
}

/** The unit creates, starts or connects something on the swarm's overlay networks. */
function needsSwarm(unit: UnitDecision): boolean {
  return unit.containers.some(
    (d) => (d.spec.shared.networkDriver === 'overlay' && d.action !== 'keep') || d.connects.some((c) => c.place.driver === 'overlay'),
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
function externalNetworksFor(stack: DesiredStack, host: ObservedHost, shared: Shared): ReadonlyMap<string, string> {
  if (!hasExternalLinks(stack)) return NO_NETWORKS;
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

const NO_NETWORKS: ReadonlyMap<string, string> = new Map();

const hasExternalLinks = memoizedPerObject((stack: DesiredStack) =>
  Object.values(stack.services).some((service) => externalLinksOf(service, stack.name).length > 0),
);

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

/** Another stack's service is on its host's network, as the repository says. */
function otherOnHostNetwork(other: string, service: string, shared: Shared): boolean {
  const target = shared.desiredByName.get(other)?.services[service];
  return target !== undefined && onHostNetwork(target);
}

interface Networking {
  networkDriver: NetworkDriver;
  externalNetworks: ReadonlyMap<string, string>;
  /** Service → the names of host-network services it gets (host-names.ts). */
  hostNames: ReadonlyMap<string, readonly string[]>;
}

function decideUnit(
  stack: DesiredStack,
  primary: DesiredService,
  instance: UnitInstance,
  host: ObservedHost,
  live: StackLive,
  linkAliases: ReadonlyMap<string, readonly string[]>,
  specs: ContainerSpecs,
  networking: Networking,
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
      networkDriver: networking.networkDriver,
      externalNetworks: networking.externalNetworks,
      hostNames: networking.hostNames.get(service.name) ?? [],
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
  if (existing.owner?.configHash !== spec.hash) return { action: 'replace', cause: configChangeCause(existing, spec) };
  if (existing.state === 'dead') return { action: 'replace', cause: 'dead, recreate' };
  if (existing.state === 'created') return { action: 'start', cause: 'created, start' };
  if (existing.state !== 'exited') return { action: 'keep', cause: '' };
  if (spec.shared.startOnce && existing.exitCode === 0) return { action: 'keep', cause: '' };
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
  const keys = before ? changedKeys(before, spec.shared.keyHashes) : [];
  return keys.length > 0 ? `config changed: ${keys.join(', ')}` : 'config changed';
}

/**
 * A new container joins the networks of its external_links once created. A kept one is connected
 * again to any network of its own it is observed without (its host left the swarm and came back).
 */
function connectsOf(d: ContainerDecision, stack: DesiredStack, host: ObservedHost, linkAliases: readonly string[]): Connect[] {
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
  if (decisions.every((d) => d.spec.shared.references.length === 0)) return decisions;
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

/** `links: [db:database]` in any service gives the db containers the alias `database`. */
const linkAliasesByService = memoizedPerObject(linkAliasesOf);

function linkAliasesOf(stack: DesiredStack): ReadonlyMap<string, readonly string[]> {
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
  transaction: Transaction = { resumed: [], finished: [] },
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
      if (d.spec.shared.network) networks.use(placeOfOwn(d, d.spec.shared.network, unit.instance.host));
      for (const c of d.connects) networks.use(c.place);
    }
  }
  const overlayId = decisions.some((d) => d.spec.shared.networkDriver === 'overlay' && renews(d))
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
    if (renewed.some((d) => d.spec.shared.network === bridge)) {
      const id = networks.ensure({ driver: 'bridge', host: host.name, name: bridge }, stack, stack, 'missing, create', add);
      if (id) ids.set(`network:${bridge}`, id);
    }
    for (const connect of hostDecisions.flatMap((d) => d.connects)) {
      const cause = connect.owner === stack ? 'missing, create' : `network of stack ${connect.owner}, for external_links`;
      const id = networks.ensure(connect.place, connect.owner, stack, cause, add);
      if (id) ids.set(`network:${connect.place.name}`, id);
    }
    for (const volume of renewed.flatMap((d) => d.spec.shared.volumes)) {
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
      if (ids.has(`image:${d.spec.shared.image}`) || d.spec.shared.image === '') continue;
      const cause = d.spec.shared.pullAlways
        ? 'pull_image: always'
        : index.hasImage(host, d.spec.shared.image)
          ? undefined
          : `missing on ${host.name}`;
      if (cause)
        ids.set(
          `image:${d.spec.shared.image}`,
          ops.add({ host: host.name, stack, dependsOn: [], kind: 'PullImage', target: d.spec.shared.image, cause }),
        );
    }
    infra.set(host.name, ids);
  }
  // Pull first: no container of the stack is stopped, removed or created before every new image
  // is on every host that runs it, so a failed pull (a mistyped tag) changes nothing.
  const pulls = [...infra.values()].flatMap((ids) => [...ids].filter(([key]) => key.startsWith('image:')).map(([, id]) => id));
  const upgrading = new Set([...batches.flatMap((b) => b.units), ...transaction.resumed]);
  if (upgrading.size > 0) ops.markUpgrade(pulls);
  for (const unit of units.filter((u) => !upgrading.has(u))) {
    if (isRestoring(unit)) emitRestore(unit, stack, ops);
    else emitUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), pulls, ops);
  }
  // An interrupted upgrade's units already on the new configuration are gated again, before any batch.
  const resumedGates = transaction.resumed.map((unit) => {
    const started = emitUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), pulls, ops, { upgrade: true });
    return emitGate(unit, resumedBatch(unit), started, stack, ops);
  });
  // An upgrade goes batch by batch: each batch's old containers stop only once the previous batch
  // passed its gates. They are kept under another name until the whole upgrade passed.
  let after: readonly string[] = [...pulls, ...resumedGates];
  const passed: string[] = [...resumedGates];
  const renamed: ObservedContainer[] = [];
  for (const batch of batches) {
    const gates = batch.units.map((unit) => {
      const startFirst = startFirstFor(unit, batch.service, notes);
      const { started, kept } = emitUpgradedUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), after, ops, startFirst);
      const gate = emitGate(unit, batch, started, stack, ops);
      renamed.push(...kept.map((k) => k.container));
      // start_first: the old container runs on until its successor passed the gate.
      for (const k of kept.filter(() => startFirst)) passed.push(emitKeptStop(k, stack, unit.unitId, gate, ops));
      return gate;
    });
    passed.push(...gates);
    after = [...pulls, ...gates];
  }
  // The upgrade is done once every gate passed: the kept predecessors go.
  for (const container of renamed) emitKeptRemoval(container, keptName(container.name), stack, passed, ops);
  for (const container of transaction.finished) {
    const cause = upgrading.size > 0 ? 'kept during the upgrade; the upgrade is done' : 'kept during an upgrade that is over';
    emitRemoval(container, stack, cause, [...pulls, ...passed], ops);
  }
  for (const container of sortForRemoval(removals)) emitRemoval(container, stack, causeOf(container), pulls, ops);
  // Containers replaced by this plan leave their network too; a container whose networks were
  // not observed counts as staying on the one its host uses.
  const gone = [
    ...removals,
    ...transaction.finished,
    ...decisions.filter((d) => d.action === 'replace' && d.existing).map((d) => d.existing as ObservedContainer),
  ];
  const goneSet = new Set(gone);
  const staying = stackLive.filter((c) => !goneSet.has(c));
  const removalIds = (onHost?: string) =>
    gone
      .filter((c) => onHost === undefined || c.host === onHost)
      .map((c) => ops.removalOf(c.id))
      .filter((id): id is string => id !== undefined);
  for (const host of index.hostsWithNetwork(bridge)) {
    const planned = (unitsByHost.get(host.name) ?? []).some((u) => u.containers.some((d) => d.spec.shared.network === bridge));
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
  if (decisions.some((d) => d.spec.shared.network === overlay)) return;
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
  return d.spec.shared.networkDriver === 'overlay' ? { driver: 'overlay', name } : { driver: 'bridge', host, name };
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

/** A replaced container moved out of its name's way and kept until the upgrade is done. */
interface KeptContainer {
  container: ObservedContainer;
  /** The rename's operation. */
  renameId: string;
}

/** How a unit's replaced containers go: removed (default), or kept under `<name>-prev` for an upgrade. */
interface UnitMode {
  /** The unit is part of an upgrade: its operations are marked so (a failure rolls the stack back). */
  upgrade?: boolean;
  /** Keep each replaced container (not one an earlier, interrupted upgrade left: that one's predecessor is kept already). */
  keepReplaced?: boolean;
  /** start_first: a kept container is renamed but not stopped; it stops once the new one passed its gate. */
  startFirst?: boolean;
}

/** A unit of an upgrade batch: its replaced containers are kept; all its operations are the upgrade's. */
function emitUpgradedUnit(
  unit: UnitDecision,
  stack: string,
  infra: Map<string, string>,
  after: readonly string[],
  ops: Operations,
  startFirst: boolean,
): { started: Map<string, string>; kept: KeptContainer[] } {
  const kept: KeptContainer[] = [];
  const started = emitUnit(unit, stack, infra, after, ops, { upgrade: true, keepReplaced: true, startFirst }, kept);
  return { started, kept };
}

/**
 * Emits the unit's operations, each stop, removal, rename and create after `after`; returns each
 * started container's start operation by service. Containers kept (mode.keepReplaced) are added to `kept`.
 */
function emitUnit(
  unit: UnitDecision,
  stack: string,
  infra: Map<string, string>,
  after: readonly string[],
  ops: Operations,
  mode: UnitMode = {},
  kept: KeptContainer[] = [],
): Map<string, string> {
  // A unit left as it is (most of them, in a pass with nothing to do) has nothing to emit.
  if (unit.containers.every((d) => d.action === 'keep' && d.connects.length === 0)) return new Map();
  const first = ops.list.length;
  const host = unit.instance.host;
  const removed = new Map<string, string>();
  const created = new Map<string, string>();
  const started = new Map<string, string>();
  // Old containers go in reverse dependency order: a container before the one whose network or volumes it uses.
  for (const d of [...unit.containers].reverse().filter((c) => c.action === 'replace' && c.existing)) {
    const dependents = unit.containers
      .filter((o) => o.spec.shared.references.includes(d.service.name))
      .map((o) => removed.get(o.service.name))
      .filter((id): id is string => id !== undefined);
    dependents.push(...after);
    const existing = d.existing as ObservedContainer;
    if (mode.keepReplaced && !d.predecessor) {
      const renameId = emitKeep(existing, stack, unit.unitId, d.cause, dependents, ops, mode.startFirst === true);
      kept.push({ container: existing, renameId });
      removed.set(d.service.name, renameId);
    } else removed.set(d.service.name, emitRemoval(existing, stack, d.cause, dependents, ops, unit.unitId));
  }
  for (const d of unit.containers.filter(renews)) {
    const dependsOn = [
      ...(d.spec.shared.network ? [infra.get(`network:${d.spec.shared.network}`)] : []),
      ...d.spec.shared.volumes.map((v) => infra.get(`volume:${v.Name}`)),
      ...after,
      removed.get(d.service.name),
      ...d.spec.shared.references.map((r) => created.get(r)),
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
        configHash: d.spec.hash,
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
    const dependsOn = [createId, ...(connected.get(d.service.name) ?? []), ...d.spec.shared.references.map((r) => started.get(r))].filter(
      (id): id is string => id !== undefined,
    );
    const cause = createId ? (d.action === 'replace' ? 'replaced, start' : 'created, start') : d.cause;
    const start: NewOperation = { kind: 'StartContainer', host, target: d.spec.name, stack, dependsOn, cause, unit: unit.unitId };
    if (d.action === 'start' && d.existing) start.containerId = d.existing.id;
    started.set(d.service.name, ops.add(start));
  }
  if (mode.upgrade) ops.markUpgrade(ops.list.slice(first).map((op) => op.id));
  return started;
}

/**
 * An upgrade keeps the container it replaces: stopped (not under start_first), then renamed
 * `<name>-prev` so that the new container can take its name. Its labels still say which unit
 * instance, configuration and revision it belongs to; the name says it is kept. Returns the rename.
 */
function emitKeep(
  existing: ObservedContainer,
  stack: string,
  unit: string,
  cause: string,
  dependsOn: string[],
  ops: Operations,
  startFirst: boolean,
): string {
  const { host, name: target, id: containerId } = existing;
  const running = existing.state === 'running' || existing.state === 'restarting' || existing.state === 'paused';
  const stopId =
    running && !startFirst ? ops.add({ kind: 'StopContainer', host, target, stack, cause, containerId, unit, dependsOn }) : undefined;
  const newName = keptName(existing.name);
  const why = startFirst ? 'start_first: kept running until its successor passed its gate' : 'kept until the upgrade is done';
  return ops.add({
    kind: 'RenameContainer',
    host,
    target,
    stack,
    unit,
    containerId,
    newName,
    dependsOn: stopId ? [stopId] : dependsOn,
    cause: `${why}, as ${newName}`,
  });
}

/** start_first: the kept old container stops once its successor passed the gate. */
function emitKeptStop(kept: KeptContainer, stack: string, unit: string, gate: string, ops: Operations): string {
  const { host, id: containerId } = kept.container;
  return ops.add({
    kind: 'StopContainer',
    host,
    target: keptName(kept.container.name),
    stack,
    unit,
    containerId,
    dependsOn: [gate, kept.renameId],
    cause: 'start_first: its successor passed the gate',
  });
}

/** A container this plan kept (already stopped, or stopped after its successor's gate) is removed once every gate passed. */
function emitKeptRemoval(container: ObservedContainer, name: string, stack: string, passed: string[], ops: Operations): string {
  const owner = container.owner;
  const unit = owner ? containerName(owner.stack, owner.unit, owner.instance) : undefined;
  return ops.add({
    kind: 'RemoveContainer',
    host: container.host,
    target: name,
    stack,
    ...(unit ? { unit } : {}),
    containerId: container.id,
    dependsOn: passed,
    cause: 'kept during the upgrade; the upgrade is done',
  });
}

/**
 * A unit whose kept predecessors come back (a rollback, or a revert during the upgrade): the
 * current container (if any) is stopped and removed, the kept one renamed back and started, in
 * the unit's dependency order. The same container, with the same id, runs again.
 */
function emitRestore(unit: UnitDecision, stack: string, ops: Operations): void {
  const host = unit.instance.host;
  const restoring = unit.containers.filter((d) => d.action === 'restore' && d.predecessor);
  const freed = new Map<string, string>();
  for (const d of [...restoring].reverse()) {
    if (!d.existing) continue;
    const dependents = restoring
      .filter((o) => o.spec.shared.references.includes(d.service.name))
      .map((o) => freed.get(o.service.name))
      .filter((id): id is string => id !== undefined);
    freed.set(d.service.name, emitRemoval(d.existing, stack, d.cause, dependents, ops, unit.unitId));
  }
  const started = new Map<string, string>();
  for (const d of restoring) {
    const predecessor = d.predecessor as ObservedContainer;
    const common = { host, stack, unit: unit.unitId, containerId: predecessor.id, cause: d.cause };
    const free = freed.get(d.service.name);
    const renameId = ops.add({
      ...common,
      kind: 'RenameContainer',
      target: predecessor.name,
      newName: d.spec.name,
      dependsOn: free ? [free] : [],
    });
    const references = d.spec.shared.references.map((r) => started.get(r)).filter((id): id is string => id !== undefined);
    started.set(d.service.name, ops.add({ ...common, kind: 'StartContainer', target: d.spec.name, dependsOn: [renameId, ...references] }));
  }
}

/**
 * start_first for a unit of an upgrade: the new container starts before the old one stops, unless
 * the new one would publish a host port the old one holds (or uses the host's network), or the old
 * one is on a swarm overlay network: then that unit stops first, and the plan says why.
 */
function startFirstFor(unit: UnitDecision, service: DesiredService, notes: PlanNote[]): boolean {
  if (!service.upgrade?.startFirst) return false;
  for (const d of unit.containers.filter((c) => c.action === 'replace' && c.existing && !c.predecessor)) {
    const clash = hostPortClash(d) ?? overlayRenameClash(d);
    if (!clash) continue;
    notes.push({ level: 'info', message: `${unit.unitId}: start_first not possible, ${clash}: stops first` });
    return false;
  }
  return true;
}

/** Why the new container cannot run beside the old one on its host, or undefined. */
function hostPortClash(d: ContainerDecision): string | undefined {
  const hostConfig = d.spec.create.HostConfig;
  if (hostConfig['NetworkMode'] === 'host') return `${d.spec.name} uses the host's network`;
  const bindings = (hostConfig['PortBindings'] ?? {}) as Record<string, { HostPort?: string }[] | undefined>;
  const wanted = Object.values(bindings)
    .flatMap((list) => list ?? [])
    .map((b) => Number(b.HostPort))
    .filter((port) => Number.isInteger(port) && port > 0);
  const held = new Set((d.existing?.ports ?? []).map((p) => p.publicPort).filter((p) => p !== undefined));
  const clashing = [...new Set(wanted.filter((port) => held.has(port)))].sort((a, b) => a - b);
  if (clashing.length === 0) return undefined;
  return `the old ${d.spec.name} holds host port${clashing.length === 1 ? '' : 's'} ${clashing.join(', ')}`;
}

/**
 * Why the old container cannot be renamed while it runs, or undefined: Docker refuses to rename a
 * running container attached to a swarm overlay network (its endpoint is already in the swarm's
 * table under the old name: "cannot create entry in table endpoint_table"); a stopped one renames.
 */
function overlayRenameClash(d: ContainerDecision): string | undefined {
  if (d.existing?.state !== 'running') return undefined;
  const overlay = d.existing.networks?.find(isOverlayNetworkName);
  if (!overlay) return undefined;
  return `the old ${d.spec.name} is on the overlay network ${overlay}, where Docker renames no running container`;
}

/** The pseudo-batch of a unit whose upgrade an interruption left half done: its gate is waited for again. */
function resumedBatch(unit: UnitDecision): UpgradeBatch {
  const primary = unit.containers.find((d) => d.service.primary === undefined)?.service ?? unit.containers[0]?.service;
  return { service: primary as DesiredService, units: [unit], batch: 0, batches: 0 };
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
  const upgraded = units.filter(isUpgrading);
  const byService = groupBy(upgraded, (u) => u.instance.service);
  const batches: UpgradeBatch[] = [];
  const held = new Set<UnitDecision>();
  for (const name of serviceOrder(stack)) {
    const service = stack.services[name];
    const list = byService.get(name);
    if (!service || !list) continue;
    // A unit with kept predecessors is part of an upgrade that goes on: its gate is waited for again instead.
    const notReady = newButNotReady(units.filter((u) => u.instance.service === name && !list.includes(u) && !isResumed(u)));
    if (notReady) {
      notes.push({
        level: 'error',
        message: `upgrade of ${name} held: ${notReady} runs the new configuration but is not ready; ${list.length} unit${list.length === 1 ? '' : 's'} keep the old one until a new commit fixes or reverts it`,
      });
      for (const unit of list) held.add(unit);
      continue;
    }
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
    if (!existing || existing.owner?.configHash !== d.spec.hash || d.spec.shared.startOnce) continue;
    if (existing.state !== 'running') return `${existing.name} (${existing.state})`;
    const health = checkedHealth(existing, d.service);
    if (health?.word === 'unhealthy') return `${existing.name} (unhealthy: ${health.detail})`;
  }
  return undefined;
}

/** Primary services, each after those it depends on (through any member of its unit), otherwise by name. */
const serviceOrder = memoizedPerObject(primariesInDependencyOrder);

function primariesInDependencyOrder(stack: DesiredStack): readonly string[] {
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
    upgrade: true,
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
  if (gate.batch === 0)
    return `unfinished upgrade of ${service?.primary ?? service?.name ?? gate.service}, gate: ${check}, within ${seconds(gate.timeoutMs)}`;
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
