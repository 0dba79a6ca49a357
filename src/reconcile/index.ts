/**
 * One reconcile pass: observe → schedule → plan → apply → observe again (when anything was
 * applied: a no-op pass observes once), for a set of hosts and the desired stacks. Returns, per
 * stack, what was done and why, whether it converged, and its status (endpoints included). Used
 * by `corral sync --once`, `corral plan` (a dry run) and the daemon's loop. `corral sync --once`
 * and `corral plan` begin the first observation while they read the repository (beginObservation).
 *
 * With a memory (src/state/), what every host held when last read is loaded before the pass
 * and updated after each observation, so that the scheduler can tell a host that is down
 * within host_down_grace (its units wait) from one down for longer (its units move). With a
 * history store, a pass that changed the hosts adds each stack's entry to its history (./history.ts).
 *
 * Upgrades are transactions: when an upgrade operation fails (./rollback.ts), the pass remembers
 * the attempt (state/rollbacks-store.ts) before anything else, then observes, plans and applies
 * again with it, which restores the kept containers; that desired state is not tried again until
 * the stack changes. A pass killed at any point leaves the hosts' names and labels, from which
 * the next plan finishes or undoes the upgrade. How a revision ended (Synced, Failed,
 * RolledBack, …) is said in one place: its history entry, from the stack's status after the pass
 * (state/stack-history.ts).
 */
import type Docker from 'dockerode';
import type { Readiness } from '../apply/gate.js';
import { type ApplyOptions, apply, type OperationResult } from '../apply/index.js';
import type { HostConfig } from '../config/config.js';
import { DEFAULT_HOST_DOWN_GRACE_MS } from '../config/host-down-grace.js';
import { type DesiredService, type DesiredStack, serviceNamed } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { KnownHosts } from '../model/known-hosts.js';
import type { ObservedContainer, ObservedState } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import type { RollbackRecord } from '../model/upgrade.js';
import type { ClientOptions } from '../observe/client.js';
import type { Fence } from '../observe/fenced-agent.js';
import { dockerClient, OBSERVE_TIMEOUT_MS, observe, toObservedContainer } from '../observe/index.js';
import { type PlanOptions, plan, type SpecCache } from '../plan/index.js';
import type { Plan, PlanNote } from '../plan/types.js';
import { type ScheduleOptions, scheduleStacks } from '../schedule/index.js';
import { type MovedInstance, rememberPass } from '../state/known-hosts.js';
import type { KnownHostsStore } from '../state/known-hosts-store.js';
import type { RollbacksStore } from '../state/rollbacks-store.js';
import type { StackHistoryStore } from '../state/stack-history-store.js';
import { gateVerdict } from '../status/container-health.js';
import { type StackStatus, SyncStatus, stackStatus } from '../status/stack-status.js';
import { StatusSources } from '../status/status-sources.js';
import { RollbackSteps, rollbackStarted, rollbacksEnded, type UpgradeStep, UpgradeSteps } from '../status/upgrade-steps.js';
import { groupBy } from '../util/records.js';
import { recordHistory } from './history.js';
import { failedUpgrades } from './rollback.js';

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
  /** Told each step of an upgrade as it happens: a batch started, passed its gate or failed it; a rollback and each of its units (status/upgrade-steps.ts). */
  onStep?: (step: UpgradeStep) => void;
  /** Each stack's history of applied revisions (src/state/); a dry run never adds to it. */
  history?: StackHistoryStore;
  /** Checked before each Docker operation (see apply's fence) and before each of its requests leaves (see clientsFor). */
  fence?: Fence;
  /** What corral knows of its hosts between passes; without it a host that is down is judged by nothing. */
  memory?: {
    store: KnownHostsStore;
    hostDownGraceMs?: number;
    /** Upgrades rolled back, so that one is not tried again (without it, only within the pass). */
    rollbacks?: RollbacksStore;
  };
  /** The clock (default: the system's). */
  now?: () => Date;
  /**
   * Adds what the caller knows of each container's health beyond the container list (the daemon's
   * probe states and inspect data) to every observation, before it is planned and reported.
   */
  withHealth?: (observed: ObservedState) => ObservedState;
  /**
   * Follows one new container's health now (an upgrade gate waits for it) and returns it with its
   * probe state. Without it (corral sync), a gate judges a health_check service by Docker's
   * HEALTHCHECK or by running for min_ready: its probes run only under `corral run`.
   */
  watchHealth?: (container: ObservedContainer, service: DesiredService | undefined) => ObservedContainer;
  /** Why the repository cannot be read right now, for the status. */
  fetchError?: string;
  /**
   * The hosts' observation, begun before the pass with `clients.observe` (see beginObservation):
   * the first plan uses it instead of observing again.
   */
  observation?: Promise<ObservedState>;
  /**
   * Container specs kept between passes over the same desired stacks (the daemon's). Without it,
   * each of the pass's plans makes its own and keeps a stack's only while it plans that stack: a
   * one-off pass (`corral plan`, `corral sync --once`) plans once when nothing changes, and a plan
   * after an apply costs little beside the apply's Docker requests.
   */
  specCache?: SpecCache;
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
  /** Status after the pass, from a fresh observation (what the history records of the revision: state/stack-history.ts). */
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
  /** Why what corral knows of its hosts could not be saved (the pass itself went on). */
  memoryError?: string;
  /** Why a stack's history could not be saved (the pass itself went on). */
  historyError?: string;
}

