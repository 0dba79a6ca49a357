/** allocate.ts against Cattle's allocator read plainly (every candidate tried, in order, on every round) on random fleets and rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObservedHost } from '../../src/model/observed.js';
import { type Allocation, allocate } from '../../src/schedule/allocate.js';
import type { UnitMember } from '../../src/schedule/container-index.js';
import { Fleet } from '../../src/schedule/fleet.js';
import type { Rule } from '../../src/schedule/match.js';
import { randomFrom } from '../fixtures/random.js';

/** A rule that a host passes when it is among `hosts` or not, as `wanted` says (as a constraint's rule does). */
function rule(text: string, hard: boolean, hosts: Set<number>, wanted: boolean): Rule {
  return { text, hard, passesUntouched: !wanted, passes: (host) => hosts.has(host) === wanted, touched: () => hosts };
}

/** Cattle's allocator: candidates fewest containers first (ties by host number), hard rules first, the closest candidate's first failing soft rule dropped until one passes all. */
function reference(rules: readonly Rule[], fleet: Fleet, counts: readonly number[]): Allocation {
  const candidates = fleet.hosts
    .filter((h) => h.reachable)
    .map((h) => h.id)
    .sort((a, b) => (counts[a] as number) - (counts[b] as number) || a - b);
  if (candidates.length === 0) return { failed: [] };
  let active = [...rules.filter((r) => r.hard), ...rules.filter((r) => !r.hard)];
  for (;;) {
    const winner = candidates.find((host) => active.every((r) => r.passes(host)));
    if (winner !== undefined) return winner;
    const failures = candidates.map((host) => ({ host, failed: active.filter((r) => !r.passes(host)) }));
    const hardOf = (f: { failed: Rule[] }) => f.failed.filter((r) => r.hard).length;
    // The earliest candidate with the fewest hard, then fewest, failures.
    const closest = failures.reduce((best, next) =>
      hardOf(next) < hardOf(best) || (hardOf(next) === hardOf(best) && next.failed.length < best.failed.length) ? next : best,
    );
    const soft = closest.failed.find((r) => !r.hard);
    if (!soft) return { failed: closest.failed, closest: fleet.host(closest.host).name };
    active = active.filter((r) => r !== soft);
  }
}

function randomFleet(random: () => number): { fleet: Fleet; counts: number[] } {
  const size = 1 + Math.floor(random() * (random() < 0.3 ? 40 : 8));
  const hosts: ObservedHost[] = Array.from({ length: size }, (_, i) => ({
    name: `h${String(i).padStart(2, '0')}`,
    address: `10.0.0.${i + 1}`,
    reachable: random() < 0.85,
    labels: {},
    containers: [],
    images: [],
    networks: [],
    volumes: [],
  }));
  const fleet = new Fleet(hosts, () => ({ containerLabelKeys: new Set(), containerNames: false }));
  const counts = hosts.map(() => 0);
  const member = { namePrefix: 'x-', labels: undefined } as unknown as UnitMember;
  for (let placed = Math.floor(random() * size * 2); placed > 0; placed--) {
    const host = Math.floor(random() * size);
    fleet.place(host, [member], placed);
    counts[host] = (counts[host] as number) + 1;
  }
  return { fleet, counts };
}

function randomRules(random: () => number, hosts: number): Rule[] {
  return Array.from({ length: Math.floor(random() * 5) }, (_, at) => {
    const touched = new Set<number>();
    const share = random() < 0.5 ? 0.05 : 0.5;
    for (let host = 0; host < hosts; host++) if (random() < share) touched.add(host);
    const hard = random() < 0.5;
    return rule(`r${at}${hard ? ' (hard)' : ''}`, hard, touched, random() < 0.5);
  });
}

test('allocate picks the host, or the closest host and its failed hard rules, of a plain reading of Cattle, on random fleets and rules', () => {
  const random = randomFrom(5);
  let unplaced = 0;
  let dropped = 0;
  for (let round = 0; round < 2000; round++) {
    const { fleet, counts } = randomFleet(random);
    const rules = randomRules(random, fleet.hosts.length);
    const expected = reference(rules, fleet, counts);
    assert.deepEqual(allocate(rules, fleet), expected, `round ${round}`);
    if (typeof expected !== 'number') unplaced++;
    else if (!rules.every((r) => r.passes(expected))) dropped++;
  }
  assert.ok(
    unplaced > 50 && dropped > 50,
    `the random cases place, drop soft rules and fail (${unplaced} unplaced, ${dropped} with a rule dropped)`,
  );
});
