/**
 * A stack's decisions as Docker operations: per host its networks, volumes and pulls first, then
 * each unit's containers (an upgrade batch by batch, behind readiness gates), then removals; the
 * networks it no longer uses go to the network book. Pure.
 */
import { type DesiredService, GATE_TIMEOUT_MS, UPGRADE_DEFAULTS } from '../model/desired.js';
import { containerName, keptName } from '../model/naming.js';
import type { ObservedContainer, ObservedHost } from '../model/observed.js';
import { EMPTY_LIST } from '../util/lists.js';
import { groupBy } from '../util/records.js';
import { type ContainerDecision, isRestoring, renews, type UnitDecision } from './decide.js';
import type { NetworkBook, NewOperation } from './network-book.js';
import { isOverlayNetworkName, overlayNetworkName, stackNetworkName } from './networks.js';
import type { ObservedIndex } from './observed-index.js';
import { createContainerOperation, NO_DEPENDENCIES, type Operations } from './operations.js';
import type { PlanNote, ReadinessGate } from './types.js';
import type { UpgradeBatch } from './upgrade-batches.js';

/** What emitting a stack's operations reads of the plan's shared state. */
export interface EmitShared {
  index: ObservedIndex;
  networks: NetworkBook;
}

/** The upgrade's part of a stack's plan beyond its batches. */
export interface Transaction {
  /** Units an unfinished upgrade (in progress elsewhere, or interrupted) already moved to the desired configuration: gated again, before any batch. */
  resumed: readonly UnitDecision[];
  /** Kept predecessors removed once every gate passed. */
  finished: readonly ObservedContainer[];
}

/** What one stack's operations are emitted from (plan.ts): its decisions, the containers that go, and the notes to add to. */
export interface StackEmission {
  stack: string;
  batches: readonly UpgradeBatch[];
  units: readonly UnitDecision[];
  /** Live containers the plan removes (not decided on, not kept). */
  removals: readonly ObservedContainer[];
  /** Every live container of the stack. */
  stackLive: readonly ObservedContainer[];
  causeOf: (c: ObservedContainer) => string;
  /** The whole stack is removed from git (pruned). */
  stackRemoved: boolean;
  notes: PlanNote[];
  transaction: Transaction;
}

/** No upgrade left over from an earlier pass. */
export const NO_TRANSACTION: Transaction = { resumed: [], finished: [] };

/**
 * Per host: networks, volumes and image pulls first, then each unit's containers, then removals.
 * The stack's overlay network (created through the swarm manager) comes before everything; unused
 * networks are handed to the network book, which removes them once nothing uses them. Every stop,
 * removal and create of the stack waits for every pull of the stack (so a container's network
 * connects, which follow its create, do too); network creates and a kept container's reconnect do not.
 * A stack whose units are all left as they are (a pass with nothing to do) only tells the network
 * book which networks it uses and looks for networks it left.
 */
export function emitStackOperations(emission: StackEmission, shared: EmitShared, ops: Operations): void {
  const { stack, batches, units, transaction } = emission;
  const use = bookNetworkUse(stack, units, shared.networks);
  const overlayId = use.createsOnOverlay
    ? shared.networks.ensure(
        { driver: 'overlay', name: overlayNetworkName(stack) },
        stack,
        stack,
        "missing, create (the stack's overlay network, across the swarm)",
        ops,
      )
    : undefined;
  // Pull first: no container of the stack is stopped, removed or created before every new image
  // is on every host that runs it, so a failed pull (a mistyped tag) changes nothing.
  const pulls: string[] = [];
  const infra = use.preparing ? prepareHosts(stack, units, use.preparing, overlayId, shared, ops, pulls) : undefined;
  const upgrading =
    batches.length > 0 || transaction.resumed.length > 0
      ? new Set([...batches.flatMap((b) => b.units), ...transaction.resumed])
      : undefined;
  if (upgrading) ops.markUpgrade(pulls);
  for (const unit of units) {
    if (upgrading?.has(unit)) continue;
    if (isRestoring(unit)) emitRestore(unit, stack, ops);
    else if (!isLeftAsIs(unit)) emitUnit(unit, stack, infra?.get(unit.instance.host), pulls, ops);
  }
  emitUpgrade(emission, upgrading !== undefined, infra, pulls, ops);
  for (const container of sortForRemoval(emission.removals)) emitRemoval(container, stack, emission.causeOf(container), pulls, ops);
  proposeNetworkRemovals(emission, use, shared, ops);
}

