/**
 * Per-stack status as users see it: sync and health words, revision, per-service counts and
 * health, endpoints (host address + published port), units waiting on hosts that are down or
 * rescheduled off them, and recent events. Pure: derived from the desired state, one observation
 * (with the daemon's health data on its containers), the scheduler's placement, the plan and the
 * time. The only place stack and service words are decided (see ./words.ts).
 *
 * Synced means the hosts were read and match the revision: a unit left on a host that cannot
 * be read makes the sync Unknown (as Argo CD says when it cannot compare), never Synced.
 * RolledBack means the revision's upgrade failed and the stack runs the version before: the
 * message names the version, the revision and the cause.
 */

import { type DesiredService, type DesiredStack, primaryServices } from '../model/desired.js';
import { type Diagnostic, diagnosticText } from '../model/diagnostics.js';
import type { ShownHistoryEntry } from '../model/history.js';
import { deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedState } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import type { RollbackRecord } from '../model/upgrade.js';
import type { Plan, PlanNote } from '../plan/types.js';
import { type ContainerHealthReport, containerHealth, type HealthSource } from './container-health.js';
import { StatusSources } from './status-sources.js';
import { type ContainerHealthWord, type HealthCounts, HealthStatus, SyncStatus, serviceHealth, worstHealth } from './words.js';

export { HealthStatus, SyncStatus } from './words.js';

export interface Endpoint {
  service: string;
  host: string;
  address: string;
  port: number;
  containerPort: number;
  protocol: string;
}

export interface ContainerStatus {
  name: string;
  host: string;
  state: ObservedContainer['state'];
  /** For a running container: its health, and why. */
  health?: ContainerHealthWord;
  detail?: string;
  /** When Docker last started it, when the daemon has inspected it (a time, so that a status only changes when something happens). */
  startedAt?: string;
  restartCount?: number;
}

export interface ServiceStatus extends HealthCounts {
  name: string;
  health: HealthStatus;
  /** What the health is judged by: rancher-compose health_check, Docker's HEALTHCHECK, or running alone. */
  checkedBy: HealthSource;
  containers: ContainerStatus[];
}

/** A unit instance left on a host that cannot be read. */
export interface WaitingUnit {
  /** The unit instance, as in container names: stack-service-N. */
  unit: string;
  host: string;
  /** When corral last read the host (ISO 8601): it has been unreachable since. */
  lastSeen: string;
  /** When it is placed on another host unless its host is back; absent for a global unit, which stays with its host. */
  rescheduleAt?: string;
}

/** A unit instance placed on another host because its own was unreachable for longer than host_down_grace. */
export interface RescheduledUnit {
  unit: string;
  /** Where it runs now. */
  host: string;
  /** The host that is down. */
  from: string;
  /** When corral last read `from`. */
  lastSeen: string;
}

export interface StackEvent {
  time: string;
  message: string;
}

export interface StackStatus {
  name: string;
  sync: SyncStatus;
  health: HealthStatus;
  /** The git revision the desired state was read from. */
  revision?: string;
  /** The revision the running containers were created from (from their labels). */
  appliedRevision?: string;
  template?: string;
  version?: string;
  /** One line for people: what is wrong, or what is going on. */
  message: string;
  lastError?: string;
  services: ServiceStatus[];
  endpoints: Endpoint[];
  /** Units left on hosts that are down (within host_down_grace, or for good for a global unit). */
  waiting?: WaitingUnit[];
  /** Units moved off hosts down for longer than host_down_grace, while those stay down. */
  rescheduled?: RescheduledUnit[];
  events: StackEvent[];
  /** The revisions applied to the stack, oldest first, with their results (from the state directory; the daemon adds it). */
  history?: ShownHistoryEntry[];
  /** With leader election (`ha:`): the replica that answered, its role, and the replica that leads (when known). */
  leadership?: { replica: string; role: 'leader' | 'standby'; leader?: string };
}

