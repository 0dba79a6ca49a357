/**
 * plan: from the desired stacks, the scheduler's placements and the observed hosts to an
 * ordered list of Docker operations with dependencies and causes. Pure: no I/O, no clock.
 *
 * Rules: a stack that failed to render or to schedule is never touched; nothing on an
 * unreachable host is touched, and a missing instance is not created elsewhere while a host
 * is unreachable (it may be running there); whole stacks are pruned only from a complete
 * desired state (`prune`); volumes are never removed; a container without corral's
 * ownership label is never in the observed model and so never touched.
 *
 * The observation is indexed once (observed-index.ts) and each stack's containers grouped once
 * (stack-live.ts), so planning grows with the stacks and containers, not with stacks × hosts.
 */
import { type DesiredService, type DesiredStack, unitServices } from '../model/desired.js';
import { CorralLabel } from '../model/labels.js';
import { containerName, deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import type { StackPlacement, UnitInstance } from '../model/placement.js';
import { type ContainerPlanSpec, stackNetworkName } from './container-spec.js';
import { ContainerSpecs } from './container-specs.js';
import { changedKeys, parseKeyHashes } from './hash.js';
import { ObservedIndex } from './observed-index.js';
import { StackLive } from './stack-live.js';
import type { Operation, Plan, PlanNote, StackPlan } from './types.js';
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type NewOperation = DistributiveOmit<Operation, 'id'>;

/** Accumulates operations, numbering them `#1`, `#2`, … in plan order. */
class Operations {
  readonly list: Operation[] = [];
  add(op: NewOperation): string {
    const id = `#${this.list.length + 1}`;
    const dependsOn = op.dependsOn.length < 2 ? [...op.dependsOn] : [...new Set(op.dependsOn)].sort((a, b) => idNumber(a) - idNumber(b));
    const operation = op as Operation;
    operation.id = id;
    operation.dependsOn = dependsOn;
    this.list.push(operation);
    return id;
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
  const names = new Set([...desired.map((s) => s.name), ...failed, ...index.liveStacks()]);
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
      stacks.push(planDesiredStack(stack, placementByName.get(name), { index, specs }, stackLive, ops));
    } else if (options.prune) {
      stacks.push(pruneStack(name, index, stackLive, ops));
    } else {
      stacks.push({
        stack: name,
        actionable: false,
        notes: [{ level: 'warning', message: 'not in the desired state, which was read incompletely: not pruned' }],
      });
    }
  }
  return { operations: ops.list, stacks };
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
}

interface UnitDecision {
  instance: UnitInstance;
  unitId: string;
  /** In dependency order: containers referenced through volumes_from / network_mode first. */
  containers: ContainerDecision[];
}

/** What planning every stack shares: the indexed observation and the container specs worked out so far. */
interface Shared {
  index: ObservedIndex;
  specs: ContainerSpecs;
}

function planDesiredStack(
  stack: DesiredStack,
  placement: StackPlacement | undefined,
  { index, specs }: Shared,
  stackLive: ObservedContainer[],
  ops: Operations,
): StackPlan {
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
  const unreachable = index.unreachable;
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
      notes.push({ level: 'degraded', message: `${unitId}: host ${host.name} is unreachable (${host.error ?? 'no answer'}); left as is` });
      for (const c of liveOfUnit) kept.add(c);
      continue;
    }
    if (liveOfUnit.length === 0 && unreachable.length > 0 && !primary.global) {
      notes.push({
        level: 'degraded',
        message: `${unitId}: not found on the reachable hosts and ${unreachable.map((h) => h.name).join(', ')} cannot be checked; not created, to avoid a duplicate`,
      });
      continue;
    }
    const unit = decideUnit(stack, primary, instance, host, live, linkAliases, specs);
    unit.containers.forEach((d) => {
      if (d.existing) kept.add(d.existing);
      for (const w of d.spec.warnings) warnings.add(`service ${d.service.name}: ${w}`);
    });
    units.push(unit);
  }
  notes.unshift(...[...warnings].map((message): PlanNote => ({ level: 'warning', message })));
  const removals = stackLive.filter((c) => !kept.has(c));
  emitStackOperations(stack.name, units, removals, index, stackLive, ops, (c) => removalCause(c, stack, live), false);
  return { stack: stack.name, actionable: true, notes };
}

function decideUnit(
  stack: DesiredStack,
  primary: DesiredService,
  instance: UnitInstance,
  host: ObservedHost,
  live: StackLive,
  linkAliases: Map<string, string[]>,
  specs: ContainerSpecs,
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
    });
    const existing = live.ofUnit(primary.name, instance.instance).find((c) => c.host === host.name && c.owner?.service === service.name);
    const { action, cause } = decideContainer(spec, existing, primary, instance, live);
    return existing ? { service, spec, existing, action, cause } : { service, spec, action, cause };
  });
  propagateReplacements(decisions);
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
 * Instances above every live one read as a scale-up; a gap as a container that went missing.
 * (Removing the highest instance by hand looks like a scale-up: the observed state has no history.)
 */
