/**
 * Every status word corral shows, in one place: sync words (does the hosts' state match the
 * revision?) and health words (does the app work?), for stacks and services, and the health of
 * one container. Pure.
 */

export const SyncStatus = {
  Synced: 'Synced',
  OutOfSync: 'OutOfSync',
  Progressing: 'Progressing',
  Failed: 'Failed',
  /** An upgrade failed and the stack went back to the version it ran before. */
  RolledBack: 'RolledBack',
  /** Some of the stack is on a host that cannot be read: whether it matches the revision is not known. */
  Unknown: 'Unknown',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

export const HealthStatus = {
  /** Every desired container runs and passes its checks (or, without checks, runs and does not restart). */
  Healthy: 'Healthy',
  /** Nothing fails, but some containers have not passed their checks yet. */
  Initializing: 'Initializing',
  /** Some containers are healthy, but not all that are desired. */
  Degraded: 'Degraded',
  /** No container of a service is healthy, and some fail (or none runs). */
  Unhealthy: 'Unhealthy',
  /** The health cannot be told: checks cannot be run, or the stack is not rendered. */
  Unknown: 'Unknown',
} as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** Worst first: a stack is as healthy as its least healthy service. */
const HEALTH_ORDER: readonly HealthStatus[] = [
  HealthStatus.Unhealthy,
  HealthStatus.Degraded,
  HealthStatus.Unknown,
  HealthStatus.Initializing,
  HealthStatus.Healthy,
];

export function worstHealth(words: readonly HealthStatus[]): HealthStatus {
  return HEALTH_ORDER.find((word) => words.includes(word)) ?? HealthStatus.Healthy;
}

/** The health of one running container. */
export type ContainerHealthWord = 'healthy' | 'starting' | 'unhealthy' | 'unknown';

/** How many containers of a service are in each state. */
export interface HealthCounts {
  desired: number;
  running: number;
  healthy: number;
  unhealthy: number;
  starting: number;
  unknown: number;
}

/**
 * A service's health from its counts. Containers beyond the desired number (an old one not yet
 * removed) neither help nor hurt once `desired` are healthy.
 */
export function serviceHealth(counts: HealthCounts): HealthStatus {
  const { desired, running, healthy, unhealthy, starting, unknown } = counts;
  if (desired === 0 || (healthy >= desired && unhealthy === 0)) return HealthStatus.Healthy;
  if (healthy === 0 && (unhealthy > 0 || running === 0))
    return unknown > 0 && unhealthy === 0 ? HealthStatus.Unknown : HealthStatus.Unhealthy;
  if (unhealthy > 0 || healthy + starting + unknown < desired) return HealthStatus.Degraded;
  if (unknown > 0) return HealthStatus.Unknown;
  return HealthStatus.Initializing;
}
