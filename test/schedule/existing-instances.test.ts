/** existing-instances.ts against a plain reading of its rules (every copy listed, best first) on random fleets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holds, type KnownHosts } from '../../src/model/known-hosts.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import { ExistingInstances } from '../../src/schedule/existing-instances.js';
import { Fleet } from '../../src/schedule/fleet.js';
import { randomFrom } from '../fixtures/random.js';

const STACKS = ['a', 'b', 'c'];
const UNITS = ['db', 'web'];
const NOW = new Date('2026-11-30T12:00:00.000Z');
const GRACE_MS = 5 * 60_000;

interface Case {
  hosts: ObservedHost[];
  known: KnownHosts;
}

function randomCase(random: () => number): Case {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const container = (host: string): ObservedContainer => {
    const [stack, unit, instance] = [pick(STACKS), pick(UNITS), 1 + Math.floor(random() * 4)];
    const service = random() < 0.3 ? 'log' : unit;
    return {
      id: `${host}-${random()}`,
      name: `${stack}-${service}-${instance}`,
      host,
      image: 'x',
      labels: {},
      state: 'running',
      ports: [],
      owner: { stack, service, unit, instance, configHash: 'h' },
    };
  };
  const hosts: ObservedHost[] = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => {
    const name = `h${i}`;
    const containers = Array.from({ length: Math.floor(random() * 8) }, () => container(name));
    return { name, address: '', reachable: random() < 0.7, labels: {}, containers, images: [], networks: [], volumes: [] };
  });
  const known: Record<string, KnownHosts[string]> = {};
  for (const host of hosts) {
    if (random() < 0.3) continue;
    const units = () => {
      const byStack: Record<string, Record<string, number[]>> = {};
      for (let n = Math.floor(random() * 4); n > 0; n--)
        ((byStack[pick(STACKS)] ??= {})[pick(UNITS)] ??= []).push(1 + Math.floor(random() * 4));
      return byStack;
    };
    const lastSeen = new Date(NOW.getTime() - (random() < 0.5 ? 60_000 : 60 * 60_000)).toISOString();
    known[host.name] = { lastSeen, units: units(), replaced: random() < 0.5 ? units() : {} };
  }
  return { hosts, known };
}

/** Every copy of every number, in the order the header ranks them, and which of them stays, is lost or was replaced. */
function reference({ hosts, known }: Case): Map<string, [number, number][]> {
  const byName = [...hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const result = new Map<string, [number, number][]>();
  const claim = (kind: string, stack: string, unit: string, instance: number, host: number) => {
    const key = `${kind} ${stack} ${unit}`;
    const list = result.get(key) ?? [];
    if (!list.some(([number]) => number === instance)) list.push([instance, host]);
    result.set(key, list);
  };
  const replacedMarks = (name: string) => {
    const marks = known[name]?.replaced;
    return marks && Object.keys(marks).length > 0 ? marks : undefined;
  };
  const beyondGrace = (name: string) => {
    const seen = known[name]?.lastSeen;
    return seen !== undefined && NOW.getTime() - Date.parse(seen) > GRACE_MS;
  };
  byName.forEach((host, id) => {
    if (!host.reachable) return;
    const marks = replacedMarks(host.name);
    for (const { owner } of host.containers)
      if (owner && !(marks && holds(marks, owner.stack, owner.unit, owner.instance)))
        claim('of', owner.stack, owner.unit, owner.instance, id);
  });
  byName.forEach((host, id) => {
    const marks = replacedMarks(host.name);
    if (!host.reachable || !marks) return;
    for (const { owner } of host.containers) {
      if (!owner || !holds(marks, owner.stack, owner.unit, owner.instance)) continue;
      claim('of', owner.stack, owner.unit, owner.instance, id);
      claim('replacedOf', owner.stack, owner.unit, owner.instance, id);
    }
  });
  byName.forEach((host, id) => {
    if (host.reachable) return;
    const kind = beyondGrace(host.name) ? 'lostOf' : 'of';
    for (const { owner } of host.containers) if (owner) claim(kind, owner.stack, owner.unit, owner.instance, id);
    for (const [stack, units] of Object.entries(known[host.name]?.units ?? {}))
      for (const [unit, instances] of Object.entries(units)) for (const instance of instances) claim(kind, stack, unit, instance, id);
  });
  return result;
}

test('the copies that stay, are lost or were replaced are those of a plain reading of the rules, on random fleets', () => {
  const random = randomFrom(21);
  let copies = 0;
  for (let round = 0; round < 300; round++) {
    const input = randomCase(random);
    const fleet = new Fleet(input.hosts, () => ({ containerLabelKeys: new Set(), containerNames: false }));
    const existing = new ExistingInstances(fleet, { known: input.known, now: NOW, hostDownGraceMs: GRACE_MS });
    const expected = reference(input);
    // Asked unit by unit, stacks in any order, each twice (as placeScaled and movedAndReplaced do).
    for (const stack of [...STACKS, ...STACKS].reverse()) {
      for (const unit of UNITS) {
        for (const kind of ['of', 'lostOf', 'replacedOf'] as const) {
          const want = expected.get(`${kind} ${stack} ${unit}`) ?? [];
          assert.deepEqual([...existing[kind](stack, unit)], want, `round ${round}: ${kind}(${stack}, ${unit})`);
          copies += want.length;
        }
      }
    }
  }
  assert.ok(copies > 1000, `the random fleets hold copies (${copies})`);
});
