/**
 * Picking one host for one deployment unit instance, as Cattle's allocator did
 * (AbstractAllocator.doAllocate): candidates in order, the first passing every
 * rule wins; otherwise take the candidate that fails the fewest hard, then soft,
 * rules, drop the first soft rule it fails and try again; when it fails only hard
 * rules, give up and report them.
 */
import type { HostView, Rule } from './match.js';

export type Allocation =
  | { host: HostView }
  /** `failed` is empty when there was no reachable host at all. */
  | { failed: Rule[]; closest?: string };

/** Reachable hosts, fewest containers first; ties in host name order. */
export function candidateHosts(hosts: readonly HostView[]): HostView[] {
  return hosts.filter((host) => host.reachable).sort((a, b) => a.containers.length - b.containers.length || compareNames(a.name, b.name));
}

export function allocate(rules: readonly Rule[], hosts: readonly HostView[]): Allocation {
  const candidates = candidateHosts(hosts);
  if (candidates.length === 0) return { failed: [] };
  // Hard rules first, as Cattle sorted them, so "the first failing soft rule" follows label order.
  let active = [...rules.filter((r) => r.hard), ...rules.filter((r) => !r.hard)];
  for (;;) {
    const attempts = candidates.map((host) => ({ host, failed: active.filter((rule) => !rule.passes(host)) }));
    const winner = attempts.find((attempt) => attempt.failed.length === 0);
    if (winner) return { host: winner.host };
    const closest = closestAttempt(attempts);
    const softRule = closest.failed.find((rule) => !rule.hard);
    if (!softRule) return { failed: closest.failed, closest: closest.host.name };
    active = active.filter((rule) => rule !== softRule);
  }
}

/** The candidate failing the fewest hard rules, then the fewest soft ones; the earlier candidate on a tie. */
function closestAttempt<T extends { failed: Rule[] }>(attempts: readonly T[]): T {
  const score = (attempt: T) => [attempt.failed.filter((r) => r.hard).length, attempt.failed.length] as const;
  return attempts.reduce((best, attempt) => {
    const [hard, all] = score(attempt);
    const [bestHard, bestAll] = score(best);
    return hard < bestHard || (hard === bestHard && all < bestAll) ? attempt : best;
  });
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