function createCause(primary: DesiredService, instance: UnitInstance, live: StackLive): string {
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

/** A container that shares the volumes or network of one that is created or replaced must be replaced too. */
function propagateReplacements(decisions: ContainerDecision[]): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const d of decisions) {
      if (d.action === 'create' || d.action === 'replace') continue;
      const renewed = decisions.find(
        (t) => d.spec.references.includes(t.service.name) && (t.action === 'create' || t.action === 'replace'),
      );
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
  if (placed && placed.host !== container.host) return `placed on ${placed.host} now`;
  if (placed) return 'duplicate';
  if (service.global) return `global service: ${container.host} is no longer eligible`;
  return `scale ${live.liveInstances(unit).size} → ${live.desiredCount(unit)}`;
}

function pruneStack(name: string, index: ObservedIndex, stackLive: ObservedContainer[], ops: Operations): StackPlan {
  emitStackOperations(name, [], stackLive, index, stackLive, ops, () => 'stack removed from git', true);
  const volumes = index.volumesOf(name);
  const notes: PlanNote[] =
    volumes.length > 0 ? [{ level: 'info', message: `volumes kept (corral never removes volumes): ${volumes.join(', ')}` }] : [];
  return { stack: name, actionable: true, notes };
}

/** Per host: network, volumes and image pulls first, then each unit's containers, then removals and unused networks. */
function emitStackOperations(
  stack: string,
  units: UnitDecision[],
  removals: ObservedContainer[],
  index: ObservedIndex,
  stackLive: ObservedContainer[],
  ops: Operations,
  causeOf: (c: ObservedContainer) => string,
  stackRemoved: boolean,
): void {
  const network = stackNetworkName(stack);
  const infra = new Map<string, Map<string, string>>();
  const unitsByHost = groupBy(units, (u) => u.instance.host);
  for (const host of index.inObservedOrder(unitsByHost.keys())) {
    if (!host.reachable) continue;
    const renewed = (unitsByHost.get(host.name) ?? [])
      .flatMap((u) => u.containers)
      .filter((d) => d.action === 'create' || d.action === 'replace');
    const ids = new Map<string, string>();
    // Operations are written out in full, not spread from a common base: spreading is slow per operation.
    if (renewed.some((d) => d.spec.network) && !index.hasNetwork(host, network)) {
      ids.set(
        `network:${network}`,
        ops.add({
          host: host.name,
          stack,
          dependsOn: [],
          kind: 'CreateNetwork',
          target: network,
          cause: 'missing, create',
          network: { Name: network, Driver: 'bridge', Labels: { [CorralLabel.managed]: 'true', [CorralLabel.stack]: stack } },
        }),
      );
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
  for (const unit of units) emitUnit(unit, stack, infra.get(unit.instance.host) ?? new Map(), ops);
  const removedIds = new Map<string, string[]>();
  for (const container of sortForRemoval(removals)) {
    const id = emitRemoval(container, stack, causeOf(container), [], ops);
    removedIds.set(container.host, [...(removedIds.get(container.host) ?? []), id]);
  }
  const removed = new Set(removals);
  const hostsKeepingContainers = new Set(stackLive.filter((c) => !removed.has(c)).map((c) => c.host));
  for (const host of index.hostsWithNetwork(network)) {
    const planned = (unitsByHost.get(host.name) ?? []).some((u) => u.containers.some((d) => d.spec.network));
    if (hostsKeepingContainers.has(host.name) || planned) continue;
    const cause = stackRemoved ? 'stack removed from git' : `no container of the stack left on ${host.name}`;
    ops.add({ kind: 'RemoveNetwork', host: host.name, target: network, stack, dependsOn: removedIds.get(host.name) ?? [], cause });
  }
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

function emitUnit(unit: UnitDecision, stack: string, infra: Map<string, string>, ops: Operations): void {
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
    removed.set(d.service.name, emitRemoval(d.existing as ObservedContainer, stack, d.cause, dependents, ops, unit.unitId));
  }
  for (const d of unit.containers.filter((c) => c.action === 'create' || c.action === 'replace')) {
    const dependsOn = [
      ...(d.spec.network ? [infra.get(`network:${d.spec.network}`)] : []),
      ...d.spec.volumes.map((v) => infra.get(`volume:${v.Name}`)),
      infra.get(`image:${d.spec.image}`),
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
  for (const d of unit.containers.filter((c) => c.action !== 'keep')) {
    const createId = created.get(d.service.name);
    const dependsOn = [createId, ...d.spec.references.map((r) => started.get(r))].filter((id): id is string => id !== undefined);
    const cause = createId ? (d.action === 'replace' ? 'replaced, start' : 'created, start') : d.cause;
    const start: NewOperation = { kind: 'StartContainer', host, target: d.spec.name, stack, dependsOn, cause, unit: unit.unitId };
    if (d.action === 'start' && d.existing) start.containerId = d.existing.id;
    started.set(d.service.name, ops.add(start));
  }
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
