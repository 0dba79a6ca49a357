/**
 * The GitOps daemon's loop: every trigger (interval, webhook, file watch, Docker events,
 * API) lands in one queue; one pass runs at a time, so a stack is never reconciled twice
 * at once. A failed fetch keeps the last good revision and never prunes.
 */
import { createHash } from 'node:crypto';
import type winston from 'winston';
import type { CorralConfig } from '../config/config.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import type { DesiredStack } from '../model/desired.js';
import { registerSecrets } from '../log/logger.js';
import { formatOperation } from '../plan/index.js';
import { clientsFor, reconcile, type DockerClients, type StackOutcome } from '../reconcile/index.js';
import { loadDesiredState, type DesiredState } from '../render/index.js';
import type { ApiController } from '../server/http.js';
import type { Source } from '../source/index.js';
import { HealthStatus, SyncStatus, type StackEvent, type StackStatus } from '../status/stack-status.js';
import { metricsText } from './metrics.js';

const EVENTS_KEPT = 20;

export interface ControllerOptions {
  source: Source;
  config: CorralConfig;
  logger: winston.Logger;
  webhookSecret?: string;
  now?: () => Date;
}

interface Work {
  fetch: boolean;
  /** Stacks to converge; 'all' for a full check. */
  stacks: Set<string> | 'all';
  reasons: string[];
}

export class Controller implements ApiController {
  private readonly clients: DockerClients;
  private readonly statuses = new Map<string, StackStatus>();
  private readonly events = new Map<string, StackEvent[]>();
  private readonly appliedFingerprints = new Map<string, string>();
  private desired?: DesiredState;
  private revision?: string;
  private fetchError?: string;
  private pending?: Work;
  private running?: Promise<void>;
  private stopping = false;
  private passes = 0;
  private failedPasses = 0;
  private lastPassSeconds = 0;

  constructor(private readonly options: ControllerOptions) {
    this.clients = clientsFor(options.config.hosts);
  }

  // --- triggers -------------------------------------------------------------

  requestFetch(reason: string): void {
    this.enqueue({ fetch: true, stacks: new Set(), reasons: [reason] });
  }

  requestSync(stack?: string, reason = stack ? `sync of ${stack} requested` : 'sync requested'): void {
    this.enqueue({ fetch: false, stacks: stack ? new Set([stack]) : 'all', reasons: [reason] });
  }

  /** Interval tick: fetch and check every stack. */
  requestFullCheck(reason: string): void {
    this.enqueue({ fetch: true, stacks: 'all', reasons: [reason] });
  }

