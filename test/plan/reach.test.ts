/** reach.ts against a plain reference (every service, link and host looked at afresh) on random stacks, placements and hosts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService, DesiredStack } from '../../src/model/desired.js';
import type { ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { externalLinksOf, linkedServicesOf, networkModeOf, onHostNetwork, onStackNetwork, serviceHosts } from '../../src/plan/networks.js';
import { type ReachInput, reachabilityNotes } from '../../src/plan/reach.js';
import { NO_SWARM } from '../../src/plan/swarm.js';
import type { PlanNote } from '../../src/plan/types.js';
import { desiredStack } from '../fixtures/desired.js';
import { randomFrom } from '../fixtures/random.js';

function referenceNotes(input: ReachInput): PlanNote[] {
  const { stack } = input;
  const notes: PlanNote[] = [];
  const reaches = (from: string, to: string) => from === to || (input.swarm.members.has(from) && input.swarm.members.has(to));
  const why = (hosts: string[]) => {
    const bridge = [...new Set(hosts)].filter((name) => input.hostByName(name)?.network !== 'overlay');
    if (bridge.length > 0)
      return `${bridge.sort().join(', ')} ${bridge.length === 1 ? 'uses' : 'use'} network: bridge, which does not span hosts`;
    const outside = [...new Set(hosts)].filter((name) => !input.swarm.members.has(name)).sort();
    return `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the swarm`;
  };
  const unreachable = (client: string, clientHosts: readonly string[], target: string, targetHosts: readonly string[]) => {
    if (targetHosts.length === 0) return;
    const blocked = clientHosts.filter((from) => !targetHosts.some((to) => reaches(from, to)));
    if (blocked.length === 0) return;
    notes.push({
      level: 'degraded',
      message: `${client} on ${blocked.join(', ')} cannot reach ${target} on ${[...targetHosts].sort().join(', ')} (${why([...blocked, ...targetHosts])})`,
    });
  };
  const clients = Object.values(stack.services).sort((a, b) => a.name.localeCompare(b.name));
  for (const client of clients) {
    if (!onStackNetwork(client)) continue;
    const clientHosts = input.serviceHosts.get(client.name) ?? [];
    if (clientHosts.length === 0) continue;
    for (const targetName of linkedServicesOf(client)) {
      const target = stack.services[targetName];
      if (!target || onHostNetwork(target)) continue;
      if (!onStackNetwork(target)) {
        notes.push({
          level: 'warning',
          message: `${client.name} links to ${targetName}, which is not on the stack network (network_mode ${networkModeOf(target)}): its name does not resolve`,
        });
        continue;
      }
      unreachable(client.name, clientHosts, targetName, input.serviceHosts.get(targetName) ?? []);
    }
    const links = externalLinksOf(client, stack.name);
    const unique = links.filter((link, at) => links.findIndex((l) => l.stack === link.stack && l.service === link.service) === at);
    for (const link of unique) {
      if (input.otherOnHostNetwork(link.stack, link.service)) continue;
      const label = `${link.stack}/${link.service}`;
      const targetHosts = input.otherStackHosts(link.stack, link.service);
      if (targetHosts === undefined) {
        notes.push({ level: 'degraded', message: `${client.name} cannot reach ${label}: stack ${link.stack} is not deployed` });
        continue;
      }
      unreachable(client.name, clientHosts, label, targetHosts);
    }
  }
  return notes;
}

function randomCase(random: () => number): ReachInput {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hostCount = 1 + Math.floor(random() * (random() < 0.2 ? 40 : 6));
  const hosts: ObservedHost[] = Array.from({ length: hostCount }, (_, i) => ({
    name: `h${String(Math.floor(random() * 100)).padStart(2, '0')}x${i}`,
    address: `10.0.0.${i + 1}`,
    reachable: true,
    labels: {},
    ...(random() < 0.5 ? { network: 'overlay' as const } : {}),
    containers: [],
    images: [],
    networks: [],
    volumes: [],
  }));
  const members = new Set(hosts.filter((h) => h.network === 'overlay' && random() < 0.8).map((h) => h.name));
  const names = ['api', 'db', 'web', 'cache', 'log'];
  const services: DesiredService[] = names
    .filter(() => random() < 0.8)
    .map((name) => {
      const links = names.filter(() => random() < 0.3).map((target) => (random() < 0.3 ? `${target}:alias` : target));
      if (random() < 0.3) links.push(`${pick(['other', 'gone', 'hostnet'])}/${pick(names)}`);
      const mode = pick(['', '', '', 'host', 'none', 'bridge', 'container:x']);
      return {
        name,
        compose: { image: 'x', labels: {}, environment: {}, links, ...(mode ? { network_mode: mode } : {}) },
        rancher: {},
        scale: 1,
        global: false,
        sidekicks: [],
      };
    });
  const stack: DesiredStack = desiredStack('s', services);
  const instances = services.flatMap((service) =>
    Array.from({ length: Math.floor(random() * (hostCount > 6 ? 30 : 4)) }, (_, i) => ({
      service: service.name,
      instance: i + 1,
      host: pick(hosts).name,
    })),
  );
  const placement: StackPlacement = { stack: 's', instances, errors: [], warnings: [] };
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const otherHosts = Array.from({ length: Math.floor(random() * 4) }, () => pick(hosts).name);
  return {
    stack,
    placement,
    serviceHosts: serviceHosts(stack, placement),
    hostByName: (name) => byName.get(name),
    swarm: { ...NO_SWARM, members },
    otherStackHosts: (other) => (other === 'gone' ? undefined : otherHosts),
    otherOnHostNetwork: (other) => other === 'hostnet',
  };
}

test('reachability notes are those of a plain check of every link, on random stacks and hosts', () => {
  const random = randomFrom(8);
  let notes = 0;
  for (let round = 0; round < 400; round++) {
    const input = randomCase(random);
    const expected = referenceNotes(input);
    assert.deepEqual(reachabilityNotes(input), expected, `round ${round}`);
    // A second plan of the same stack object (its links remembered) gives the same notes.
    assert.deepEqual(reachabilityNotes(input), expected, `round ${round}, again`);
    notes += expected.length;
  }
  assert.ok(notes > 400, `the random cases make notes (${notes})`);
});
