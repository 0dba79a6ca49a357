/**
 * One reconcile pass: observe → schedule → plan → apply → observe again, for a set of hosts
 * and the desired stacks. Returns, per stack, what was done and why, whether it converged,
 * and its status (endpoints included). Used by `corral sync --once` and the daemon's loop.
 */
import type Docker from 'dockerode';
import { apply, type OperationResult } from '../apply/index.js';
import type { HostConfig } from '../config/config.js';
import type { DesiredStack } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { ObservedState } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import { dockerClient, OBSERVE_TIMEOUT_MS, observe } from '../observe/index.js';
import { type PlanOptions, plan } from '../plan/index.js';
import type { Plan, PlanNote } from '../plan/types.js';
import { scheduleStacks } from '../schedule/index.js';
import { HealthStatus, type StackStatus, SyncStatus, stackStatus } from '../status/stack-status.js';

export interface ReconcileInput {
  hosts: readonly HostConfig[];
  desired: readonly DesiredStack[];
  /** Stacks in the repository that failed to render, with why. */
  failed?: readonly { stack: string; diagnostics: Diagnostic[] }[];
  /** Prune stacks no longer desired; false when the desired state was read incompletely. */
  prune: boolean;
  /** Only these stacks are planned and changed. */
  only?: readonly string[];
  /** Plan, but change nothing. */
  dryRun?: boolean;
  perHost?: number;
  clients?: DockerClients;
  onResult?: (result: OperationResult) => void;
  /** Checked before each Docker operation (see apply's fence). */
  fence?: () => string | undefined;
}

export interface DockerClients {
  /** With a short timeout, so that an unreachable host is noticed quickly. */
  observe: ReadonlyMap<string, Docker>;
  /** Without one: pulls and stops take their time. */
  apply: ReadonlyMap<string, Docker>;
}

export interface StackOutcome {
  stack: string;
  /** Nothing is left to do, nothing failed and nothing was left alone. */
  converged: boolean;
  /** Operations of this stack with their results (empty for a dry run). */
  operations: OperationResult[];
  /** The plan's notes: warnings, errors, instances left alone. */
  notes: PlanNote[];
  /** Status after the pass, from a fresh observation. */
  status: StackStatus;
}

export interface ReconcileResult {
  observed: ObservedState;
  placements: StackPlacement[];
  plan: Plan;
  results: OperationResult[];
  /** Observation after apply (the first one for a dry run). */
  after: ObservedState;
  stacks: StackOutcome[];
}

export function clientsFor(hosts: readonly HostConfig[]): DockerClients {
  return {
    observe: new Map(hosts.map((h) => [h.name, dockerClient(h.docker, { timeoutMs: OBSERVE_TIMEOUT_MS })])),
    apply: new Map(hosts.map((h) => [h.name, dockerClient(h.docker)])),
  };
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const clients = input.clients ?? clientsFor(input.hosts);
  const desired = [...input.desired].sort((a, b) => a.name.localeCompare(b.name));
  const options: PlanOptions = {
    prune: input.prune,
    failedStacks: (input.failed ?? []).map((f) => f.stack),
    ...(input.only ? { only: input.only } : {}),
  };
  const observed = await observe(input.hosts, { clients: clients.observe });
  const placements = scheduleStacks(desired, observed.hosts);
  const firstPlan = plan(desired, placements, observed, options);
  if (input.dryRun)
    return {
      observed,
      placements,
      plan: firstPlan,
      results: [],
      after: observed,
      stacks: outcomes(input, firstPlan, [], observed, firstPlan),
    };
  const results = await apply(firstPlan, {
    clients: clients.apply,
    ...(input.perHost ? { perHost: input.perHost } : {}),
    ...(input.onResult ? { onResult: input.onResult } : {}),
    ...(input.fence ? { fence: input.fence } : {}),
  });
  const after = await observe(input.hosts, { clients: clients.observe });
  const remaining = plan(desired, scheduleStacks(desired, after.hosts), after, options);
  return { observed, placements, plan: firstPlan, results, after, stacks: outcomes(input, firstPlan, results, after, remaining) };
}

function outcomes(input: ReconcileInput, done: Plan, results: OperationResult[], after: ObservedState, remaining: Plan): StackOutcome[] {
  return done.stacks.map((stackPlan) => {
    const name = stackPlan.stack;
    const operations = results.filter((r) => r.operation.stack === name);
    const applyErrors = operations
      .filter((r) => r.status !== 'ok')
      .map((r) => `${r.operation.id} ${r.operation.kind} ${r.operation.target} on ${r.operation.host}: ${r.error ?? r.status}`);
    const desired = input.desired.find((s) => s.name === name);
    const renderErrors = input.failed?.find((f) => f.stack === name)?.diagnostics.filter((d) => d.severity === 'error');
    const base = stackStatus({
      name,
      ...(desired ? { desired } : {}),
      ...(renderErrors?.length ? { renderErrors } : {}),
      observed: after,
      plan: remaining,
      ...(applyErrors.length ? { applyErrors } : {}),
    });
    const degraded = stackPlan.notes.filter((n) => n.level === 'degraded');
    const status =
      degraded.length > 0 && base.sync !== SyncStatus.Failed
        ? { ...base, health: HealthStatus.Degraded, message: degraded.map((n) => n.message).join('; ') }
        : base;
    const converged = stackPlan.actionable && applyErrors.length === 0 && degraded.length === 0 && status.sync === SyncStatus.Synced;
    return { stack: name, converged, operations, notes: stackPlan.notes, status };
  });
}
