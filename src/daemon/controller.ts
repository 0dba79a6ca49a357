/**
 * The GitOps daemon's controller: the work every trigger asks for (./triggers.ts wires the
 * interval, file watches, Docker events and signals; the HTTP API adds webhooks and syncs).
 *
 * - The coordinator, one at a time, reads the repository and its catalogs (requestFetch)
 *   and runs full checks (requestFullCheck: fetch, then a dry run over every stack). Requests
 *   that arrive while it works are merged into one more round.
 * - Stacks converge in stack passes: a new revision that changes a stack, a full check that
 *   finds changes pending for it, or a request for it (requestSync, a Docker event) asks for
 *   one. ./pass-queue.ts decides which stacks a pass takes: the stacks waiting that no pass
 *   holds, up to a hundred, those asked for one by one first, so a revision that changes many
 *   stacks costs a few passes (each one observation of the hosts, one schedule), not one per
 *   stack. Passes run side by side, at most MAX_PARALLEL_PASSES at once, so a stack asked for
 *   while other passes run (a slow pull, an upgrade's gate) is not held up by them; a stack is
 *   in one pass at a time, and requests while it is in one make it run exactly once more.
 * - A failed fetch keeps the last good revision and never prunes. A failed pass is logged; the
 *   stacks of a failed shared pass run again, split in two groups down to one stack, so one
 *   stack that makes passes throw cannot stop the others, and a stack whose own pass failed
 *   shows the error in its status until a pass succeeds. stop() finishes the passes in flight
 *   and drops queued work.
 * - Secret answers' values are scrubbed from logs and statuses. Time comes from the injected
 *   clock (event times, pass and fetch durations); reconcile can be injected for tests.
 * - With leader election (src/ha), only the leader changes hosts, each Docker operation behind
 *   the election's fence; a standby keeps its state warm (fetch, render, observe, status) with
 *   dry runs only.
 * - The health monitor (./health-monitor.ts) adds what it knows of the containers' health to every
 *   pass's observation; a change of health converges the stack. What corral knows of its hosts
 *   between passes (src/state, injected as `memory`) goes to every pass too.
 * - Each stack's history of applied revisions (src/state, injected as `history`) is written by
 *   its passes and shown in its status; each step of an upgrade (a batch started, its gate passed
 *   or failed) is an event of the stack's status as it happens, and a line of the log.
 */
import type winston from 'winston';
import type { CorralConfig } from '../config/config.js';
import { DEFAULT_PROBE_IMAGE } from '../config/health.js';
import type { DesiredStateSource } from '../desired/index.js';
import type { Leadership, LeadershipChange } from '../ha/leadership.js';
import { registerSecrets } from '../log/logger.js';
import type { DesiredService, DesiredStack } from '../model/desired.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import { type ShownHistoryEntry, shownHistory } from '../model/history.js';
import type { ObservedContainer, ObservedState } from '../model/observed.js';
import { redactValue, stackSecretValues } from '../model/redact.js';
import { desiredStackDigest, formatOperation, type HostNote, SpecCache } from '../plan/index.js';
import {
  clientMap,
  clientsFor,
  type DockerClients,
  type ReconcileInput,
  type ReconcileResult,
  reconcile,
  type StackOutcome,
} from '../reconcile/index.js';
import type { DesiredState } from '../render/index.js';
import type { ApiController } from '../server/http.js';
import type { StackHistoryStore } from '../state/stack-history-store.js';
import { healthChanges, isGone, repositoryError, type StackEvent, type StackStatus } from '../status/stack-status.js';
import type { UpgradeStep } from '../status/upgrade-steps.js';
import { memoizedPerObject } from '../util/memo.js';
import { type Clock, systemClock } from './clock.js';
import type { ContainerEvent } from './docker-events.js';
import { instrumentDockerClient } from './docker-metrics.js';
import { type HealthChange, HealthMonitor } from './health-monitor.js';
import { DaemonMetrics, type FetchResult, type PassKind, type WebhookResult } from './metrics.js';
import { PassQueue, type PassWork } from './pass-queue.js';
import { Slots } from './slots.js';

