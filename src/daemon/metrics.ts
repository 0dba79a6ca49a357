/**
 * The daemon's Prometheus metrics, with prom-client: one registry per controller, holding the
 * per-stack gauges (read from the controller's statuses at scrape time), the counters and
 * histograms the controller and the Docker clients feed as they work, and Node's process metrics.
 * prom-client escapes label values, so a requester's odd stack or service name cannot break the text.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { HealthStatus, type StackStatus, SyncStatus } from '../status/stack-status.js';
import { type Clock, systemClock } from './clock.js';

/** What the gauges read at scrape time. */
export interface MetricsSource {
  stacks(): StackStatus[];
  fetchFailing(): boolean;
}

/** A coordinator pass (fetch, full check) or one stack's pass. */
export type PassKind = 'check' | 'stack';
export type PassResult = 'ok' | 'error';
export type FetchResult = 'changed' | 'unchanged' | 'failed';
export type WebhookResult = 'accepted' | 'rejected' | 'disabled' | 'too_large';

const PASS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const DOCKER_API_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const FETCH_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly reconcileDuration: Histogram<'pass' | 'result'>;
  readonly dockerOperations: Counter<'kind' | 'result'>;
  readonly dockerApiDuration: Histogram<'host' | 'request'>;
  readonly dockerApiErrors: Counter<'host' | 'request' | 'reason'>;
  readonly gitFetchDuration: Histogram<'result'>;
  readonly webhookDeliveries: Counter<'provider' | 'result'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    stackGauges(source, registers);
    new Gauge({
      name: 'corral_repository_fetch_failing',
      help: '1 while the repository cannot be read (the last good revision is served).',
      registers,
      collect() {
        this.set(source.fetchFailing() ? 1 : 0);
      },
    });
    this.reconcileDuration = new Histogram({
      name: 'corral_reconcile_duration_seconds',
      help: 'Duration of reconcile passes: the coordinator (fetch, full check) and each stack pass.',
      labelNames: ['pass', 'result'],
      buckets: PASS_BUCKETS,
      registers,
    });
    this.dockerOperations = new Counter({
      name: 'corral_docker_operations_total',
      help: 'Operations of applied plans, by kind (CreateContainer, StopContainer, ...) and result (ok, failed, skipped).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.dockerApiDuration = new Histogram({
      name: 'corral_docker_api_request_duration_seconds',
      help: 'Docker API requests per host, until the answer starts (for streams: until the stream opens).',
      labelNames: ['host', 'request'],
      buckets: DOCKER_API_BUCKETS,
      registers,
    });
    this.dockerApiErrors = new Counter({
      name: 'corral_docker_api_errors_total',
      help: 'Docker API requests that failed, per host; reason is the HTTP status or the network error code.',
      labelNames: ['host', 'request', 'reason'],
      registers,
    });
    this.gitFetchDuration = new Histogram({
      name: 'corral_git_fetch_duration_seconds',
      help: 'Looking for a new revision of the repository, by result (changed, unchanged, failed).',
      labelNames: ['result'],
      buckets: FETCH_BUCKETS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'corral_webhook_deliveries_total',
      help: 'Push webhooks received, by provider (gitlab, github, unknown) and result (accepted, rejected, disabled, too_large).',
      labelNames: ['provider', 'result'],
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Times `body` as a pass of `kind` by `clock`; a body that throws counts as an error and rethrows. */
  async timePass<T>(kind: PassKind, body: () => Promise<T>, clock: Clock = systemClock): Promise<T> {
    const started = clock.now();
    const observe = (result: PassResult) => this.reconcileDuration.observe({ pass: kind, result }, (clock.now() - started) / 1000);
    try {
      const value = await body();
      observe('ok');
      return value;
    } catch (err) {
      observe('error');
      throw err;
    }
  }
}

/** State sets (one series per word, 1 for the current one) and per-service counts, read at scrape time. */
function stackGauges(source: MetricsSource, registers: Registry[]): void {
  const syncWords = Object.values(SyncStatus);
  const healthWords = Object.values(HealthStatus);
  new Gauge({
    name: 'corral_stack_sync',
    help: `Sync of each stack: 1 for its current status (${syncWords.join(', ')}), 0 for the others.`,
    labelNames: ['stack', 'status'],
    registers,
    collect() {
      this.reset();
      for (const stack of source.stacks())
        for (const word of syncWords) this.set({ stack: stack.name, status: word }, word === stack.sync ? 1 : 0);
    },
  });
  new Gauge({
    name: 'corral_stack_health',
    help: `Health of each stack: 1 for its current status (${healthWords.join(', ')}), 0 for the others.`,
    labelNames: ['stack', 'status'],
    registers,
    collect() {
      this.reset();
      for (const stack of source.stacks())
        for (const word of healthWords) this.set({ stack: stack.name, status: word }, word === stack.health ? 1 : 0);
    },
  });
  const perService = (name: string, help: string, count: (service: StackStatus['services'][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['stack', 'service'],
      registers,
      collect() {
        this.reset();
        for (const stack of source.stacks()) {
          for (const service of stack.services) {
            const value = count(service);
            if (value !== undefined) this.set({ stack: stack.name, service: service.name }, value);
          }
        }
      },
    });
  perService('corral_service_desired_containers', 'Containers each service should have.', (s) => s.desired);
  perService('corral_service_running_containers', 'Running containers of each service.', (s) => s.running);
  perService(
    'corral_service_healthy_containers',
    'Containers of each service that pass their health checks (without any check: that run without restarting).',
    (s) => s.healthy,
  );
  perService(
    'corral_service_unhealthy_containers',
    'Running containers of each service that fail their health checks, or restart.',
    (s) => s.unhealthy,
  );
  perService(
    'corral_service_starting_containers',
    'Running containers of each service that have not passed their health checks yet.',
    (s) => s.starting,
  );
  perService(
    'corral_service_unknown_containers',
    'Running containers of each service whose health checks cannot be run.',
    (s) => s.unknown,
  );
  new Gauge({
    name: 'corral_service_health',
    help: `Health of each service: 1 for its current status (${healthWords.join(', ')}), 0 for the others.`,
    labelNames: ['stack', 'service', 'status'],
    registers,
    collect() {
      this.reset();
      for (const stack of source.stacks())
        for (const service of stack.services)
          for (const word of healthWords)
            this.set({ stack: stack.name, service: service.name, status: word }, word === service.health ? 1 : 0);
    },
  });
}
