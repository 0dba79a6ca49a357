/**
 * Can every linking container reach what it links to? Pure: from the placements, the hosts'
 * network settings and the swarm view.
 *
 * A container on host A reaches a container on host B by name when A = B (the stack network
 * on one host, bridge or overlay), or when A and B are both overlay hosts in the swarm. A
 * service on the host's network (`net: host`) is reached at its host's address from anywhere
 * and is not checked. A client whose target it cannot reach gets a `degraded` note, so that the
 * stack's health says why instead of a silent Healthy: `web on h1 cannot reach db on h3 (...)`.
 */
import type { DesiredService, DesiredStack } from '../model/desired.js';
import type { ObservedHost } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import { type ExternalLink, externalLinksOf, linkedServicesOf } from './networks.js';
import type { SwarmView } from './swarm.js';
import type { PlanNote } from './types.js';

/** Where another stack's services run, for external_links: their hosts, or undefined when the stack is not deployed. */
export type ServiceHostsOf = (stack: string, service: string) => readonly string[] | undefined;

export interface ReachInput {
  stack: DesiredStack;
  placement: StackPlacement;
  hostByName: (name: string) => ObservedHost | undefined;
  swarm: SwarmView;
  /** Hosts of another stack's service (its placement, or where its containers are). */
  otherStackHosts: ServiceHostsOf;
}

export function reachabilityNotes(input: ReachInput): PlanNote[] {
  const { stack } = input;
  const hostsOf = servicesHosts(stack, input.placement);
  const notes: PlanNote[] = [];
  for (const client of Object.values(stack.services).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!onStackNetwork(client)) continue;
    const clientHosts = hostsOf.get(client.name) ?? [];
    if (clientHosts.length === 0) continue;
    for (const targetName of linkedServicesOf(client)) {
      const target = stack.services[targetName];
      if (!target) continue;
      if (!onStackNetwork(target)) {
        notes.push({
          level: 'warning',
          message: `${client.name} links to ${targetName}, which is not on the stack network (network_mode ${String(target.compose['network_mode'] ?? target.compose['net'])}): its name does not resolve; reach it at its host's address`,
        });
        continue;
      }
      const note = unreachable(input, client.name, clientHosts, targetName, hostsOf.get(targetName) ?? []);
      if (note) notes.push(note);
    }
    for (const link of uniqueTargets(externalLinksOf(client, stack.name))) {
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

/** Service → the hosts of its deployment units (a sidekick runs where its primary runs). */
function servicesHosts(stack: DesiredStack, placement: StackPlacement): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const instance of placement.instances) {
    const primary = stack.services[instance.service];
    if (!primary) continue;
    for (const name of [primary.name, ...primary.sidekicks]) {
      const list = hosts.get(name) ?? [];
      if (!list.includes(instance.host)) list.push(instance.host);
      hosts.set(name, list);
    }
  }
  return hosts;
}

/** A service on the stack network: not on the host's network, not sharing another container's. */
function onStackNetwork(service: DesiredService): boolean {
  const mode = String(service.compose['network_mode'] ?? service.compose['net'] ?? '');
  return !['host', 'none', 'bridge'].includes(mode) && !/^(container|service):/.test(mode);
}

function uniqueTargets(links: ExternalLink[]): ExternalLink[] {
  return links.filter((link, at) => links.findIndex((l) => l.stack === link.stack && l.service === link.service) === at);
}
