/**
 * Per-stack status as users see it: sync and health words, revision, per-service counts,
 * endpoints (host address + published port), units waiting on hosts that are down or
 * rescheduled off them, and recent events. Pure: derived from the desired state, one
 * observation, the scheduler's placement and the last plan.
 *
 * Synced means the hosts were read and match the revision: a unit left on a host that cannot
 * be read makes the sync Unknown (as Argo CD says when it cannot compare), never Synced.
 */

import { type DesiredStack, primaryServices } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { deploymentUnitId } from '../model/naming.js';
import type { ObservedContainer, ObservedState } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import type { Plan } from '../plan/types.js';

export const SyncStatus = {
  Synced: 'Synced',
  OutOfSync: 'OutOfSync',
  Progressing: 'Progressing',
  Failed: 'Failed',
  /** Some of the stack is on a host that cannot be read: whether it matches the revision is not known. */
  Unknown: 'Unknown',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];
export const HealthStatus = { Healthy: 'Healthy', Degraded: 'Degraded', Unknown: 'Unknown' } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

export interface Endpoint {
  service: string;
  host: string;
  address: string;
  port: number;
  containerPort: number;
  protocol: string;
}

export interface ServiceStatus {
  name: string;
  desired: number;
  running: number;
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
  /** With leader election (`ha:`): the replica that answered, its role, and the replica that leads (when known). */
  leadership?: { replica: string; role: 'leader' | 'standby'; leader?: string };
}

export interface StatusInput {
  name: string;
  desired?: DesiredStack;
  /** Why the stack could not be rendered (errors only). */
  renderErrors?: Diagnostic[];
  observed: ObservedState;
  /** The plan computed from this observation, if any. */
  plan?: Plan;
  /** The scheduler's placement of the stack for this observation (units waiting on hosts that are down, rescheduled ones). */
  placement?: StackPlacement;
  /** Errors of the last apply for this stack. */
  applyErrors?: string[];
  applying?: boolean;
  events?: StackEvent[];
}

export function stackStatus(input: StatusInput): StackStatus {
  const containers = containersOf(input.name, input.observed);
  const services = input.desired ? serviceCounts(input.desired, containers) : [];
  const unreachable = input.observed.hosts.filter((h) => !h.reachable && h.containers.some((c) => c.owner?.stack === input.name));
  const waiting = waitingUnits(input.name, input.placement);
  const rescheduled = rescheduledUnits(input.name, input.placement);
  const hostsDown = unreachable.length + waiting.length;
  const base = {
    name: input.name,
    ...(input.desired?.revision ? { revision: input.desired.revision } : {}),
    ...appliedRevision(containers),
    ...(input.desired ? { template: input.desired.template.template, version: input.desired.template.version } : {}),
    services,
    endpoints: endpointsOf(containers, input.observed),
    ...(waiting.length ? { waiting } : {}),
    ...(rescheduled.length ? { rescheduled } : {}),
    events: input.events ?? [],
  };
  const failure = failureOf(input);
  if (failure)
    return {
      ...base,
      sync: SyncStatus.Failed,
      health: input.desired ? healthOf(services, hostsDown) : HealthStatus.Unknown,
      message: failure,
      lastError: failure,
    };
  const pending = (input.plan?.operations ?? []).filter((op) => op.stack === input.name);
  const sync = input.applying
    ? SyncStatus.Progressing
    : pending.length > 0
      ? SyncStatus.OutOfSync
      : hostsDown > 0
        ? SyncStatus.Unknown
        : SyncStatus.Synced;
  const health = healthOf(services, hostsDown, containers);
  const state =
    pending.length > 0
      ? `${pending.length} change(s) pending: ${[...new Set(pending.map((op) => op.cause))].slice(0, 3).join('; ')}`
      : unreachable.length > 0
        ? `host ${unreachable.map((h) => `${h.name} (${h.error ?? 'unreachable'})`).join(', ')} unreachable: its containers are left as they are`
        : waiting.length > 0
          ? `${waiting.map(waitingText).join('; ')}`
          : 'converged';
  const message = [state, ...rescheduled.map(rescheduledText)].join('; ');
  return { ...base, sync, health, message };
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

function failureOf(input: StatusInput): string | undefined {
  if (input.renderErrors?.length) return input.renderErrors.map((d) => `${d.file}${d.line ? `:${d.line}` : ''}: ${d.message}`).join('; ');
  const planErrors = input.plan?.stacks.find((s) => s.stack === input.name)?.notes.filter((n) => n.level === 'error') ?? [];
  if (planErrors.length) return planErrors.map((n) => n.message).join('; ');
  if (input.applyErrors?.length) return input.applyErrors.join('; ');
  return undefined;
}

function containersOf(stack: string, observed: ObservedState): ObservedContainer[] {
  return observed.hosts.flatMap((h) => h.containers.filter((c) => c.owner?.stack === stack));
}

function serviceCounts(desired: DesiredStack, containers: ObservedContainer[]): ServiceStatus[] {
  return Object.values(desired.services)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((service) => {
      const primary = service.primary === undefined ? service : (desired.services[service.primary] ?? service);
      const units = service.primary === undefined ? 1 : primaryServices(desired).filter((p) => p.sidekicks.includes(service.name)).length;
      return {
        name: service.name,
        desired: primary.global ? containers.filter((c) => c.owner?.service === service.name).length : primary.scale * Math.max(1, units),
        running: containers.filter((c) => c.owner?.service === service.name && c.state === 'running' && c.health !== 'unhealthy').length,
      };
    });
}

function healthOf(services: ServiceStatus[], unreachableHosts: number, containers: ObservedContainer[] = []): HealthStatus {
  if (unreachableHosts > 0) return HealthStatus.Degraded;
  const startOnceDone = (c: ObservedContainer) => c.labels['io.rancher.container.start_once'] === 'true' && c.state === 'exited';
  const short = services.some((s) => s.running < s.desired && !containers.some((c) => c.owner?.service === s.name && startOnceDone(c)));
  return short ? HealthStatus.Degraded : HealthStatus.Healthy;
}

function endpointsOf(containers: ObservedContainer[], observed: ObservedState): Endpoint[] {
  const addressOf = new Map(observed.hosts.map((h) => [h.name, h.address]));
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const c of containers) {
    for (const port of c.ports) {
      if (port.publicPort === undefined || !c.owner) continue;
      const endpoint = {
        service: c.owner.service,
        host: c.host,
        address: addressOf.get(c.host) ?? '',
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

function appliedRevision(containers: ObservedContainer[]): { appliedRevision?: string } {
  const revisions = [...new Set(containers.map((c) => c.owner?.revision).filter((r): r is string => !!r))];
  return revisions.length === 1 && revisions[0] ? { appliedRevision: revisions[0] } : {};
}
