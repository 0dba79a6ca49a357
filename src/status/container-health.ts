/**
 * The health of one container, from every source corral has: the rancher-compose `health_check`
 * probe (kept by the daemon), Docker's own HEALTHCHECK, and, for a service with no check at all,
 * whether it runs without restarting. Pure: the time comes in as an argument.
 *
 * This is what an upgrade gate asks: "is this container healthy, and for how long has it been
 * running without a restart?" (`containerHealth(...).word` and `.runningForMs`).
 */
import type { DesiredService } from '../model/desired.js';
import type { ObservedContainer } from '../model/observed.js';
import type { ContainerHealthWord } from './words.js';

/**
 * Docker resets a container's restart back-off once it has run for 10 s; corral takes the same
 * 10 s to tell "restarted once and fine" from "restarting".
 */
export const RESTART_SETTLE_MS = 10_000;

export type HealthSource = 'health_check' | 'docker' | 'running';

export interface ContainerHealthReport {
  word: ContainerHealthWord;
  /** Why, for people: the last probe's result, Docker's check output, or the restart count. */
  detail: string;
  /** What the word comes from: the rancher-compose check, Docker's HEALTHCHECK, or running alone. */
  source: HealthSource;
  /** Since when it has run without a restart, when the daemon has inspected it. */
  runningForMs?: number;
  restartCount?: number;
}

const SEVERITY: Record<ContainerHealthWord, number> = { unhealthy: 3, unknown: 2, starting: 1, healthy: 0 };

/**
 * The health by its checks alone (no clock needed): the worse of the rancher-compose probe and
 * Docker's HEALTHCHECK; undefined when the container has no check. The plan uses it for strategies.
 */
export function checkedHealth(container: ObservedContainer, service: DesiredService | undefined): ContainerHealthReport | undefined {
  const reports = [probeReport(container, service), dockerReport(container)].filter((r): r is ContainerHealthReport => r !== undefined);
  return reports.sort((a, b) => SEVERITY[b.word] - SEVERITY[a.word])[0];
}

/**
 * An unhealthy container whose latest probe passed is on its way back (it needs healthy_threshold
 * passes in a row): a strategy does not replace it.
 */
export function isRecovering(container: ObservedContainer): boolean {
  const probe = container.probe;
  return probe !== undefined && probe.status === 'unhealthy' && probe.unknown === undefined && probe.consecutiveSuccesses > 0;
}

/** The health of a running (or restarting) container; undefined for one that is stopped. */
export function containerHealth(
  container: ObservedContainer,
  service: DesiredService | undefined,
  nowMs: number,
): ContainerHealthReport | undefined {
  if (container.state !== 'running' && container.state !== 'restarting') return undefined;
  const timing = runningTime(container, nowMs);
  if (container.state === 'restarting')
    return { word: 'unhealthy', detail: `restarting (${restartsText(container)})`, source: 'running', ...timing };
  const checked = checkedHealth(container, service);
  if (checked) return { ...checked, ...timing };
  const restartCount = container.runtime?.restartCount ?? 0;
  if (restartCount > 0 && timing.runningForMs !== undefined && timing.runningForMs < RESTART_SETTLE_MS)
    return {
      word: 'unhealthy',
      detail: `restarted by Docker (${restartsText(container)}), up ${Math.round(timing.runningForMs / 1000)} s`,
      source: 'running',
      ...timing,
    };
  return { word: 'healthy', detail: 'running', source: 'running', ...timing };
}

/** An upgrade gate's verdict on a new container. */
export interface GateVerdict {
  ready: boolean;
  detail: string;
}

/**
 * An upgrade gate's verdict: the new container is ready when healthy by its checks (health_check,
 * Docker's HEALTHCHECK); with no check at all, when it has run without a restart for `minReadyMs`.
 */
export function gateVerdict(
  container: ObservedContainer | undefined,
  service: DesiredService | undefined,
  minReadyMs: number,
  nowMs: number,
): GateVerdict {
  if (!container) return { ready: false, detail: 'not found' };
  const report = containerHealth(container, service, nowMs);
  if (!report) {
    const exit = container.exitCode === undefined ? '' : ` (exit code ${container.exitCode})`;
    return { ready: false, detail: `${container.state}${exit}` };
  }
  if (report.word !== 'healthy') return { ready: false, detail: `${report.word}: ${report.detail}` };
  if (report.source !== 'running') return { ready: true, detail: `healthy: ${report.detail}` };
  const runningFor = report.runningForMs ?? 0;
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  if (runningFor < minReadyMs) return { ready: false, detail: `running ${seconds(runningFor)} of min_ready ${seconds(minReadyMs)}` };
  return { ready: true, detail: `running ${seconds(runningFor)} without a restart` };
}

function probeReport(container: ObservedContainer, service: DesiredService | undefined): ContainerHealthReport | undefined {
  if (!service?.healthCheck) return undefined;
  const probe = container.probe;
  const source = 'health_check';
  if (!probe) return { word: 'unknown', detail: 'not probed yet (health_check probes run in the daemon, corral run)', source };
  if (probe.unknown !== undefined) return { word: 'unknown', detail: probe.unknown, source };
  const last = probe.lastResult ?? 'no probe answered yet';
  if (probe.status === 'healthy') return { word: 'healthy', detail: last, source };
  if (probe.status === 'unhealthy') return { word: 'unhealthy', detail: last, source };
  return { word: 'starting', detail: `${probe.status}: ${last}`, source };
}

function dockerReport(container: ObservedContainer): ContainerHealthReport | undefined {
  const source = 'docker';
  switch (container.health) {
    case 'healthy':
      return { word: 'healthy', detail: 'Docker HEALTHCHECK passes', source };
    case 'starting':
      return { word: 'starting', detail: 'Docker HEALTHCHECK starting', source };
    case 'unhealthy': {
      const output = container.runtime?.dockerHealthOutput;
      return { word: 'unhealthy', detail: `Docker HEALTHCHECK fails${output ? `: ${output}` : ''}`, source };
    }
    default:
      return undefined;
  }
}

function runningTime(container: ObservedContainer, nowMs: number): { runningForMs?: number; restartCount?: number } {
  const runtime = container.runtime;
  if (!runtime) return {};
  const started = Date.parse(runtime.startedAt);
  return {
    ...(Number.isNaN(started) ? {} : { runningForMs: Math.max(0, nowMs - started) }),
    restartCount: runtime.restartCount,
  };
}

function restartsText(container: ObservedContainer): string {
  const count = container.runtime?.restartCount;
  return count === undefined ? 'restart count unknown' : `${count} restart${count === 1 ? '' : 's'}`;
}