/** Events kept per stack: an upgrade of 6 units makes about 45 (its operations and its steps). */
const EVENTS_KEPT = 50;
const MAX_PARALLEL_PASSES = 4;
/** Stack histories read at once when a pass records its stacks (10,000 at once could run out of file descriptors). */
const HISTORY_READS = 64;

export interface ControllerOptions {
  /** The repository and its catalogs, read into the desired state as every command reads it. */
  repository: DesiredStateSource;
  config: CorralConfig;
  logger: winston.Logger;
  webhookSecret?: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** One observe → plan → apply pass; default the real one, against the config's hosts. */
  reconcile?: (input: ReconcileInput) => Promise<ReconcileResult>;
  /** Leader election among replicas; without it this controller always leads. */
  leadership?: Leadership;
  /** What corral knows of its hosts between passes (src/state/); without it a host that is down is judged by nothing. */
  memory?: ReconcileInput['memory'];
  /** Each stack's history of applied revisions (src/state/); without it a status has no history. */
  history?: StackHistoryStore;
}

/** Work for the coordinator; single stacks go straight to a stack pass. */
interface Work {
  /** Look for a new revision first; stacks whose rendered state changed go to a stack pass. */
  fetch: boolean;
  /** Then check every stack (a dry run) and send those with pending changes to a stack pass. */
  full: boolean;
  reasons: string[];
}

export class Controller implements ApiController {
  private readonly clients: DockerClients;
  private readonly health: HealthMonitor;
  private readonly statuses = new Map<string, StackStatus>();
  private readonly events = new Map<string, StackEvent[]>();
  private readonly appliedFingerprints = new Map<string, string>();
  private desired?: DesiredState;
  /** Container specs of the current desired stacks, kept between passes (a new revision's stacks get their own). */
  private readonly specCache = new SpecCache();
  private statusChanges = 0;
  /** The files of the last revision read. */
  private files?: FileTree;
  /** Secret values of the current desired state, scrubbed from every status. */
  private secretValues: readonly string[] = [];
  private revision?: string;
  private fetchError?: string;
  /** The source reported a change that has not been loaded yet. */
  private loadPending = false;
  private pending?: Work;
  private running?: Promise<void>;
  /** The stacks waiting for a stack pass and those in one. */
  private readonly queue = new PassQueue();
  /** Why each stack's own last pass failed, shown in its status until a pass of it succeeds. */
  private readonly passFailures = new Map<string, string>();
  /** Stack passes in flight. */
  private readonly passes = new Set<Promise<void>>();
  /** Passes start in a microtask, so that the requests of one loop (a new revision's stacks) share a pass. */
  private startQueued = false;
  private stopping = false;
  private readonly clock: Clock;
  private readonly reconcile: (input: ReconcileInput) => Promise<ReconcileResult>;
  /** The plan's notes about hosts at the last full check, by host and message. */
  private hostNotes = new Map<string, HostNote>();
  readonly metricsRegistry = new DaemonMetrics({ stacks: () => this.stacks(), fetchFailing: () => this.fetchError !== undefined });

  constructor(private readonly options: ControllerOptions) {
    const leadership = options.leadership;
    // A pass's operations leave only while this replica leads; the health monitor's probes run on every replica.
    const clients = clientsFor(options.config.hosts, leadership ? () => leadership.fence() : undefined);
    const probeClients = leadership ? clientMap(options.config.hosts, {}) : clients.apply;
    for (const map of new Set([clients.observe, clients.apply, probeClients]))
      for (const [host, client] of map) instrumentDockerClient(client, host, this.metricsRegistry);
    this.clients = clients;
    this.clock = options.clock ?? systemClock;
    this.reconcile = options.reconcile ?? reconcile;
    this.health = new HealthMonitor({
      hosts: options.config.hosts,
      clients: probeClients,
      probeImage: options.config.health?.probeImage ?? DEFAULT_PROBE_IMAGE,
      onChange: (change) => this.healthChanged(change),
      onNews: (stack) => this.requestSync(stack, 'a container restarted or its Docker health check spoke'),
      now: () => this.clock.now(),
    });
    options.leadership?.onChange((change) => this.leadershipChanged(change));
  }

  // --- triggers -------------------------------------------------------------

