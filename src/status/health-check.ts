/**
 * The rancher-compose `health_check` as Rancher ran it, as a state machine over probe results.
 * Pure: the daemon's health monitor keeps one ProbeState per container start and feeds it
 * probe outcomes and the time; nothing here reads a clock or does I/O.
 *
 *   initializing ──healthy_threshold passes──▶ healthy ──unhealthy_threshold failures──▶ unhealthy
 *        │                                        ▲                                        │
 *        └──not healthy within initializing_timeout──▶ unhealthy ◀──────────────────────────┘
 *   a restart of a container that was healthy: reinitializing (reinitializing_timeout)
 *
 * A probe that cannot be run (host or probe agent unreachable, container gone) leaves the counts
 * alone and makes the health unknown: it never counts against the app, and no timeout fires
 * while it lasts.
 */
import type { HealthCheckSpec, ProbeOutcome, ProbeReply, ProbeState, ProbeStatus } from '../model/health.js';

/** A container start seen for the first time. */
export function startProbe(nowMs: number, wasHealthy = false): ProbeState {
  const status: ProbeStatus = wasHealthy ? 'reinitializing' : 'initializing';
  return { status, firstSeenMs: nowMs, sinceMs: nowMs, wasHealthy, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}

/** The same container started again (Docker's restart policy, or a start by hand). */
export function restartProbe(state: ProbeState, nowMs: number): ProbeState {
  return startProbe(nowMs, state.wasHealthy || state.status === 'healthy');
}

export function recordProbe(state: ProbeState, spec: HealthCheckSpec, outcome: ProbeOutcome, nowMs: number): ProbeState {
  const { unknown: _unknown, ...known } = state;
  if (outcome.kind === 'unknown') return { ...state, unknown: outcome.detail, lastProbeMs: nowMs };
  const base = { ...known, lastResult: outcome.detail, lastProbeMs: nowMs };
  if (outcome.kind === 'pass') {
    const next = { ...base, consecutiveSuccesses: state.consecutiveSuccesses + 1, consecutiveFailures: 0 };
    return next.status !== 'healthy' && next.consecutiveSuccesses >= spec.healthyThreshold ? moveTo(next, 'healthy', nowMs) : next;
  }
  const next = { ...base, consecutiveSuccesses: 0, consecutiveFailures: state.consecutiveFailures + 1 };
  if (next.status === 'healthy' && next.consecutiveFailures >= spec.unhealthyThreshold) return moveTo(next, 'unhealthy', nowMs);
  return checkTimeouts(next, spec, nowMs);
}

/** A (re)initializing container that is not healthy in time is unhealthy; not while its probe cannot be run. */
export function checkTimeouts(state: ProbeState, spec: HealthCheckSpec, nowMs: number): ProbeState {
  if (state.unknown !== undefined) return state;
  const timeoutMs = timeoutOf(state.status, spec);
  if (timeoutMs === undefined || nowMs - state.firstSeenMs < timeoutMs) return state;
  const setting = state.status === 'initializing' ? 'initializing_timeout' : 'reinitializing_timeout';
  const last = state.lastResult ? `; last probe: ${state.lastResult}` : '; no probe answered';
  return { ...moveTo(state, 'unhealthy', nowMs), lastResult: `not healthy within ${setting} (${timeoutMs} ms)${last}` };
}

function timeoutOf(status: ProbeStatus, spec: HealthCheckSpec): number | undefined {
  if (status === 'initializing') return spec.initializingTimeoutMs;
  if (status === 'reinitializing') return spec.reinitializingTimeoutMs;
  return undefined;
}

function moveTo(state: ProbeState, status: ProbeStatus, nowMs: number): ProbeState {
  return { ...state, status, sinceMs: nowMs, wasHealthy: state.wasHealthy || status === 'healthy' };
}

/**
 * One answer of the probe agent (see observe/probe-agent.ts) → an outcome. A TCP check passes when
 * the port accepts a connection; an HTTP check when the status line says 2xx or 3xx, as haproxy's
 * httpchk did. `gone`: the container's network namespace is gone (it stopped or restarted).
 */
export function interpretProbe(reply: ProbeReply, spec: HealthCheckSpec): ProbeOutcome {
  if (reply.kind === 'gone') return { kind: 'unknown', detail: 'the container is not running' };
  if (reply.kind === 'unreachable') return { kind: 'unknown', detail: reply.detail };
  const output = tidy(reply.output);
  const noAnswer = `no answer on port ${spec.port} within ${spec.responseTimeoutMs} ms`;
  if (reply.timedOut) return { kind: 'fail', detail: output && !spec.http ? output : noAnswer };
  if (!spec.http) {
    return reply.exitCode === 0
      ? { kind: 'pass', detail: `port ${spec.port} accepts connections` }
      : { kind: 'fail', detail: connectProblem(output, spec.port) };
  }
  const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/.exec(output);
  if (!status)
    return { kind: 'fail', detail: output ? connectProblem(output, spec.port) : `port ${spec.port} closed without an HTTP answer` };
  const code = Number(status[1]);
  return code >= 200 && code < 400 ? { kind: 'pass', detail: output } : { kind: 'fail', detail: output };
}

/** `nc: can't connect to remote host (172.20.0.2): Connection refused` → `port 80: connection refused`. */
function connectProblem(output: string, port: number): string {
  const reason = /:\s*([^:]+)$/.exec(output)?.[1]?.trim();
  if (/^nc: /.test(output) && reason) return `port ${port}: ${reason.toLowerCase()}`;
  return output || `port ${port}: connection failed`;
}

/** The first line, printable characters only, at most 160 of them: it goes into causes and logs. */
function tidy(output: string): string {
  const line = output.split(/\r?\n/)[0] ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return line.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 160);
}