export interface StatusInput {
  name: string;
  desired?: DesiredStack;
  /** Why the stack could not be rendered (errors only). */
  renderErrors?: Diagnostic[];
  observed: ObservedState;
  /** The plan computed from this observation, if any: its operations are the pending changes. */
  plan?: Plan;
  /** The scheduler's placement of the stack for this observation (units waiting on hosts that are down, rescheduled ones). */
  placement?: StackPlacement;
  /** The notes of the plan that was applied (instances left alone on unreachable hosts, …). */
  notes?: PlanNote[];
  /** Errors of the last apply for this stack. */
  applyErrors?: string[];
  applying?: boolean;
  events?: StackEvent[];
  /** Why the repository cannot be read right now (the last good revision is served). */
  fetchError?: string;
  /** The desired state is an upgrade that failed and was rolled back (the plan said so): not tried again. */
  rolledBack?: RollbackRecord;
  /** The time (ms since the epoch), for how long containers have run. */
  nowMs: number;
  /**
   * `observed` and `plan` grouped by stack: made once for a pass that reports many stacks (made
   * for this stack alone when not given). Must be made from this input's observed and plan.
   */
  sources?: StatusSources;
}

export function stackStatus(input: StatusInput): StackStatus {
  const sources = input.sources ?? new StatusSources(input.observed, input.plan);
  const containers = sources.containersOf(input.name);
  const services = input.desired ? serviceStatuses(input.desired, containers, input.nowMs) : [];
  const unreachable = sources.unreachableHostsOf(input.name);
  const waiting = waitingUnits(input.name, input.placement);
  const rescheduled = rescheduledUnits(input.name, input.placement);
  const hostsDown = unreachable.length + waiting.length;
  const degradedNotes = (input.notes ?? []).filter((n) => n.level === 'degraded');
  const base = {
    name: input.name,
    ...(input.desired?.revision ? { revision: input.desired.revision } : {}),
    ...appliedRevision(containers),
    ...(input.desired ? { template: input.desired.template.template, version: input.desired.template.version } : {}),
    services,
    endpoints: endpointsOf(containers, sources),
    ...(waiting.length ? { waiting } : {}),
    ...(rescheduled.length ? { rescheduled } : {}),
    events: input.events ?? [],
  };
  const health = input.desired
    ? worstHealth([...services.map((s) => s.health), ...(hostsDown + degradedNotes.length > 0 ? [HealthStatus.Degraded] : [])])
    : HealthStatus.Unknown;
  const failure = failureOf(input, sources);
  if (failure) return { ...base, sync: SyncStatus.Failed, health, message: failure, lastError: failure };
  const pending = sources.pendingOf(input.name);
  if (input.rolledBack) {
    const state = pending.length > 0 ? `rolling back, ${pending.length} change(s) pending; ` : '';
    return {
      ...base,
      sync: SyncStatus.RolledBack,
      health,
      message: `${state}${rolledBackText(input.rolledBack)}`,
      lastError: input.rolledBack.cause,
    };
  }
  const sync = input.applying
    ? SyncStatus.Progressing
    : pending.length > 0
      ? SyncStatus.OutOfSync
      : hostsDown > 0
        ? SyncStatus.Unknown
        : SyncStatus.Synced;
  const lastError = input.fetchError ? { lastError: repositoryError(input.fetchError) } : {};
  // The applied plan's degraded notes say why each unit on an unreachable host (or a link that
  // cannot reach) is left as is, and for how long: they are the stack's story, and its health.
  if (degradedNotes.length > 0) {
    const message = [...degradedNotes.map((n) => n.message), ...rescheduled.map(rescheduledText)].join('; ');
    return { ...base, sync, health: HealthStatus.Degraded, message, ...lastError };
  }
  const state =
    pending.length > 0
      ? `${pending.length} change(s) pending: ${[...new Set(pending.map((op) => op.cause))].slice(0, 3).join('; ')}`
      : unreachable.length > 0
        ? `host ${unreachable.map((h) => `${h.name} (${h.error ?? 'unreachable'})`).join(', ')} unreachable: its containers are left as they are`
        : waiting.length > 0
          ? `${waiting.map(waitingText).join('; ')}`
          : (healthMessage(services) ?? 'converged');
  const message = [state, ...rescheduled.map(rescheduledText)].join('; ');
  return { ...base, sync, health, message, ...lastError };
}