  requestFetch(reason: string): void {
    this.enqueue({ fetch: true, full: false, reasons: [reason] });
  }

  requestSync(stack?: string, reason = stack ? `sync of ${stack} requested` : 'sync requested'): void {
    // A standby runs no stack passes: it refreshes every status with a dry run instead.
    if (stack && this.leading()) this.requestPass([stack], [reason], true);
    else this.enqueue({ fetch: false, full: true, reasons: [reason] });
  }

  /** Interval tick: fetch and check every stack. */
  requestFullCheck(reason: string): void {
    this.enqueue({ fetch: true, full: true, reasons: [reason] });
  }

  /** Resolves when no coordinator round or pass is running or about to start (stacks may still wait while this replica does not lead). */
  async idle(): Promise<void> {
    while (this.running || this.passes.size > 0 || this.startQueued) await Promise.all([this.running, ...this.passes]);
  }

  /** A Docker event of a managed container: the health monitor follows (re)starts and removals. */
  noteContainerEvent(event: ContainerEvent): void {
    this.health.noteEvent(event.host, event.id, event.action);
  }

  /** Finishes the pass in flight, then takes no more work; the probe agents go with it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pending = undefined;
    this.queue.dropWaiting();
    await this.idle();
    await this.health.stop();
  }

  // --- API ------------------------------------------------------------------

  stacks(): StackStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.name.localeCompare(b.name)).map((status) => this.withLeadership(status));
  }

  stack(name: string): StackStatus | undefined {
    const status = this.statuses.get(name);
    return status && this.withLeadership(status);
  }

  /** With leader election: this replica's role, for /healthz. */
  role(): 'leader' | 'standby' | undefined {
    return this.options.leadership?.role();
  }

  /** Counts changes of the stacks' statuses, so that live pages know when to look again. */
  statusVersion(): number {
    return this.statusChanges;
  }

  /** A file of the last revision read (catalog/, stacks/ and .corral/ only), for the app store. */
  repositoryText(path: string): string | undefined {
    return this.files?.get(path);
  }

  /** The desired state of the last revision read (catalogs and stacks), for the app store. */
  desiredState(): DesiredState | undefined {
    return this.desired;
  }

  webhookSecret(): string | undefined {
    return this.options.webhookSecret;
  }

  metrics(): Promise<string> {
    return this.metricsRegistry.text();
  }

  webhookDelivered(provider: string, result: WebhookResult): void {
    this.metricsRegistry.webhookDeliveries.inc({ provider, result });
  }

  // --- the loop -------------------------------------------------------------
  //
  // The coordinator (one at a time) fetches, and runs full checks as a dry run over every
  // stack; the stacks that need changes wait for a stack pass, which takes all of them that no
  // other pass holds. Passes run side by side (at most MAX_PARALLEL_PASSES), so a slow pull or
  // stop in one never holds up self-healing asked for meanwhile; a stack is in one pass at a time.

  private enqueue(work: Work): void {
    if (this.stopping) return;
    this.pending = this.pending ? merge(this.pending, work) : work;
    if (!this.running)
      this.running = this.coordinate().finally(() => {
        this.running = undefined;
      });
  }

  private async coordinate(): Promise<void> {
    while (this.pending && !this.stopping) {
      const work = this.pending;
      this.pending = undefined;
      await this.guarded('check', work, () => this.coordinatorPass(work));
    }
  }

  private async coordinatorPass(work: Work): Promise<void> {
    const revisionChanged = work.fetch ? await this.fetch() : false;
    if (!this.desired) return;
    const leading = this.leading();
    if (revisionChanged && leading) this.requestPass(this.changedStacks(), work.reasons);
    if (work.full || (revisionChanged && !leading)) await this.fullCheck(work.reasons);
  }

