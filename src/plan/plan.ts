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
 * Per stack: each unit instance's containers are decided (decide.ts), changed configurations cut
 * into upgrade batches (upgrade-batches.ts), and the decisions emitted as numbered operations
 * (emit.ts, operations.ts).
 *
 * Networks (networks.ts, network-book.ts, swarm.ts): on a `network: overlay` host the stack's
 * containers join its swarm overlay network, created and removed through the swarm manager;
 * nothing that needs it is created on an overlay host outside the swarm. A network is removed
 * only once no container of any stack uses it. Links that cannot reach across hosts are noted
 * as `degraded` (reach.ts). The names of `net: host` services are /etc/hosts entries of the
 * containers on the stack network (host-names.ts).
 */

import { type DesiredStack, serviceNamed } from '../model/desired.js';
import { deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import type { HeldInstance, StackPlacement, UnitInstance } from '../model/placement.js';
import { formatDuration } from '../util/duration.js';
import { memoizedPerObject } from '../util/memo.js';
import { listItems } from '../util/values.js';
import { ContainerSpecs, type SpecCache } from './container-specs.js';
import {
  decideUnit,
  isResumed,
  type Networking,
  needsSwarm,
  pairWithPredecessors,
  placeOfOwn,
  type StackDecisions,
  type UnitDecision,
  unitNamings,
} from './decide.js';
import { type EmitShared, emitStackOperations, NO_TRANSACTION, type StackEmission, type Transaction } from './emit.js';
import { hostNetworkNames } from './host-names.js';
import { NetworkBook, type NetworkPlace } from './network-book.js';
import { externalLinksOf, type NetworkDriver, networkNameFor, onHostNetwork, serviceHosts } from './networks.js';
import { ObservedIndex } from './observed-index.js';
import { Operations } from './operations.js';
import { NO_NOTES, reachabilityNotes } from './reach.js';
import { desiredStackKey } from './stack-key.js';
import { StackLive } from './stack-live.js';
import { addressPoolNotes, swarmView } from './swarm.js';
import type { HostNote, Plan, PlanNote, RollbackRecord, StackPlan, UpgradeAttempt } from './types.js';
import { upgradeRefusal } from './upgrade.js';
import { upgradeBatches } from './upgrade-batches.js';

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
      stacks.push(specs.planning(stack, () => planDesiredStack(stack, placementByName.get(name), shared, stackLive, ops)));
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

/** What planning every stack shares: the indexed observation, the container specs worked out so far, the networks. */
interface Shared extends EmitShared {
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

/** One stack's planning: what its steps read, and the notes they add to. */
interface StackPlanning {
  stack: DesiredStack;
  placement: StackPlacement;
  shared: Shared;
  live: StackLive;
  notes: PlanNote[];
  /** The stack's last rolled-back upgrade, while the stack is still that upgrade's desired state: the plan restores. */
  rollingBack: RollbackRecord | undefined;
}

/** The units decided on reachable hosts, and the live containers that stay (decided on, or left as they are). */
interface Decided {
  units: UnitDecision[];
  kept: Set<ObservedContainer>;
}

function planDesiredStack(
  stack: DesiredStack,
  placement: StackPlacement | undefined,
  shared: Shared,
  stackLive: readonly ObservedContainer[],
  ops: Operations,
): StackPlan {
  if (!placement)
    return unplanned(stack, [{ level: 'error', message: 'the scheduler returned no placement; nothing of the stack is changed' }]);
  const refusal = refusalOf(stack, placement, stackLive);
  if (refusal) return unplanned(stack, refusal);
  const live = new StackLive(stackLive, placement);
  const record = shared.rolledBack.get(stack.name);
  const rollingBack = record && record.key === desiredStackKey(stack) ? record : undefined;
  const notes = placement.warnings.map((message): PlanNote => ({ level: 'warning', message }));
  const planning: StackPlanning = { stack, placement, shared, live, notes, rollingBack };
  const hostsOfService = serviceHosts(stack, placement);
  const { units, kept } = decideInstances(planning, hostsOfService);
  for (const note of reachNotes(planning, hostsOfService)) notes.push(note);
  for (const note of rescheduledNotes(stack, placement)) notes.push(note);
  const removals = live.containers.filter((c) => !kept.has(c));
  const { batches, held } = upgradeBatches(stack, units, notes);
  const emitted = held.size === 0 ? units : units.filter((u) => !held.has(u));
  const transaction = transactionOf(live, emitted, kept);
  const attempt = batches.length + transaction.resumed.length > 0 ? upgradeAttempt(stack) : undefined;
  if (attempt || rollingBack) notes.push(...transactionNotes(attempt, transaction, rollingBack));
  const emission: StackEmission = {
    stack: stack.name,
    batches,
    units: emitted,
    removals,
    stackLive,
    causeOf: (c) => removalCause(c, stack, live),
    stackRemoved: false,
    notes,
    transaction,
  };
  emitStackOperations(emission, shared, ops);
  const result: StackPlan = { stack: stack.name, actionable: true, notes };
  if (attempt) result.upgrade = attempt;
  if (rollingBack) result.rolledBack = rollingBack;
  return result;
}

/** The plan of a stack of which nothing is changed, and why. */
function unplanned(stack: DesiredStack, notes: PlanNote[]): StackPlan {
  return { stack: stack.name, actionable: false, notes };
}

/** Why nothing of the stack may be changed (it did not schedule, or an upgrade is refused), or undefined. */
function refusalOf(stack: DesiredStack, placement: StackPlacement, stackLive: readonly ObservedContainer[]): PlanNote[] | undefined {
  if (placement.errors.length > 0) {
    const errors = placement.errors.map((message): PlanNote => ({ level: 'error', message: `not scheduled: ${message}` }));
    return [...errors, { level: 'error', message: 'nothing of the stack is changed' }];
  }
  const refusal = upgradeRefusal(stack, stackLive);
  return refusal ? [{ level: 'error', message: refusal }] : undefined;
}

/**
 * Each placed unit instance's containers, decided on its host: an instance on an unknown or
 * unreachable host, or needing a swarm its host is not in, is left as it is and noted. The
 * warnings of the services' specs go first in the stack's notes.
 */
function decideInstances(planning: StackPlanning, hostsOfService: ReadonlyMap<string, readonly string[]>): Decided {
  const { stack, placement, shared, live, notes } = planning;
  const linkAliases = linkAliasesByService(stack);
  const hostNames = hostNetworkNames({
    stack,
    placement,
    serviceHosts: hostsOfService,
    linkAliases,
    addressOf: (name) => shared.index.host(name)?.address,
    otherHostService: (other, service) =>
      otherOnHostNetwork(other, service, shared) ? otherStackHosts(other, service, shared) : undefined,
  });
  const warnings = new Set<string>(hostNames.warnings);
  const networkingOf = networkingFor(stack, shared, hostNames.byService);
  const deciding: StackDecisions = { stack, live, linkAliases, specs: shared.specs, notes, namings: unitNamings(stack) };
  const decided: Decided = { units: [], kept: new Set() };
  for (const instance of placement.instances) {
    const primary = serviceNamed(stack, instance.service);
    const host = shared.index.host(instance.host);
    const predecessors = live.keptOf(instance.service, instance.instance);
    if (!primary || !host?.reachable) {
      notes.push(notDecidedNote(planning, instance, primary !== undefined, host));
      keepAll(decided.kept, live.ofUnit(instance.service, instance.instance), predecessors);
      continue;
    }
    const unit = decideUnit(deciding, primary, instance, host, networkingOf(host));
    pairWithPredecessors(unit, predecessors, planning.rollingBack);
    for (const d of unit.containers) for (const w of d.spec.shared.warnings) warnings.add(`service ${d.service.name}: ${w}`);
    if (heldOutOfSwarm(planning, unit, instance, host, predecessors, decided.kept)) continue;
    for (const d of unit.containers) {
      if (d.existing) decided.kept.add(d.existing);
      if (d.predecessor && d.action === 'restore') decided.kept.add(d.predecessor);
    }
    decided.units.push(unit);
  }
  if (warnings.size > 0) notes.unshift(...[...warnings].map((message): PlanNote => ({ level: 'warning', message })));
  return decided;
}

function keepAll(kept: Set<ObservedContainer>, ...lists: (readonly ObservedContainer[])[]): void {
  for (const list of lists) for (const c of list) kept.add(c);
}

/** Why an instance is left as it is: placed for an unknown service or on an unknown host (an error), or its host unreachable (degraded). */
function notDecidedNote(planning: StackPlanning, instance: UnitInstance, knownService: boolean, host: ObservedHost | undefined): PlanNote {
  const unitId = deploymentUnitId(planning.stack.name, instance.service, instance.instance);
  if (!knownService || !host)
    return { level: 'error', message: `${unitId}: placed on unknown host "${instance.host}" or for an unknown service; left as is` };
  return { level: 'degraded', message: heldMessage(unitId, host, planning.live.heldAt(instance.service, instance.instance)) };
}

/**
 * Whether the unit needs the swarm on a host outside it: then its containers are left as they are
 * (none is created), the stack's notes say why, and its overlay network stays for it.
 */
function heldOutOfSwarm(
  planning: StackPlanning,
  unit: UnitDecision,
  instance: UnitInstance,
  host: ObservedHost,
  predecessors: readonly ObservedContainer[],
  kept: Set<ObservedContainer>,
): boolean {
  const { shared, live, notes } = planning;
  const swarmProblem = needsSwarm(unit) && !shared.networks.swarm.members.has(host.name) ? swarmProblemOf(host, shared) : undefined;
  if (!swarmProblem) return false;
  const liveOfUnit = live.ofUnit(instance.service, instance.instance);
  notes.push({ level: 'degraded', message: `${unit.unitId}: ${swarmProblem}; ${liveOfUnit.length > 0 ? 'left as is' : 'not created'}` });
  keepAll(kept, liveOfUnit, predecessors);
  for (const d of unit.containers) if (d.spec.shared.network) shared.networks.use(placeOfOwn(d, d.spec.shared.network, host.name));
  return true;
}

/** Links between the stack's services that cannot reach across its hosts (reach.ts). */
function reachNotes(planning: StackPlanning, hostsOfService: ReadonlyMap<string, readonly string[]>): readonly PlanNote[] {
  const { stack, placement, shared } = planning;
  return reachabilityNotes({
    stack,
    placement,
    serviceHosts: hostsOfService,
    hostByName: (name) => shared.index.host(name),
    swarm: shared.networks.swarm,
    otherStackHosts: (other, service) => otherStackHosts(other, service, shared),
    otherOnHostNetwork: (other, service) => otherOnHostNetwork(other, service, shared),
  });
}

function rescheduledNotes(stack: DesiredStack, placement: StackPlacement): readonly PlanNote[] {
  if (!placement.rescheduled?.length) return NO_NOTES;
  return placement.rescheduled.map((moved) => ({
    level: 'info',
    message: `${deploymentUnitId(stack.name, moved.service, moved.instance)}: rescheduled on ${moved.host}: ${moved.from} has been unreachable since ${moved.lastSeen}, longer than host_down_grace`,
  }));
}

/** The upgrade begun before and resumed, and the kept predecessors that go once it is done. */
function transactionOf(live: StackLive, emitted: readonly UnitDecision[], kept: ReadonlySet<ObservedContainer>): Transaction {
  if (live.kept.length === 0) return NO_TRANSACTION;
  return {
    resumed: emitted.filter(isResumed),
    // Every kept predecessor not restored goes once the upgrade is done (all of them, when no upgrade is left).
    finished: live.kept.filter((p) => !kept.has(p)),
  };
}

/** The upgrade the stack's plan tries: what a rollback would remember it by. */
function upgradeAttempt(stack: DesiredStack): UpgradeAttempt {
  return {
    key: desiredStackKey(stack),
    template: stack.template.template,
    version: stack.template.version,
    ...(stack.revision ? { revision: stack.revision } : {}),
  };
}

/**
 * The networking of the stack's containers on a host: its kind of network, the other stacks'
 * networks they join there, the host-network names. The same object for every host of a kind
 * when the stack links to no other stack.
 */
function networkingFor(
  stack: DesiredStack,
  shared: Shared,
  hostNames: ReadonlyMap<string, readonly string[]>,
): (host: ObservedHost) => Networking {
  if (hasExternalLinks(stack))
    return (host) => ({ networkDriver: driverOf(host), externalNetworks: externalNetworksFor(stack, host, shared), hostNames });
  const byDriver: Partial<Record<NetworkDriver, Networking>> = {};
  return (host) => {
    const networkDriver = driverOf(host);
    byDriver[networkDriver] ??= { networkDriver, externalNetworks: NO_NETWORKS, hostNames };
    return byDriver[networkDriver];
  };
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
  const otherStack = shared.desiredByName.get(other);
  const target = otherStack && serviceNamed(otherStack, service);
  return target !== undefined && onHostNetwork(target);
}

/** Why an instance on an unreachable host is left alone, and for how long. */
function heldMessage(unitId: string, host: ObservedHost, held: HeldInstance | undefined): string {
  const unreachable = `${unitId}: host ${host.name} is unreachable (${host.error ?? 'no answer'})`;
  if (!held) return `${unreachable}; left as is`;
  const lastSeen = `${unreachable}, last seen ${held.lastSeen}`;
  if (held.rescheduleInMs === undefined) return `${lastSeen}; left as is until it is back (a global unit stays with its host)`;
  return `${lastSeen}; left as is, rescheduled on another host in ${formatDuration(held.rescheduleInMs)} unless it is back`;
}

/** `links: [db:database]` (or the one link `links: db:database`) in any service gives the db containers the alias `database`. */
const linkAliasesByService = memoizedPerObject(linkAliasesOf);

function linkAliasesOf(stack: DesiredStack): ReadonlyMap<string, readonly string[]> {
  const aliases = new Map<string, string[]>();
  for (const service of Object.values(stack.services)) {
    for (const link of listItems(service.compose['links']).filter((l) => !l.includes('/'))) {
      const [target = '', alias] = link.split(':');
      if (!alias || alias === target || !serviceNamed(stack, target)) continue;
      aliases.set(target, [...new Set([...(aliases.get(target) ?? []), alias])].sort());
    }
  }
  return aliases;
}

function removalCause(container: ObservedContainer, stack: DesiredStack, live: StackLive): string {
  const owner = container.owner;
  if (!owner) return 'not desired';
  const service = serviceNamed(stack, owner.service);
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

function pruneStack(name: string, shared: Shared, stackLive: readonly ObservedContainer[], ops: Operations): StackPlan {
  const volumes = shared.index.volumesOf(name);
  const notes: PlanNote[] =
    volumes.length > 0 ? [{ level: 'info', message: `volumes kept (corral never removes volumes): ${volumes.join(', ')}` }] : [];
  const emission: StackEmission = {
    stack: name,
    batches: [],
    units: [],
    removals: stackLive,
    stackLive,
    causeOf: () => 'stack removed from git',
    stackRemoved: true,
    notes,
    transaction: NO_TRANSACTION,
  };
  emitStackOperations(emission, shared, ops);
  return { stack: name, actionable: true, notes };
}