/** With a fence, the apply clients ask it before each request leaves (observe/fenced-agent.ts). */
export function clientsFor(hosts: readonly HostConfig[], fence?: Fence): DockerClients {
  return {
    observe: clientMap(hosts, { timeoutMs: OBSERVE_TIMEOUT_MS }),
    apply: clientMap(hosts, fence ? { fence } : {}),
  };
}

/**
 * The clients of a pass and its first observation, begun now: `corral sync --once` and `corral plan`
 * begin it as soon as the config is read, so that the Docker hosts answer while the repository is
 * read and rendered. Pass both to reconcile (`clients`, `observation`).
 */
export function beginObservation(hosts: readonly HostConfig[]): { clients: DockerClients; observation: Promise<ObservedState> } {
  const clients = clientsFor(hosts);
  return { clients, observation: observe(hosts, { clients: clients.observe }) };
}

export function clientMap(hosts: readonly HostConfig[], options: ClientOptions): Map<string, Docker> {
  return new Map(hosts.map((h) => [h.name, dockerClient(h.docker, options)]));
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const clients = input.clients ?? clientsFor(input.hosts, input.fence);
  const desired = [...input.desired].sort((a, b) => a.name.localeCompare(b.name));
  const memory = new PassMemory(input);
  const rolledBack = new Map(await memory.rollbacks());
  const options: PlanOptions = {
    prune: input.prune,
    failedStacks: (input.failed ?? []).map((f) => f.stack),
    ...(input.only ? { only: input.only } : {}),
    rolledBack,
    ...(input.specCache ? { specCache: input.specCache } : {}),
  };
  let begun = input.observation;
  const look = async () => {
    const observed = await (begun ?? observe(input.hosts, { clients: clients.observe }));
    begun = undefined;
    return input.withHealth ? input.withHealth(observed) : observed;
  };
  /** Observes, schedules and plans with `planOptions`; remembers what the hosts held. */
  const planNow = async (planOptions: PlanOptions) => {
    const observed = await look();
    const scheduling = await memory.scheduling();
    const placements = scheduleStacks(desired, observed.hosts, scheduling);
    await memory.remember(observed, placements, scheduling.now);
    return { observed, placements, plan: plan(desired, placements, observed, planOptions) };
  };
  const first = await planNow(options);
  const { observed, placements, plan: firstPlan } = first;
  if (input.dryRun)
    return {
      observed,
      placements,
      plan: firstPlan,
      results: [],
      after: observed,
      stacks: outcomes(input, firstPlan, [], observed, firstPlan, placements, new Map()),
      ...memory.failure(),
    };
  const steps = new UpgradeSteps(firstPlan);
  const tell = (found: UpgradeStep[]) => {
    for (const step of found) input.onStep?.(step);
  };
  const applyOptions: ApplyOptions = {
    clients: clients.apply,
    readiness: readinessReader(input, clients),
    ...(input.perHost ? { perHost: input.perHost } : {}),
    onStart: (op) => tell(steps.sent(op)),
    onResult: (result) => {
      tell(steps.finished(result));
      input.onResult?.(result);
    },
    ...(input.fence ? { fence: input.fence } : {}),
  };
  const results = await apply(firstPlan, applyOptions);
  // A failed upgrade is remembered first (a crash from here on must not try it again), then rolled back.
  const failures = failedUpgrades(firstPlan, results, desired, now(input));
  const rollbackResults: OperationResult[] = [];
  if (failures.size > 0) {
    for (const [stack, record] of failures) {
      rolledBack.set(stack, record);
      await memory.rememberRollback(stack, record);
      tell([rollbackStarted(stack, record)]);
    }
    const undo = await planNow({ ...options, only: [...failures.keys()] });
    // The rollback's own operations are steps of their own: each unit's rollback started, done or failed.
    const rollbackSteps = new RollbackSteps(undo.plan);
    rollbackResults.push(
      ...(await apply(undo.plan, {
        ...applyOptions,
        onStart: (op) => tell(rollbackSteps.sent(op)),
        onResult: (result) => {
          tell(rollbackSteps.finished(result));
          input.onResult?.(result);
        },
      })),
    );
    tell(rollbacksEnded(failures.keys(), rollbackResults));
  }
  // Nothing sent to Docker (a no-op pass): the first observation is the hosts' state after it,
  // and a second one would only cost a round of requests and a plan.
  const final = results.length === 0 && failures.size === 0 ? first : await planNow(options);
  const stacks = outcomes(
    input,
    firstPlan,
    [...results, ...rollbackResults],
    final.observed,
    final.plan,
    final.placements,
    failures,
    new Set(results),
  );
  const historyError = input.history ? await recordHistory(input.history, input, stacks, now(input)) : undefined;
  return {
    observed,
    placements,
    plan: firstPlan,
    results: [...results, ...rollbackResults],
    after: final.observed,
    stacks,
    ...memory.failure(),
    ...(historyError ? { historyError } : {}),
  };
}