/** Which networks the stack's units use, told to the network book, and what that asks of the plan. */
interface NetworkUse {
  /** A container is created or replaced on an overlay network: the stack's overlay comes first. */
  createsOnOverlay: boolean;
  usesOwnOverlay: boolean;
  /** Hosts where a container is created or connected to a network: they get networks, volumes and pulls first. */
  preparing: Set<string> | undefined;
  /** Containers this plan replaces: they leave their networks too. */
  replaced: ObservedContainer[] | undefined;
}

function bookNetworkUse(stack: string, units: readonly UnitDecision[], networks: NetworkBook): NetworkUse {
  const overlay = overlayNetworkName(stack);
  const use: NetworkUse = { createsOnOverlay: false, usesOwnOverlay: false, preparing: undefined, replaced: undefined };
  for (const unit of units) {
    const host = unit.instance.host;
    let used: string | undefined;
    for (const d of unit.containers) {
      const { network, networkDriver } = d.spec.shared;
      // A unit's containers share their stack's network: told to the book once.
      if (network && network !== used) {
        if (networkDriver === 'overlay') networks.useOverlay(network);
        else networks.useBridge(host, network);
        if (network === overlay) use.usesOwnOverlay = true;
        used = network;
      }
      for (const c of d.connects) networks.use(c.place);
      const renewed = renews(d);
      if (renewed && networkDriver === 'overlay') use.createsOnOverlay = true;
      if (renewed || d.connects.length > 0) (use.preparing ??= new Set()).add(host);
      if (d.action === 'replace' && d.existing) (use.replaced ??= []).push(d.existing);
    }
  }
  return use;
}

/**
 * An interrupted upgrade's units already on the new configuration are gated again, before any
 * batch; then the upgrade goes batch by batch: each batch's old containers stop only once the
 * previous batch passed its gates, and are kept under another name until the whole upgrade
 * passed. Then the kept predecessors go.
 */