/** `upgrade to etcd 3.5 (revision 1a2b3c4d5e6f) failed and was rolled back at <time>: <cause>; …` */
export function rolledBackText(record: RollbackRecord): string {
  const revision = record.revision ? ` (revision ${record.revision.slice(0, 12)})` : '';
  return `upgrade to ${record.template} ${record.version}${revision} failed and was rolled back at ${record.time}: ${record.cause}; the version before runs, and this one is not tried again until a new commit changes the stack`;
}

/** The error a stack shows while the repository cannot be read. */
export function repositoryError(fetchError: string): string {
  return `repository: ${fetchError}`;
}

/** A stack removed from git whose containers are all gone needs no status any more. */
export function isGone(status: StackStatus): boolean {
  return status.services.every((s) => s.running === 0) && status.endpoints.length === 0 && status.health !== HealthStatus.Degraded;
}

/** Log lines for a change of a stack's or a service's health (none the first time a stack is seen). */
export function healthChanges(previous: StackStatus | undefined, next: StackStatus): { message: string; detail: string }[] {
  if (!previous) return [];
  const changes: { message: string; detail: string }[] = [];
  if (previous.health !== next.health)
    changes.push({ message: `stack ${next.name} ${previous.health} → ${next.health}`, detail: next.message });
  for (const service of next.services) {
    const before = previous.services.find((s) => s.name === service.name);
    if (!before || before.health === service.health) continue;
    changes.push({
      message: `service ${next.name}/${service.name} ${before.health} → ${service.health}`,
      detail: `${countsText(service)}${problemText(service)}`,
    });
  }
  return changes;
}

function waitingUnits(stack: string, placement: StackPlacement | undefined): WaitingUnit[] {
  return (placement?.held ?? []).map((held) => ({
    unit: deploymentUnitId(stack, held.service, held.instance),
    host: held.host,
    lastSeen: held.lastSeen,
    ...(held.rescheduleAt ? { rescheduleAt: held.rescheduleAt } : {}),
  }));
}

function rescheduledUnits(stack: string, placement: StackPlacement | undefined): RescheduledUnit[] {
  return (placement?.rescheduled ?? []).map((moved) => ({
    unit: deploymentUnitId(stack, moved.service, moved.instance),
    host: moved.host,
    from: moved.from,
    lastSeen: moved.lastSeen,
  }));
}

export function waitingText(w: WaitingUnit): string {
  const after = w.rescheduleAt ? `rescheduled at ${w.rescheduleAt} unless it is back` : 'a global unit stays with its host';
  return `${w.unit} waits on ${w.host} (unreachable, last seen ${w.lastSeen}; ${after})`;
}

export function rescheduledText(r: RescheduledUnit): string {
  return `${r.unit} rescheduled on ${r.host} (${r.from} unreachable since ${r.lastSeen})`;
}

function failureOf(input: StatusInput, sources: StatusSources): string | undefined {
  if (input.renderErrors?.length) return input.renderErrors.map(diagnosticText).join('; ');
  const planErrors = sources.planOf(input.name)?.notes.filter((n) => n.level === 'error') ?? [];
  if (planErrors.length) return planErrors.map((n) => n.message).join('; ');
  if (input.applyErrors?.length) return input.applyErrors.join('; ');
  return undefined;
}

function serviceStatuses(desired: DesiredStack, containers: readonly ObservedContainer[], nowMs: number): ServiceStatus[] {
  return Object.values(desired.services)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((service) => {
      const own = containers.filter((c) => c.owner?.service === service.name).sort((a, b) => a.name.localeCompare(b.name));
      const reports = own.map((c) => [c, containerHealth(c, service, nowMs)] as const);
      const word = (w: ContainerHealthWord) => reports.filter(([, r]) => r?.word === w).length;
      const done = own.filter(startOnceDone).length;
      const counts: HealthCounts = {
        desired: desiredCount(desired, service, own),
        running: own.filter((c) => c.state === 'running').length,
        healthy: word('healthy') + done,
        unhealthy: word('unhealthy'),
        starting: word('starting'),
        unknown: word('unknown'),
      };
      return {
        name: service.name,
        ...counts,
        health: serviceHealth(counts),
        checkedBy: service.healthCheck ? 'health_check' : own.some((c) => c.health !== undefined) ? 'docker' : 'running',
        containers: reports.map(([c, report]) => containerStatus(c, report)),
      };
    });
}