  /** A dry run over every stack: fresh status for all, a pass for those with changes pending. */
  private async fullCheck(reasons: string[]): Promise<void> {
    const desired = this.desired;
    if (!desired) return;
    const passesBefore = this.queue.mark();
    const result = await this.reconcile({
      hosts: this.options.config.hosts,
      desired: desired.stacks,
      failed: desired.failed,
      prune: true,
      dryRun: true,
      ...this.passContext(desired.stacks),
    });
    this.reportHostNotes(result.plan.hosts ?? []);
    const leading = this.leading();
    this.reportMemory(result);
    // One set, not a search of every operation per stack: 10,000 stacks with 90,000 operations pending took 26 s.
    const withChanges = new Set(result.plan.operations.map((op) => op.stack));
    if (leading)
      this.requestPass(
        result.stacks.map((outcome) => outcome.stack).filter((stack) => withChanges.has(stack)),
        reasons,
      );
    await this.recordAll(result.stacks, (stack) => this.dryRunIsNewest(stack, passesBefore));
    this.forgetGoneStacks();
  }

  /** Logs a note about the hosts (one outside the swarm, ...) when it appears, and when it is gone. */
  private reportHostNotes(notes: readonly HostNote[]): void {
    const current = new Map(notes.map((note) => [`${note.host}: ${note.message}`, note]));
    for (const [key, note] of current) {
      if (this.hostNotes.has(key)) continue;
      this.options.logger.log(note.level === 'error' ? 'error' : 'warn', note.message, { host: note.host });
    }
    for (const [key, note] of this.hostNotes)
      if (!current.has(key)) this.options.logger.info(`resolved: ${note.message}`, { host: note.host });
    this.hostNotes = current;
  }

  /** Asks for a stack pass of each stack (`urgent`: asked for one by one); a stack in a pass now runs once more after it. */
  private requestPass(stacks: readonly string[], reasons: readonly string[], urgent = false): void {
    if (this.stopping || !this.desired || !this.leading() || stacks.length === 0) return;
    this.queue.ask(stacks, reasons, urgent);
    if (this.startQueued) return;
    this.startQueued = true;
    queueMicrotask(() => {
      this.startQueued = false;
      this.startPasses();
    });
  }

  /** Starts passes while there is room and stacks wait that no pass holds. */
  private startPasses(): void {
    while (this.passes.size < MAX_PARALLEL_PASSES && !this.stopping && this.leading()) {
      const work = this.queue.take();
      if (!work) return;
      this.startPass(work);
    }
  }

  private startPass(work: PassWork): void {
    const pass: Promise<void> = this.guarded('stack', work, () => this.stackPass(work.stacks)).then((error) => {
      const again = this.queue.done(work, error !== undefined);
      // Through requestPass, which takes no work once stopping or no longer leading.
      this.requestPass(again, work.reasons);
      const [only] = work.stacks;
      if (error !== undefined && work.stacks.length === 1 && only !== undefined)
        this.showPassFailure(only, `its last pass failed: ${error}`);
      this.passes.delete(pass);
      // In the same turn as the queue's update, so that no request can slip in between.
      this.startPasses();
    });
    this.passes.add(pass);
  }

  /** A stack whose own pass failed shows the error in its status (and in those full checks record) until a pass of it succeeds. */
  private showPassFailure(stack: string, error: string): void {
    this.passFailures.set(stack, error);
    const status = this.statuses.get(stack);
    if (!status) return;
    this.statuses.set(stack, { ...status, lastError: error });
    this.statusChanges += 1;
  }

  /**
   * Whether a full check's dry run, begun at `mark`, is the newest word on the stack: not when a
   * pass holds it, waits for it, or took or ended it since the mark; but a stack without a status
   * whose own pass failed gets it, with the error (nothing else would show it). A new stack is
   * otherwise first shown by its pass, not as the dry run's "nothing runs yet".
   */
  private dryRunIsNewest(stack: string, mark: number): boolean {
    if (!this.statuses.has(stack) && this.passFailures.has(stack)) return true;
    return !this.queue.inPass(stack) && !this.queue.waits(stack) && !this.queue.touchedSince(stack, mark);
  }