function now(input: ReconcileInput): Date {
  return (input.now ?? (() => new Date()))();
}

/** The pass's use of what corral knows of its hosts: read before scheduling, updated after each observation. */
class PassMemory {
  private error?: string;

  constructor(private readonly input: ReconcileInput) {}

  async scheduling(): Promise<ScheduleOptions & { now: Date }> {
    const now = (this.input.now ?? (() => new Date()))();
    const store = this.input.memory?.store;
    const known: KnownHosts = store ? await store.load() : {};
    return { known, now, hostDownGraceMs: this.input.memory?.hostDownGraceMs ?? DEFAULT_HOST_DOWN_GRACE_MS };
  }

  async remember(observed: ObservedState, placements: readonly StackPlacement[], now: Date): Promise<void> {
    const store = this.input.memory?.store;
    if (!store) return;
    const moved: MovedInstance[] = placements.flatMap((p) =>
      (p.rescheduled ?? []).map((r) => ({ stack: p.stack, unit: r.service, instance: r.instance, from: r.from })),
    );
    try {
      await store.update((known) => rememberPass(known, observed, moved, now));
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** The rolled-back upgrades kept in the state directory; none without one (or when it cannot be read: said by failure()). */
  async rollbacks(): Promise<ReadonlyMap<string, RollbackRecord>> {
    const store = this.input.memory?.rollbacks;
    if (!store) return new Map();
    try {
      return await store.load();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      return new Map();
    }
  }

  async rememberRollback(stack: string, record: RollbackRecord): Promise<void> {
    try {
      await this.input.memory?.rollbacks?.record(stack, record);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  failure(): { memoryError?: string } {
    return this.error ? { memoryError: this.error } : {};
  }
}

/**
 * Per stack: its operations and status. A stack rolled back in this pass (`rolledBackNow`)
 * reports the upgrade's failure as the cause of RolledBack; only a failure of the rollback itself
 * is an apply error.
 */
function outcomes(
  input: ReconcileInput,
  done: Plan,
  results: OperationResult[],
  after: ObservedState,
  remaining: Plan,
  placements: readonly StackPlacement[],
  rolledBackNow: ReadonlyMap<string, RollbackRecord>,
  upgradeResults: ReadonlySet<OperationResult> = new Set(),
): StackOutcome[] {
  const resultsOf = groupBy(results, (r) => r.operation.stack);
  const desiredByName = new Map(input.desired.map((s) => [s.name, s]));
  const failedByName = new Map((input.failed ?? []).map((f) => [f.stack, f]));
  const placementOf = new Map(placements.map((p) => [p.stack, p]));
  const sources = new StatusSources(after, remaining);
  return done.stacks.map((stackPlan) => {
    const name = stackPlan.stack;
    const operations = resultsOf.get(name) ?? [];
    const applyErrors = applyErrorsOf(rolledBackNow.has(name) ? operations.filter((r) => !upgradeResults.has(r)) : operations);
    const rolledBack = sources.planOf(name)?.rolledBack;
    const desired = desiredByName.get(name);
    const placement = placementOf.get(name);
    const renderErrors = failedByName.get(name)?.diagnostics.filter((d) => d.severity === 'error');
    const status = stackStatus({
      name,
      ...(desired ? { desired } : {}),
      ...(renderErrors?.length ? { renderErrors } : {}),
      observed: after,
      plan: remaining,
      sources,
      notes: stackPlan.notes,
      ...(applyErrors.length ? { applyErrors } : {}),
      ...(placement ? { placement } : {}),
      ...(input.fetchError ? { fetchError: input.fetchError } : {}),
      ...(rolledBack ? { rolledBack } : {}),
      nowMs: now(input).getTime(),
    });
    const degraded = stackPlan.notes.some((n) => n.level === 'degraded');
    const converged = stackPlan.actionable && applyErrors.length === 0 && !degraded && status.sync === SyncStatus.Synced;
    return { stack: name, converged, operations, notes: stackPlan.notes, status };
  });
}

/**
 * The failed operations, each with Docker's message, then how many were not run because of them
 * (a failed pull holds back every stop, removal and create of its stack).
 */
function applyErrorsOf(operations: readonly OperationResult[]): string[] {
  const failed = operations
    .filter((r) => r.status === 'failed')
    .map((r) => `${r.operation.id} ${r.operation.kind} ${r.operation.target} on ${r.operation.host}: ${r.error ?? r.status}`);
  const skipped = operations.filter((r) => r.status === 'skipped').length;
  if (skipped === 0) return failed;
  return [...failed, `${skipped} operation${skipped === 1 ? '' : 's'} not run because of ${failed.length === 1 ? 'it' : 'them'}`];
}

/** Reads a gate's container (inspected, with the daemon's probe state when there is one) and judges it. */
function readinessReader(input: ReconcileInput, clients: DockerClients): Readiness {
  const now = () => (input.now?.() ?? new Date()).getTime();
  // Made once per pass (stack names are folder names: unique): a gate looks its stack up, not through every stack.
  const desiredByName = new Map(input.desired.map((s) => [s.name, s]));
  return async (op) => {
    const docker = clients.observe.get(op.host);
    const stack = desiredByName.get(op.stack);
    const service = stack && serviceNamed(stack, op.gate.service);
    if (!docker) return { ready: false, detail: `no Docker client for host ${op.host}` };
    const found = await docker.listContainers({ all: true, filters: { name: [op.target] } });
    const info = found.find((c) => c.Names.includes(`/${op.target}`));
    if (!info) return gateVerdict(undefined, service, op.gate.minReadyMs, now());
    const inspected = await docker.getContainer(info.Id).inspect();
    const listed = toObservedContainer(op.host, info);
    const container: ObservedContainer = {
      ...listed,
      runtime: { startedAt: inspected.State.StartedAt, restartCount: inspected.RestartCount },
    };
    if (input.watchHealth) return gateVerdict(input.watchHealth(container, service), service, op.gate.minReadyMs, now());
    if (!service?.healthCheck) return gateVerdict(container, service, op.gate.minReadyMs, now());
    const { healthCheck: _probedOnlyByTheDaemon, ...unprobed } = service;
    const verdict = gateVerdict(container, unprobed, op.gate.minReadyMs, now());
    return { ...verdict, detail: `${verdict.detail} (its health_check is probed only under corral run)` };
  };
}