function desiredCount(desired: DesiredStack, service: DesiredService, own: ObservedContainer[]): number {
  const primary = service.primary === undefined ? service : (desired.services[service.primary] ?? service);
  if (primary.global) return own.length;
  const units = service.primary === undefined ? 1 : primaryServices(desired).filter((p) => p.sidekicks.includes(service.name)).length;
  return primary.scale * Math.max(1, units);
}

/** A `start_once` container that exited 0 has done its job. */
function startOnceDone(c: ObservedContainer): boolean {
  return c.labels['io.rancher.container.start_once'] === 'true' && c.state === 'exited' && (c.exitCode ?? 0) === 0;
}

function containerStatus(c: ObservedContainer, report: ContainerHealthReport | undefined): ContainerStatus {
  return {
    name: c.name,
    host: c.host,
    state: c.state,
    ...(report ? { health: report.word, detail: report.detail } : {}),
    ...(c.runtime ? { startedAt: c.runtime.startedAt } : {}),
    ...(report?.restartCount === undefined ? {} : { restartCount: report.restartCount }),
  };
}

/** `web: Unhealthy, 0 of 2 healthy (web-1: HTTP/1.0 500 …)`, for the services that are not Healthy. */
function healthMessage(services: ServiceStatus[]): string | undefined {
  const troubled = services.filter((s) => s.health !== HealthStatus.Healthy);
  if (troubled.length === 0) return undefined;
  return troubled.map((s) => `${s.name}: ${s.health}, ${countsText(s)}${problemText(s)}`).join('; ');
}

function countsText(s: ServiceStatus): string {
  const extra = [
    s.unhealthy ? `${s.unhealthy} unhealthy` : '',
    s.starting ? `${s.starting} starting` : '',
    s.unknown ? `${s.unknown} unknown` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.healthy} of ${s.desired} healthy${extra ? ` (${extra})` : ''}`;
}

function problemText(s: ServiceStatus): string {
  const problem =
    s.containers.find((c) => c.health === 'unhealthy') ?? s.containers.find((c) => c.health === 'unknown' || c.health === 'starting');
  if (problem) return `; ${problem.name}: ${problem.detail ?? problem.health}`;
  return s.running < s.desired ? `; ${s.desired - s.running} not running` : '';
}

function endpointsOf(containers: readonly ObservedContainer[], sources: StatusSources): Endpoint[] {
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const c of containers) {
    const address = sources.addressOf(c.host);
    for (const port of c.ports) {
      if (port.publicPort === undefined || !c.owner || !sameFamily(port.ip, address)) continue;
      const endpoint = {
        service: c.owner.service,
        host: c.host,
        address,
        port: port.publicPort,
        containerPort: port.privatePort,
        protocol: port.protocol,
      };
      const key = `${endpoint.host}:${endpoint.port}/${endpoint.protocol}`;
      if (seen.has(key)) continue;
      seen.add(key);
      endpoints.push(endpoint);
    }
  }
  return endpoints.sort((a, b) => a.service.localeCompare(b.service) || a.host.localeCompare(b.host) || a.port - b.port);
}

/**
 * Whether a port binding is reached at the host's address. Docker publishes a port on IPv4 and
 * IPv6 separately and may give the two bindings different host ports; the IPv6 one is not where
 * a user reaching the host's IPv4 address connects (that port may even be another container's).
 */
function sameFamily(bindingIp: string | undefined, hostAddress: string): boolean {
  if (bindingIp === undefined || bindingIp === '') return true;
  return bindingIp.includes(':') === hostAddress.includes(':');
}

function appliedRevision(containers: readonly ObservedContainer[]): { appliedRevision?: string } {
  const revisions = [...new Set(containers.map((c) => c.owner?.revision).filter((r): r is string => !!r))];
  return revisions.length === 1 && revisions[0] ? { appliedRevision: revisions[0] } : {};
}