  private async stackPass(stacks: readonly string[]): Promise<void> {
    const desired = this.desired;
    if (!desired) return;
    this.options.logger.debug('reconciling', { stacks: namedBriefly(stacks), revision: this.revision });
    const result = await this.reconcile({
      hosts: this.options.config.hosts,
      desired: desired.stacks,
      failed: desired.failed,
      prune: true,
      only: stacks,
      ...this.passContext(desired.stacks),
      onResult: (result) => this.metricsRegistry.dockerOperations.inc({ kind: result.operation.kind, result: result.status }),
      ...(this.options.leadership ? { fence: () => this.options.leadership?.fence() } : {}),
      ...(this.options.history ? { history: this.options.history } : {}),
      onStep: (step) => this.upgradeStep(step),
    });
    this.reportMemory(result);
    if (result.historyError)
      this.options.logger.error('a stack history was not saved', { stacks: namedBriefly(stacks), error: result.historyError });
    if (!this.leading()) {
      // Leadership was lost during the pass: its operations were fenced; statuses come from a dry run.
      this.enqueue({ fetch: false, full: true, reasons: ['leadership lost during a pass'] });
      return;
    }
    for (const stack of stacks) this.passFailures.delete(stack);
    await this.recordAll(result.stacks);
    this.forgetGoneStacks();
  }

  /**
   * Records each outcome with its stack's history, the histories read HISTORY_READS at a time;
   * `current` (asked once they are read) leaves out the stacks that have a newer status meanwhile.
   */
  private async recordAll(outcomes: readonly StackOutcome[], current: (stack: string) => boolean = () => true): Promise<void> {
    const reads = new Slots(HISTORY_READS);
    const histories = await Promise.all(outcomes.map((outcome) => reads.run(() => this.historyOf(outcome.stack))));
    for (const [at, outcome] of outcomes.entries()) if (current(outcome.stack)) this.record(outcome, histories[at]);
  }

  /** The stack's history as the store has it; one that cannot be read is logged and shown empty. */
  private async historyOf(stack: string): Promise<ShownHistoryEntry[] | undefined> {
    const store = this.options.history;
    if (!store) return undefined;
    try {
      return shownHistory(await store.read(stack));
    } catch (err) {
      this.options.logger.error('a stack history cannot be read', { stack, error: err instanceof Error ? err.message : String(err) });
      return [];
    }
  }

  /** A step of an upgrade, as it happens: an event of the stack's status at once, and a log line. */
  private upgradeStep(step: UpgradeStep): void {
    const message = redactValue(step.message, this.secretValues) as string;
    this.options.logger[step.level](message, { stack: step.stack, revision: this.revision ?? '(directory)' });
    const events = [...(this.events.get(step.stack) ?? []), { time: new Date(this.clock.now()).toISOString(), message }].slice(
      -EVENTS_KEPT,
    );
    this.events.set(step.stack, events);
    const status = this.statuses.get(step.stack);
    if (status) this.statuses.set(step.stack, { ...status, events });
    this.statusChanges += 1;
  }

  private reportMemory(result: ReconcileResult): void {
    if (result.memoryError) this.options.logger.error('what corral knows of its hosts was not saved', { error: result.memoryError });
  }

  private leading(): boolean {
    return (this.options.leadership?.role() ?? 'leader') === 'leader';
  }

  /** A new leader starts with a full check; a replica that stopped leading refreshes its statuses. */
  private leadershipChanged(change: LeadershipChange): void {
    if (change.role === 'leader') this.requestFullCheck('this replica became the leader');
    else {
      // The stacks asked for are found again by the full check of the next leadership.
      this.queue.dropWaiting();
      this.enqueue({ fetch: false, full: true, reasons: [`this replica became a standby: ${change.reason}`] });
    }
  }

  private withLeadership(status: StackStatus): StackStatus {
    const leadership = this.options.leadership;
    if (!leadership) return status;
    const leader = leadership.leader();
    return { ...status, leadership: { replica: leadership.replica, role: leadership.role(), ...(leader ? { leader } : {}) } };
  }

  /** Runs a pass, timed; one that throws is logged. Returns its error, if it failed. */
  private async guarded(kind: PassKind, work: { reasons: readonly string[]; stacks?: readonly string[] }, body: () => Promise<void>) {
    try {
      await this.metricsRegistry.timePass(kind, body, this.clock);
      return undefined;
    } catch (err) {
      const error = redactValue(err instanceof Error ? err.message : String(err), this.secretValues) as string;
      const stacks = work.stacks ? { stacks: namedBriefly(work.stacks) } : {};
      this.options.logger.error('pass failed', { error, ...stacks, reasons: briefly(work.reasons) });
      return error;
    }
  }

