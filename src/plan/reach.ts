/**
 * Can every linking container reach what it links to? Pure: from the placements, the hosts'
 * network settings and the swarm view.
 *
 * A container on host A reaches a container on host B by name when A = B (the stack network
 * on one host, bridge or overlay), or when A and B are both overlay hosts in the swarm. A
 * service on the host's network (`net: host`) is reached at its host's address from anywhere
 * (its names are /etc/hosts entries, ./host-names.ts) and is not checked. A client whose target it cannot reach gets a `degraded` note, so that the
 * stack's health says why instead of a silent Healthy: `web on h1 cannot reach db on h3 (...)`.
 */
import type { DesiredStack } from '../model/desired.js';
import type { ObservedHost } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import {
  type ExternalLink,
  externalLinksOf,
  linkedServicesOf,
  networkModeOf,
  onHostNetwork,
  onStackNetwork,
  servicesByName,
} from './networks.js';
import type { SwarmView } from './swarm.js';
import type { PlanNote } from './types.js';

/** Where another stack's services run, for external_links: their hosts, or undefined when the stack is not deployed. */
export type ServiceHostsOf = (stack: string, service: string) => readonly string[] | undefined;

export interface ReachInput {
  stack: DesiredStack;
  placement: StackPlacement;
  /** Service → its hosts in the placement (networks.ts serviceHosts). */
  serviceHosts: ReadonlyMap<string, readonly string[]>;
  hostByName: (name: string) => ObservedHost | undefined;
  swarm: SwarmView;
  /** Hosts of another stack's service (its placement, or where its containers are). */
  otherStackHosts: ServiceHostsOf;
  /** Another stack's service is on its host's network (reached at its host's address from anywhere). */
  otherOnHostNetwork: (stack: string, service: string) => boolean;
}

export function reachabilityNotes(input: ReachInput): PlanNote[] {
  const { stack } = input;
  const hostsOf = input.serviceHosts;
  const notes: PlanNote[] = [];
  for (const client of servicesByName(stack)) {
    if (!onStackNetwork(client)) continue;
    const clientHosts = hostsOf.get(client.name) ?? [];
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
      const note = unreachable(input, client.name, clientHosts, targetName, hostsOf.get(targetName) ?? []);
      if (note) notes.push(note);
    }
    for (const link of uniqueTargets(externalLinksOf(client, stack.name))) {
      if (input.otherOnHostNetwork(link.stack, link.service)) continue;
      const label = `${link.stack}/${link.service}`;
      const targetHosts = input.otherStackHosts(link.stack, link.service);
      if (targetHosts === undefined) {
        notes.push({ level: 'degraded', message: `${client.name} cannot reach ${label}: stack ${link.stack} is not deployed` });
        continue;
      }
      const note = unreachable(input, client.name, clientHosts, label, targetHosts);
      if (note) notes.push(note);
    }
  }
  return notes;
}

function unreachable(
  input: ReachInput,
  client: string,
  clientHosts: readonly string[],
  target: string,
  targetHosts: readonly string[],
): PlanNote | undefined {
  if (targetHosts.length === 0) return undefined;
  const blocked = clientHosts.filter((from) => !targetHosts.some((to) => reaches(input, from, to)));
  if (blocked.length === 0) return undefined;
  return {
    level: 'degraded',
    message: `${client} on ${blocked.join(', ')} cannot reach ${target} on ${[...targetHosts].sort().join(', ')} (${why(input, [...blocked, ...targetHosts])})`,
  };
}

function reaches(input: ReachInput, from: string, to: string): boolean {
  return from === to || (input.swarm.members.has(from) && input.swarm.members.has(to));
}

/** Why hosts do not share a network: the first one on bridge, or the first one outside the swarm. */
function why(input: ReachInput, hosts: readonly string[]): string {
  const bridge = [...new Set(hosts)].filter((name) => input.hostByName(name)?.network !== 'overlay');
  if (bridge.length > 0)
    return `${bridge.sort().join(', ')} ${bridge.length === 1 ? 'uses' : 'use'} network: bridge, which does not span hosts`;
  const outside = [...new Set(hosts)].filter((name) => !input.swarm.members.has(name)).sort();
  return `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the swarm`;
}

function uniqueTargets(links: readonly ExternalLink[]): readonly ExternalLink[] {
  if (links.length < 2) return links;
  return links.filter((link, at) => links.findIndex((l) => l.stack === link.stack && l.service === link.service) === at);
}