function emitUpgrade(
  { stack, batches, transaction, notes }: StackEmission,
  upgrading: boolean,
  infra: Map<string, HostInfra> | undefined,
  pulls: readonly string[],
  ops: Operations,
): void {
  // No upgrade and nothing kept from one (every stack of a cold plan): no lists to make.
  if (batches.length === 0 && transaction.resumed.length === 0 && transaction.finished.length === 0) return;
  const resumedGates = transaction.resumed.map((unit) => {
    const started = emitUnit(unit, stack, infra?.get(unit.instance.host), pulls, ops, { upgrade: true });
    return emitGate(unit, resumedBatch(unit), started, stack, ops);
  });
  let after: readonly string[] = [...pulls, ...resumedGates];
  const passed: string[] = [...resumedGates];
  const renamed: ObservedContainer[] = [];
  for (const batch of batches) {
    const gates = batch.units.map((unit) => {
      const startFirst = startFirstFor(unit, batch.service, notes);
      const { started, kept } = emitUpgradedUnit(unit, stack, infra?.get(unit.instance.host), after, ops, startFirst);
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
    const cause = upgrading ? 'kept during the upgrade; the upgrade is done' : 'kept during an upgrade that is over';
    emitRemoval(container, stack, cause, [...pulls, ...passed], ops);
  }
}

/**
 * The stack's networks that no container will use once the plan is applied, proposed to the
 * network book for removal. Containers removed or replaced by this plan leave their networks; a
 * container whose networks were not observed counts as staying on the one its host uses.
 */
function proposeNetworkRemovals(emission: StackEmission, use: NetworkUse, shared: EmitShared, ops: Operations): void {
  const { stack, removals, transaction, stackLive, stackRemoved, notes } = emission;
  const bridge = stackNetworkName(stack);
  const gone =
    removals.length + transaction.finished.length + (use.replaced?.length ?? 0) === 0
      ? EMPTY_LIST
      : [...removals, ...transaction.finished, ...(use.replaced ?? [])];
  const goneSet = gone.length > 0 ? new Set(gone) : undefined;
  const staying = goneSet ? stackLive.filter((c) => !goneSet.has(c)) : stackLive;
  const removalIds = (onHost?: string) =>
    gone
      .filter((c) => onHost === undefined || c.host === onHost)
      .map((c) => ops.removalOf(c.id))
      .filter((id): id is string => id !== undefined);
  for (const host of shared.index.hostsWithNetwork(bridge)) {
    // Used by a container planned on it (this stack's, or one joining it for external_links: the book keeps it then).
    if (shared.networks.plansBridge(host.name, bridge)) continue;
    if (staying.some((c) => c.host === host.name && (c.networks?.includes(bridge) ?? true))) continue;
    const cause = stackRemoved ? 'stack removed from git' : `no container of the stack left on ${host.name}`;
    shared.networks.proposeRemoval(
      stack,
      { driver: 'bridge', host: host.name, name: bridge },
      removalIds(host.name),
      cause,
      notes,
      stackRemoved,
    );
  }
  proposeOverlayRemoval(stack, use.usesOwnOverlay, staying, removalIds, shared, notes, stackRemoved);
}

/**
 * The operations a host's new containers of the stack wait for: the networks, volumes and image
 * pulls this plan makes there. A handful per host: kept in one short flat list (kind, name, id, …),
 * not in maps or an object per entry.
 */
class HostInfra {
  /** Made at its size with the first entry (most hosts get only the stack's network): one grown by push from empty has room for 17. */
  private entries: string[] | undefined;

  network(name: string): string | undefined {
    return this.find('network', name);
  }
  volume(name: string): string | undefined {
    return this.find('volume', name);
  }
  image(name: string): string | undefined {
    return this.find('image', name);
  }
  setNetwork(name: string, id: string): void {
    this.set('network', name, id);
  }
  setVolume(name: string, id: string): void {
    this.set('volume', name, id);
  }
  setImage(name: string, id: string): void {
    this.set('image', name, id);
  }

  private at(kind: InfraKind, name: string): number {
    const entries = this.entries ?? EMPTY_LIST;
    for (let at = 0; at < entries.length; at += 3) if (entries[at] === kind && entries[at + 1] === name) return at;
    return -1;
  }

  private find(kind: InfraKind, name: string): string | undefined {
    const at = this.at(kind, name);
    return at < 0 ? undefined : this.entries?.[at + 2];
  }

  private set(kind: InfraKind, name: string, id: string): void {
    const at = this.at(kind, name);
    if (!this.entries) this.entries = [kind, name, id];
    else if (at >= 0) this.entries[at + 2] = id;
    else this.entries.push(kind, name, id);
  }
}

type InfraKind = 'network' | 'volume' | 'image';

const VOLUME_CAUSE = 'missing, create (volumes are kept when the stack is removed)';

/**
 * The networks, volumes and pulls of the hosts where the stack creates or connects containers, host
 * by host in observation order: the stack's network, the networks joined, volumes, then images
 * missing (each pull's id added to `pulls`).
 */
function prepareHosts(
  stack: string,
  units: readonly UnitDecision[],
  hostNames: ReadonlySet<string>,
  overlayId: string | undefined,
  shared: EmitShared,
  ops: Operations,
  pulls: string[],
): Map<string, HostInfra> {
  const unitsByHost = groupBy(units, (u) => u.instance.host);
  const infra = new Map<string, HostInfra>();
  const bridge = stackNetworkName(stack);
  const overlay = overlayNetworkName(stack);
  for (const host of shared.index.inObservedOrder(hostNames)) {
    if (!host.reachable) continue;
    const ids = new HostInfra();
    infra.set(host.name, ids);
    if (overlayId) ids.setNetwork(overlay, overlayId);
    const at: HostPreparation = { stack, bridge, host, units: unitsByHost.get(host.name) ?? EMPTY_LIST, shared, ops, ids };
    prepareNetworks(at);
    createVolumes(at);
    pullImages(at, pulls);
  }
  return infra;
}

/** One host's share of prepareHosts: the stack's units on it, and the ids of what they need there. */
interface HostPreparation {
  stack: string;
  /** The stack's bridge network (stackNetworkName). */
  bridge: string;
  host: ObservedHost;
  units: readonly UnitDecision[];
  shared: EmitShared;
  ops: Operations;
  ids: HostInfra;
}

/** The stack's network where a unit on the host creates a container on it, and the networks its containers join. */
function prepareNetworks({ stack, bridge, host, units, shared, ops, ids }: HostPreparation): void {
  if (createsOn(units, bridge)) {
    const id = shared.networks.ensureBridge(host.name, bridge, stack, stack, 'missing, create', ops);
    if (id) ids.setNetwork(bridge, id);
  }
  for (const unit of units) {
    for (const d of unit.containers) {
      for (const connect of d.connects) {
        const cause = connect.owner === stack ? 'missing, create' : `network of stack ${connect.owner}, for external_links`;
        const id = shared.networks.ensure(connect.place, connect.owner, stack, cause, ops);
        if (id) ids.setNetwork(connect.place.name, id);
      }
    }
  }
}

/** Whether one of the units creates or replaces a container on the network. */
function createsOn(units: readonly UnitDecision[], network: string): boolean {
  for (const unit of units) for (const d of unit.containers) if (renews(d) && d.spec.shared.network === network) return true;
  return false;
}

/** The volumes the host's new containers mount that it does not have. */
function createVolumes({ stack, host, units, shared, ops, ids }: HostPreparation): void {
  // An empty host (every host of a cold plan) has no volume to look for.
  const mayHaveVolumes = host.volumes.length > 0;
  for (const unit of units) {
    for (const d of unit.containers) {
      if (!renews(d)) continue;
      for (const volume of d.spec.shared.volumes) {
        if ((mayHaveVolumes && shared.index.hasVolume(host, volume.Name)) || ids.volume(volume.Name)) continue;
        const id = ops.add({
          host: host.name,
          stack,
          dependsOn: NO_DEPENDENCIES,
          kind: 'CreateVolume',
          target: volume.Name,
          cause: VOLUME_CAUSE,
          volume,
          id: ops.nextId,
        });
        ids.setVolume(volume.Name, id);
      }
    }
  }
}

/** A pull of each image the host's new containers need and it does not have (or that is pulled always); their ids added to `pulls`. */
function pullImages({ stack, host, units, shared, ops, ids }: HostPreparation, pulls: string[]): void {
  for (const unit of units) {
    for (const d of unit.containers) {
      const image = d.spec.shared.image;
      if (!renews(d) || image === '' || ids.image(image)) continue;
      const cause = d.spec.shared.pullAlways
        ? 'pull_image: always'
        : shared.index.hasImage(host, image)
          ? undefined
          : `missing on ${host.name}`;
      if (!cause) continue;
      const id = ops.add({ host: host.name, stack, dependsOn: NO_DEPENDENCIES, kind: 'PullImage', target: image, cause });
      ids.setImage(image, id);
      pulls.push(id);
    }
  }
}

/** The stack's overlay network goes once no container of the stack is on it, and no overlay host is out of sight. */
function proposeOverlayRemoval(
  stack: string,
  usedByThePlan: boolean,
  staying: readonly ObservedContainer[],
  removalIds: () => string[],
  { index, networks }: EmitShared,
  notes: PlanNote[],
  stackRemoved: boolean,
): void {
  const overlay = overlayNetworkName(stack);
  if (!networks.swarm.networks.has(overlay)) return;
  if (usedByThePlan) return;
  const onIt = (c: ObservedContainer) => c.networks?.includes(overlay) ?? index.host(c.host)?.network === 'overlay';
  if (staying.some(onIt)) return;
  const unseen = index.unreachable.filter((h) => h.network === 'overlay').map((h) => h.name);
  if (unseen.length > 0) {
    if (stackRemoved) notes.push({ level: 'info', message: `network ${overlay} kept while ${unseen.join(', ')} cannot be checked` });
    return;
  }
  const cause = stackRemoved ? 'stack removed from git' : 'no container of the stack uses it';
  networks.proposeRemoval(stack, { driver: 'overlay', name: overlay }, removalIds(), cause, notes, stackRemoved);
}

/** Scale down highest instance first; by service, then instance descending. */
function sortForRemoval(containers: readonly ObservedContainer[]): ObservedContainer[] {
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
  dependsOn: readonly string[],
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
  const stopId = needsStop ? op('StopContainer', [...dependsOn]) : undefined;
  return op('RemoveContainer', stopId ? [stopId] : [...dependsOn]);
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
  infra: HostInfra | undefined,
  after: readonly string[],
  ops: Operations,
  startFirst: boolean,
): { started: readonly (string | undefined)[]; kept: KeptContainer[] } {
  const kept: KeptContainer[] = [];
  const started = emitUnit(unit, stack, infra, after, ops, { upgrade: true, keepReplaced: true, startFirst }, kept);
  return { started, kept };
}

/** A unit whose containers all stay as they are, connected to what they should be: nothing to emit. */
function isLeftAsIs(unit: UnitDecision): boolean {
  for (const d of unit.containers) if (d.action !== 'keep' || d.connects.length > 0) return false;
  return true;
}

const PLAIN: UnitMode = {};
const NOTHING_STARTED: readonly (string | undefined)[] = [];

/**
 * Emits the unit's operations, each stop, removal, rename and create after `after`; returns the
 * start operation of each container, by its position in the unit. Containers kept
 * (mode.keepReplaced) are added to `kept`.
 */
function emitUnit(
  unit: UnitDecision,
  stack: string,
  infra: HostInfra | undefined,
  after: readonly string[],
  ops: Operations,
  mode: UnitMode = PLAIN,
  kept?: KeptContainer[],
): readonly (string | undefined)[] {
  if (isLeftAsIs(unit)) return NOTHING_STARTED;
  const containers = unit.containers;
  const first = ops.list.length;
  const host = unit.instance.host;
  const removed = emitReplacedRemovals(unit, stack, after, ops, mode, kept);
  // Arrays of the unit's size (most units have one container): one grown from empty has room for 17.
  const created = new Array<string | undefined>(containers.length);
  for (let at = 0; at < containers.length; at++) {
    const d = containers[at] as ContainerDecision;
    if (!renews(d)) continue;
    const { network, volumes, references } = d.spec.shared;
    const dependsOn = gathering.start();
    if (network) dependsOn.add(infra?.network(network));
    for (const volume of volumes) dependsOn.add(infra?.volume(volume.Name));
    dependsOn.addAll(after);
    dependsOn.add(removed?.[at]);
    for (const reference of references) dependsOn.add(idOfService(created, containers, reference));
    // The body and config hash are built when first read (by apply, JSON, …), not here.
    created[at] = ops.add(
      createContainerOperation(
        { host, target: d.spec.name, stack, dependsOn: dependsOn.take(), cause: d.cause, unit: unit.unitId },
        d.spec,
      ),
    );
  }
  let connected: string[][] | undefined;
  for (let at = 0; at < containers.length; at++) {
    const d = containers[at] as ContainerDecision;
    if (d.connects.length === 0) continue;
    const createId = created[at];
    const ids: string[] = [];
    for (const connect of d.connects) {
      const dependsOn = gathering.start();
      dependsOn.add(createId);
      dependsOn.add(infra?.network(connect.place.name));
      const connection: NewOperation = {
        kind: 'ConnectNetwork',
        host,
        target: d.spec.name,
        stack,
        dependsOn: dependsOn.take(),
        cause: connect.cause,
        unit: unit.unitId,
        network: connect.place.name,
        endpoint: connect.endpoint,
      };
      if (!createId && d.existing) connection.containerId = d.existing.id;
      ids.push(ops.add(connection));
    }
    (connected ??= [])[at] = ids;
  }
  const started = new Array<string | undefined>(containers.length);
  for (let at = 0; at < containers.length; at++) {
    const d = containers[at] as ContainerDecision;
    if (d.action === 'keep') continue;
    const createId = created[at];
    const dependsOn = gathering.start();
    dependsOn.add(createId);
    dependsOn.addAll(connected?.[at] ?? EMPTY_LIST);
    for (const reference of d.spec.shared.references) dependsOn.add(idOfService(started, containers, reference));
    const cause = createId ? (d.action === 'replace' ? 'replaced, start' : 'created, start') : d.cause;
    const target = d.spec.name;
    const unitId = unit.unitId;
    const containerId = d.action === 'start' ? d.existing?.id : undefined;
    // Made with its id (its last key, after containerId when there is one): see Operations.nextId.
    started[at] = ops.add(
      containerId === undefined
        ? { kind: 'StartContainer', host, target, stack, dependsOn: dependsOn.take(), cause, unit: unitId, id: ops.nextId }
        : { kind: 'StartContainer', host, target, stack, dependsOn: dependsOn.take(), cause, unit: unitId, containerId, id: ops.nextId },
    );
  }
  if (mode.upgrade) ops.markUpgradeSince(first);
  return started;
}

/**
 * The unit's replaced containers go (or are kept, mode.keepReplaced) in reverse dependency order: a
 * container before the one whose network or volumes it uses. Returns each one's removal (or
 * rename), by its position in the unit; undefined when none is replaced.
 */
function emitReplacedRemovals(
  unit: UnitDecision,
  stack: string,
  after: readonly string[],
  ops: Operations,
  mode: UnitMode,
  kept: KeptContainer[] | undefined,
): (string | undefined)[] | undefined {
  const containers = unit.containers;
  let removed: (string | undefined)[] | undefined;
  for (let at = containers.length - 1; at >= 0; at--) {
    const d = containers[at] as ContainerDecision;
    const existing = d.existing;
    if (d.action !== 'replace' || !existing) continue;
    removed ??= [];
    const gathered = gathering.start();
    for (let other = 0; other < containers.length; other++) {
      if (containers[other]?.spec.shared.references.includes(d.service.name)) gathered.add(removed[other]);
    }
    gathered.addAll(after);
    const dependsOn = gathered.take();
    if (mode.keepReplaced && !d.predecessor) {
      const renameId = emitKeep(existing, stack, unit.unitId, d.cause, dependsOn, ops, mode.startFirst === true);
      kept?.push({ container: existing, renameId });
      removed[at] = renameId;
    } else removed[at] = emitRemoval(existing, stack, d.cause, dependsOn, ops, unit.unitId);
  }
  return removed;
}

/**
 * One operation's dependencies, gathered and then copied into an array of their own size (the
 * operation keeps it until the plan is done). One gathering serves every operation of the plan,
 * in turn: an array grown by push from empty per operation (room for 17 ids, dying young) was a
 * tenth of what a cold plan allocated. Each `start` is followed by its `take` before the next
 * `start`, which throws otherwise (two operations' dependencies would mix).
 */
class Gathering {
  private readonly ids: string[] = [];
  private count = 0;
  private open = false;

  start(): this {
    if (this.open) throw new Error('emit: dependencies gathered for two operations at once');
    this.open = true;
    this.count = 0;
    return this;
  }
  add(id: string | undefined): void {
    if (id !== undefined) this.ids[this.count++] = id;
  }
  addAll(ids: readonly string[]): void {
    for (const id of ids) this.ids[this.count++] = id;
  }
  take(): string[] {
    this.open = false;
    return this.count === 0 ? NO_DEPENDENCIES : this.ids.slice(0, this.count);
  }
}

const gathering = new Gathering();

/** The id at the position of the unit's container of `service`, if any. */
function idOfService(ids: readonly (string | undefined)[], containers: readonly ContainerDecision[], service: string): string | undefined {
  for (let at = 0; at < containers.length; at++) if (containers[at]?.service.name === service) return ids[at];
  return undefined;
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
    dependsOn: [...passed],
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
  const hostConfig = d.spec.shared.host; // the create request's HostConfig, without building the request
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

/** The gate after a unit of a batch: its new container (the primary's, or the first renewed one) must turn ready. */
function emitGate(
  unit: UnitDecision,
  batch: UpgradeBatch,
  started: readonly (string | undefined)[],
  stack: string,
  ops: Operations,
): string {
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
  const startId = waited ? started[unit.containers.indexOf(waited)] : undefined;
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
