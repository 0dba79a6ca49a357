/**
 * A stack's decisions as Docker operations: per host its networks, volumes and pulls first, then
 * each unit's containers (an upgrade batch by batch, behind readiness gates), then removals; the
 * networks it no longer uses go to the network book. Pure.
 */
import { type DesiredService, GATE_TIMEOUT_MS, UPGRADE_DEFAULTS } from '../model/desired.js';
import { containerName, keptName } from '../model/naming.js';
import type { ObservedContainer } from '../model/observed.js';
import { type ContainerDecision, isRestoring, placeOfOwn, renews, type UnitDecision } from './decide.js';
import type { NetworkBook, NewOperation } from './network-book.js';
import { isOverlayNetworkName, overlayNetworkName, stackNetworkName } from './networks.js';
import type { ObservedIndex } from './observed-index.js';
import type { Operations } from './operations.js';
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
  resumed: UnitDecision[];
  /** Kept predecessors removed once every gate passed. */
  finished: ObservedContainer[];
}

/**
 * Per host: networks, volumes and image pulls first, then each unit's containers, then removals.
 * The stack's overlay network (created through the swarm manager) comes before everything; unused
 * networks are handed to the network book, which removes them once nothing uses them. Every stop,
 * removal and create of the stack waits for every pull of the stack (so a container's network
 * connects, which follow its create, do too); network creates and a kept container's reconnect do not.
 */
export function emitStackOperations(
  stack: string,
  batches: readonly UpgradeBatch[],
  units: UnitDecision[],
  removals: ObservedContainer[],
  shared: EmitShared,
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
  { index, networks }: EmitShared,
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

export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(keyOf(item));
    if (group) group.push(item);
    else groups.set(keyOf(item), [item]);
  }
  return groups;
}