  /** Resolves when the queue is empty and no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Finishes the pass in flight, then takes no more work. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pending = undefined;
    await this.idle();
  }

  // --- API ------------------------------------------------------------------

  stacks(): StackStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  stack(name: string): StackStatus | undefined {
    return this.statuses.get(name);
  }

  webhookSecret(): string | undefined {
    return this.options.webhookSecret;
  }

  metrics(): string {
    return metricsText({ stacks: this.stacks(), passes: this.passes, failedPasses: this.failedPasses, lastPassSeconds: this.lastPassSeconds, fetchFailing: this.fetchError !== undefined });
  }

  // --- the loop -------------------------------------------------------------

  private enqueue(work: Work): void {
    if (this.stopping) return;
    this.pending = this.pending ? merge(this.pending, work) : work;
    if (!this.running) this.running = this.drain().finally(() => { this.running = undefined; });
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.stopping) {
      const work = this.pending;
      this.pending = undefined;
      const started = Date.now();
      try {
        await this.pass(work);
      } catch (err) {
        this.failedPasses += 1;
        this.options.logger.error('pass failed', { error: err instanceof Error ? err.message : String(err), reasons: work.reasons });
      }
      this.passes += 1;
      this.lastPassSeconds = (Date.now() - started) / 1000;
    }
  }

  private async pass(work: Work): Promise<void> {
    const log = this.options.logger;
    const revisionChanged = work.fetch ? await this.fetch() : false;
    if (!this.desired) return;
    const stacks = work.stacks === 'all' ? 'all' : new Set([...work.stacks, ...(revisionChanged ? this.changedStacks() : [])]);
    if (stacks !== 'all' && stacks.size === 0) return;
    const only = stacks === 'all' ? undefined : [...stacks];
    log.debug('reconciling', { stacks: only ?? 'all', reasons: work.reasons, revision: this.revision });
    const result = await reconcile({
      hosts: this.options.config.hosts,
      desired: this.desired.stacks,
      failed: this.desired.failed,
      prune: true,
      clients: this.clients,
      ...(only ? { only } : {}),
    });
    for (const outcome of result.stacks) this.record(outcome);
    this.forgetGoneStacks();
  }

  /** Looks for a new revision; on failure keeps serving the last good one. Returns whether it changed. */
  private async fetch(): Promise<boolean> {
    const { source, logger } = this.options;
    try {
      const refreshed = await source.refresh();
      if (this.fetchError) logger.info('repository readable again', { repo: source.describe(), revision: this.revision });
      this.fetchError = undefined;
      if (this.desired && !refreshed.changed) return false;
      const snapshot = await source.snapshot();
      const state = loadDesiredState(snapshot.files, snapshot.revision === undefined ? {} : { revision: snapshot.revision });
      registerSecrets(secretValues(state.stacks));
      const changed = this.revision !== snapshot.revision || !this.desired;
      this.desired = state;
      this.revision = snapshot.revision;
      for (const failed of state.failed) {
        logger.warn('stack cannot be rendered', { stack: failed.stack, revision: this.revision, errors: failed.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic) });
      }
      if (changed) logger.info('new revision', { repo: source.describe(), revision: this.revision ?? '(directory)', stacks: state.stacks.length, failed: state.failed.length });
      return true;
    } catch (err) {
      this.fetchError = err instanceof Error ? err.message : String(err);
      logger.error('cannot read the repository; serving the last good revision', { repo: source.describe(), error: this.fetchError, revision: this.revision });
      for (const status of this.statuses.values()) status.lastError = `repository: ${this.fetchError}`;
      return false;
    }
  }

  /** Stacks whose rendered desired state differs from what was last converged, and stacks removed from git. */
  private changedStacks(): string[] {
    const desired = this.desired;
    if (!desired) return [];
    const names = new Set([...desired.stacks.map((s) => s.name), ...desired.failed.map((f) => f.stack), ...this.statuses.keys()]);
    return [...names].filter((name) => {
      const stack = desired.stacks.find((s) => s.name === name);
      return !stack || this.appliedFingerprints.get(name) !== fingerprint(stack);
    });
  }

  private record(outcome: StackOutcome): void {
    const { logger } = this.options;
    const name = outcome.stack;
    const stack = this.desired?.stacks.find((s) => s.name === name);
    const events = this.events.get(name) ?? [];
    const time = (this.options.now?.() ?? new Date()).toISOString();
    for (const result of outcome.operations) {
      const message = `${formatOperation(result.operation)}${result.status === 'ok' ? '' : ` — ${result.status}: ${result.error ?? ''}`}`;
      events.push({ time, message });
      const meta = { stack: name, revision: this.revision ?? '(directory)', host: result.operation.host, target: result.operation.target, cause: result.operation.cause };
      if (result.status === 'ok') logger.info(`${result.operation.kind} ${result.operation.target}`, meta);
      else logger.error(`${result.operation.kind} ${result.operation.target} ${result.status}`, { ...meta, error: result.error });
    }
    this.events.set(name, events.slice(-EVENTS_KEPT));
    const previous = this.statuses.get(name);
    if (previous && (previous.sync !== outcome.status.sync || previous.health !== outcome.status.health)) {
      logger.info(`stack ${outcome.status.sync}, ${outcome.status.health}`, { stack: name, revision: this.revision ?? '(directory)', message: outcome.status.message });
    }
    const lastError = outcome.status.sync === SyncStatus.Failed ? outcome.status.message : this.fetchError ? `repository: ${this.fetchError}` : undefined;
    this.statuses.set(name, { ...outcome.status, events: this.events.get(name) ?? [], ...(lastError ? { lastError } : {}) });
    if (stack && outcome.converged) this.appliedFingerprints.set(name, fingerprint(stack));
    else this.appliedFingerprints.delete(name);
  }

  /** A stack removed from git whose containers are gone has no status any more. */
  private forgetGoneStacks(): void {
    const desired = this.desired;
    if (!desired) return;
    for (const [name, status] of this.statuses) {
      const inGit = desired.stacks.some((s) => s.name === name) || desired.failed.some((f) => f.stack === name);
      if (!inGit && status.services.every((s) => s.running === 0) && status.endpoints.length === 0 && status.health !== HealthStatus.Degraded) {
        this.statuses.delete(name);
        this.events.delete(name);
      }
    }
  }
}

function merge(a: Work, b: Work): Work {
  const stacks = a.stacks === 'all' || b.stacks === 'all' ? 'all' : new Set([...a.stacks, ...b.stacks]);
  return { fetch: a.fetch || b.fetch, stacks, reasons: [...a.reasons, ...b.reasons] };
}

function fingerprint(stack: DesiredStack): string {
  const { revision: _revision, warnings: _warnings, ...content } = stack;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

function secretValues(stacks: readonly DesiredStack[]): string[] {
  return stacks.flatMap((s) => s.secretVariables.map((v) => s.variables[v] ?? '')).filter((v) => v !== '');
}
