/**
 * Health data shared by render (the rancher-compose `health_check` of a service), the
 * daemon's health monitor (probe state per container) and status (the words). Plain data.
 */

/** What to do with a container whose health check fails (rancher-compose `health_check.strategy`). */
export type HealthStrategy = 'recreate' | 'none' | 'recreateOnQuorum';

/** An HTTP check's request, from `request_line` (e.g. `GET "/healthz" "HTTP/1.0"`). */
export interface HttpRequestLine {
  method: string;
  path: string;
  version: string;
  /** Header lines smuggled into the version as `\r\n` (haproxy's trick, e.g. `HTTP/1.1\r\nHost: www`). */
  headers: string[];
}

/** A service's rancher-compose `health_check`, with Rancher's defaults filled in. Times in milliseconds. */
export interface HealthCheckSpec {
  port: number;
  /** Absent: a TCP connect check. */
  http?: HttpRequestLine;
  intervalMs: number;
  responseTimeoutMs: number;
  /** Consecutive successes that make a container healthy. */
  healthyThreshold: number;
  /** Consecutive failures that make a healthy container unhealthy. */
  unhealthyThreshold: number;
  /** A new container not healthy within this time is unhealthy. */
  initializingTimeoutMs: number;
  /** A container that was healthy and restarted, not healthy again within this time, is unhealthy. */
  reinitializingTimeoutMs: number;
  strategy: HealthStrategy;
  /** recreateOnQuorum: replace unhealthy containers only while at least this many of the service are healthy. */
  quorum?: number;
}

/** Where a probe of a container stands (one start of it): kept by the daemon, moved on by status/health-check.ts. */
export type ProbeStatus = 'initializing' | 'reinitializing' | 'healthy' | 'unhealthy';

export interface ProbeState {
  status: ProbeStatus;
  /** When this start of the container was first seen running (ms since the epoch); the (re)initializing timeout counts from here. */
  firstSeenMs: number;
  /** When `status` last changed. */
  sinceMs: number;
  /** Whether this container has been healthy before: a restart then reinitializes. */
  wasHealthy: boolean;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** The last probe's result, as a person reads it ("HTTP/1.0 500 Internal Server Error", "connection refused"). */
  lastResult?: string;
  lastProbeMs?: number;
  /** Set while the probe cannot be run at all (host or probe agent unreachable): the health is unknown, not bad. */
  unknown?: string;
}

/** One probe's outcome: the check passed, failed (the app's fault), or could not be run (not the app's fault). */
export type ProbeOutcome = { kind: 'pass'; detail: string } | { kind: 'fail'; detail: string } | { kind: 'unknown'; detail: string };

/**
 * One answer of a probe agent: what the check printed and how it ended; `gone` when the
 * container's network namespace no longer exists; `unreachable` when the probe could not be run.
 */
export type ProbeReply =
  | { kind: 'answer'; exitCode: number; timedOut: boolean; output: string }
  | { kind: 'gone' }
  | { kind: 'unreachable'; detail: string };

/** What the daemon knows of a running container beyond the container list (from `docker inspect`). */
export interface ContainerRuntime {
  /** When Docker last started it (ISO time). */
  startedAt: string;
  /** How often Docker's restart policy restarted it. */
  restartCount: number;
  /** The last output of a failing Docker HEALTHCHECK, when there is one. */
  dockerHealthOutput?: string;
}