  /** Looks for a new revision; on failure keeps serving the last good one. Returns whether it changed. */
  private async fetch(): Promise<boolean> {
    const { repository: source, logger } = this.options;
    try {
      const refreshed = await this.timedRefresh();
      if (this.fetchError) logger.info('repository readable again', { repo: source.describe(), revision: this.revision });
      this.fetchError = undefined;
      // A revision counts as seen only once it is loaded: if reading or rendering it fails, the next fetch tries it again.
      if (refreshed.changed) this.loadPending = true;
      if (this.desired && !this.loadPending) return false;
      const snapshot = await source.read();
      const state = snapshot.state;
      this.loadPending = false;
      for (const problem of state.catalogDiagnostics.filter((d) => d.severity === 'error'))
        logger.warn('catalog problem', { repo: source.describe(), error: formatDiagnostic(problem) });
      this.files = snapshot.files;
      this.secretValues = stackSecretValues(state.stacks);
      registerSecrets(this.secretValues);
      const changed = this.revision !== snapshot.revision || !this.desired;
      this.desired = state;
      this.revision = snapshot.revision;
      for (const failed of state.failed) {
        logger.warn('stack cannot be rendered', {
          stack: failed.stack,
          revision: this.revision,
          errors: failed.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
        });
      }
      if (changed)
        logger.info('new revision', {
          repo: source.describe(),
          revision: this.revision ?? '(directory)',
          stacks: state.stacks.length,
          failed: state.failed.length,
        });
      return true;
    } catch (err) {
      this.fetchError = err instanceof Error ? err.message : String(err);
      logger.error('cannot read the repository; serving the last good revision', {
        repo: source.describe(),
        error: this.fetchError,
        revision: this.revision,
      });
      for (const status of this.statuses.values()) status.lastError = repositoryError(this.fetchError);
      this.statusChanges += 1;
      return false;
    }
  }

  private async timedRefresh(): Promise<{ changed: boolean }> {
    const started = this.clock.now();
    const observe = (result: FetchResult) => this.metricsRegistry.gitFetchDuration.observe({ result }, (this.clock.now() - started) / 1000);
    try {
      const refreshed = await this.options.repository.refresh();
      observe(refreshed.changed ? 'changed' : 'unchanged');
      return refreshed;
    } catch (err) {
      observe('failed');
      throw err;
    }
  }

  /** Stacks whose rendered desired state differs from what was last converged, and stacks removed from git. */
  private changedStacks(): string[] {
    const desired = this.desired;
    if (!desired) return [];
    const names = new Set([...desired.stacks.map((s) => s.name), ...desired.failed.map((f) => f.stack), ...this.statuses.keys()]);
    const { stackByName } = namesOf(desired);
    return [...names].filter((name) => {
      const stack = stackByName.get(name);
      return !stack || this.appliedFingerprints.get(name) !== desiredStackDigest(stack);
    });
  }

