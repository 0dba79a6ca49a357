/**
 * Picking one host for one deployment unit instance, as Cattle's allocator did
 * (AbstractAllocator.doAllocate): candidates in order (fewest containers first, ties in
 * name order), the first passing every rule wins; otherwise take the candidate that fails the
 * fewest hard, then soft, rules, drop the first soft rule it fails and try again; when it fails
 * only hard rules, give up and report them. Pure.
 *
 * The answer is Cattle's, but found without trying every host: a host no rule touches passes
 * or fails exactly the rules that pass or fail untouched, so one such host (the first in order)
 * stands for all of them, and only the hosts the rules touch are looked at one by one.
 */
import type { Fleet } from './fleet.js';
import type { HostSet, Rule } from './match.js';

/** No host for the instance: `failed` is empty when there was no reachable host at all. */
export interface Unplaced {
  failed: Rule[];
  closest?: string;
}

/** The host picked, or why none was. */
export type Allocation = number | Unplaced;

/**
 * When a rule that fails untouched hosts touches fewer than 1/SCAN_SHARE of the candidates,
 * its hosts are checked one by one; otherwise the candidates are walked in order, which stops
 * at the first host that passes.
 */
const SCAN_SHARE = 8;

export function allocate(rules: readonly Rule[], fleet: Fleet): Allocation {
  if (fleet.order.size === 0) return { failed: [] };
  // Hard rules first, as Cattle sorted them, so "the first failing soft rule" follows label order.
  let active = hardFirst(rules) ? rules : [...rules.filter((r) => r.hard), ...rules.filter((r) => !r.hard)];
  for (;;) {
    const winner = firstPassing(active, fleet);
    if (winner !== undefined) return winner;
    const closest = closestHost(active, fleet);
    const softRule = closest.failed.find((rule) => !rule.hard);
    if (!softRule) return { failed: closest.failed, closest: fleet.host(closest.host).name };
    active = active.filter((rule) => rule !== softRule);
  }
}

/** Whether no soft rule comes before a hard one. */
function hardFirst(rules: readonly Rule[]): boolean {
  for (let at = 1; at < rules.length; at++) if ((rules[at] as Rule).hard && !(rules[at - 1] as Rule).hard) return false;
  return true;
}

/** The first candidate, in order, passing every rule. */
function firstPassing(rules: readonly Rule[], fleet: Fleet): number | undefined {
  // A host passing a rule that fails untouched hosts is one of that rule's touched hosts.
  let narrowest: HostSet | undefined;
  for (const rule of rules) {
    if (rule.passesUntouched) continue;
    const hosts = rule.touched();
    if (narrowest === undefined || hosts.size < narrowest.size) narrowest = hosts;
  }
  if (narrowest === undefined || narrowest.size * SCAN_SHARE >= fleet.order.size) return fleet.order.first(passesAll, rules);
  let winner: number | undefined;
  for (const host of narrowest.keys()) {
    if (!fleet.order.includes(host) || !passesAll(host, rules)) continue;
    if (winner === undefined || fleet.order.before(host, winner)) winner = host;
  }
  return winner;
}

function passesAll(host: number, rules: readonly Rule[]): boolean {
  for (const rule of rules) if (!rule.passes(host)) return false;
  return true;
}

/** How many rules a candidate fails. */
interface Attempt {
  host: number;
  hardFailures: number;
  failures: number;
}

/**
 * The candidate failing the fewest hard rules, then the fewest rules; the earlier candidate on a
 * tie (a strict order, so the candidates may come in any order, and twice). Only the closest
 * one's failed rules are listed.
 */
function closestHost(rules: readonly Rule[], fleet: Fleet): { host: number; failed: Rule[] } {
  let best: Attempt | undefined;
  for (let at = 0; at < rules.length; at++) {
    for (const host of (rules[at] as Rule).touched().keys()) {
      if (!fleet.order.includes(host) || touchedBefore(rules, at, host)) continue;
      const next = attempt(rules, host);
      if (best === undefined || closer(next, best, fleet)) best = next;
    }
  }
  const untouched = fleet.order.first(touchedByNone, rules);
  if (untouched !== undefined) {
    const next = attempt(rules, untouched);
    if (best === undefined || closer(next, best, fleet)) best = next;
  }
  if (best === undefined) throw new Error('no candidate host');
  const host = best.host;
  return { host, failed: rules.filter((rule) => !rule.passes(host)) };
}

/** Whether one of the first `count` rules touches the host (which was scored with that rule). */
function touchedBefore(rules: readonly Rule[], count: number, host: number): boolean {
  for (let at = 0; at < count; at++) if ((rules[at] as Rule).touched().has(host)) return true;
  return false;
}

function touchedByNone(host: number, rules: readonly Rule[]): boolean {
  for (const rule of rules) if (rule.touched().has(host)) return false;
  return true;
}

function attempt(rules: readonly Rule[], host: number): Attempt {
  let hardFailures = 0;
  let failures = 0;
  for (const rule of rules) {
    if (rule.passes(host)) continue;
    failures++;
    if (rule.hard) hardFailures++;
  }
  return { host, hardFailures, failures };
}

function closer(a: Attempt, b: Attempt, fleet: Fleet): boolean {
  if (a.hardFailures !== b.hardFailures) return a.hardFailures < b.hardFailures;
  if (a.failures !== b.failures) return a.failures < b.failures;
  return fleet.order.before(a.host, b.host);
}