  private record(outcome: StackOutcome, history: ShownHistoryEntry[] | undefined): void {
    const { logger } = this.options;
    const name = outcome.stack;
    const stack = this.desired ? namesOf(this.desired).stackByName.get(name) : undefined;
    const events = this.events.get(name) ?? [];
    const time = new Date(this.clock.now()).toISOString();
    for (const result of outcome.operations) {
      const message = `${formatOperation(result.operation)}${result.status === 'ok' ? '' : ` — ${result.status}: ${result.error ?? ''}`}`;
      events.push({ time, message });
      const meta = {
        stack: name,
        revision: this.revision ?? '(directory)',
        host: result.operation.host,
        target: result.operation.target,
        cause: result.operation.cause,
      };
      if (result.status === 'ok') logger.info(`${result.operation.kind} ${result.operation.target}`, meta);
      else logger.error(`${result.operation.kind} ${result.operation.target} ${result.status}`, { ...meta, error: result.error });
    }
    this.events.set(name, events.slice(-EVENTS_KEPT));
    const previous = this.statuses.get(name);
    const revision = this.revision ?? '(directory)';
    if (previous && previous.sync !== outcome.status.sync)
      logger.info(`stack ${name} ${previous.sync} → ${outcome.status.sync}`, { stack: name, revision, message: outcome.status.message });
    for (const change of healthChanges(previous, outcome.status)) {
      const level = /→ (Unhealthy|Degraded|Unknown)$/.test(change.message) ? 'warn' : 'info';
      logger[level](change.message, { stack: name, revision, detail: change.detail });
    }
    // status/stack-status.ts names a repository error; a pass that did not get it still shows it.
    const lastError =
      outcome.status.lastError ?? this.passFailures.get(name) ?? (this.fetchError ? repositoryError(this.fetchError) : undefined);
    const status = {
      ...outcome.status,
      events: this.events.get(name) ?? [],
      ...(lastError ? { lastError } : {}),
      ...(history ? { history } : {}),
    };
    const shown = redactValue(status, this.secretValues) as StackStatus;
    if (!previous || JSON.stringify(previous) !== JSON.stringify(shown)) this.statusChanges += 1;
    this.statuses.set(name, shown);
    if (stack && outcome.converged) this.appliedFingerprints.set(name, desiredStackDigest(stack));
    else this.appliedFingerprints.delete(name);
  }

  /** What every pass shares: the clients, the health monitor's view of the containers, the repository's state, what is known of the hosts, the clock. */
  private passContext(stacks: readonly DesiredStack[]) {
    const { memory } = this.options;
    return {
      clients: this.clients,
      withHealth: (observed: ObservedState) => {
        this.health.track(observed, stacks);
        return this.health.annotate(observed);
      },
      watchHealth: (container: ObservedContainer, service: DesiredService | undefined) => this.health.watch(container, service),
      ...(this.fetchError ? { fetchError: this.fetchError } : {}),
      ...(memory ? { memory } : {}),
      now: () => new Date(this.clock.now()),
      specCache: this.specCache,
    };
  }

  /** A container's health check changed its word: log it, and converge its stack (a strategy may replace it). */
  private healthChanged(change: HealthChange): void {
    const level = change.to === 'unhealthy' || change.to === 'unknown' ? 'warn' : 'info';
    this.options.logger[level](`container ${change.container} health check: ${change.from} → ${change.to}`, {
      stack: change.stack,
      service: change.service,
      host: change.host,
      result: change.detail,
    });
    this.requestSync(change.stack, `health check of ${change.container}: ${change.to}`);
  }

  /** A stack removed from git whose containers are gone has no status any more. */
  private forgetGoneStacks(): void {
    const desired = this.desired;
    if (!desired) return;
    const { stackByName, failedNames } = namesOf(desired);
    for (const [name, status] of this.statuses) {
      const inGit = stackByName.has(name) || failedNames.has(name);
      if (!inGit && isGone(status)) {
        this.statuses.delete(name);
        this.events.delete(name);
        this.queue.forget([name]);
        this.passFailures.delete(name);
        this.statusChanges += 1;
      }
    }
  }
}

/** The stacks of a pass for a log line: their names, or how many when there are more than a few. */
function namedBriefly(stacks: readonly string[]): string {
  return stacks.length <= 5 ? stacks.join(', ') : `${stacks.length} stacks`;
}

/** Reasons for a log line: the first few, and how many more. */
function briefly(reasons: readonly string[]): string[] {
  return reasons.length <= 5 ? [...reasons] : [...reasons.slice(0, 5), `and ${reasons.length - 5} more`];
}

function merge(a: Work, b: Work): Work {
  return { fetch: a.fetch || b.fetch, full: a.full || b.full, reasons: [...a.reasons, ...b.reasons] };
}

/**
 * The desired state's stacks by name (the first of a name, as `find` gave) and the names of those
 * that failed to render, remembered per desired state: a full check and each record look every
 * stack up by name, which with `find` grew with the square of the stacks.
 */
const namesOf = memoizedPerObject((desired: DesiredState) => {
  const stackByName = new Map<string, DesiredStack>();
  for (const stack of desired.stacks) if (!stackByName.has(stack.name)) stackByName.set(stack.name, stack);
  return { stackByName, failedNames: new Set(desired.failed.map((f) => f.stack)) };
});
