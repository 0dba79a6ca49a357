/**
 * Can every linking container reach what it links to? Pure: from the placements, the hosts'
 * network settings and the swarm view (which links a stack's services have is worked out once
 * per stack object, see linkChecksOf).
 *
 * A container on host A reaches a container on host B by name when A = B (the stack network
 * on one host, bridge or overlay), or when A and B are both overlay hosts in the swarm. A
 * service on the host's network (`net: host`) is reached at its host's address from anywhere
 * (its names are /etc/hosts entries, ./host-names.ts) and is not checked. A client whose target it cannot reach gets a `degraded` note, so that the
 * stack's health says why instead of a silent Healthy: `web on h1 cannot reach db on h3 (...)`.
 */
import { type DesiredStack, serviceNamed } from '../model/desired.js';
import type { ObservedHost } from '../model/observed.js';
import type { StackPlacement } from '../model/placement.js';
import { memoizedPerObject } from '../util/memo.js';
import { sortInPlace } from '../util/sort.js';
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

/** What one link of a client asks: a note that does not depend on hosts, a service of the stack, or another stack's service. */
type LinkCheck =
  | { kind: 'fixed'; note: PlanNote }
  | { kind: 'own'; target: string }
  | { kind: 'external'; link: ExternalLink; label: string };

/** A service on the stack network that links to something, with its links in the order they are checked. */
interface ClientLinks {
  client: string;
  checks: readonly LinkCheck[];
}

/** No notes, one list shared by every stack without any (never added to). */
export const NO_NOTES: readonly PlanNote[] = [];

export function reachabilityNotes(input: ReachInput): readonly PlanNote[] {
  const clients = linkChecksOf(input.stack);
  if (clients.length === 0) return NO_NOTES;
  const hostsOf = input.serviceHosts;
  const notes: PlanNote[] = [];
  for (const { client, checks } of clients) {
    const clientHosts = hostsOf.get(client) ?? [];
    if (clientHosts.length === 0) continue;
    for (const check of checks) {
      if (check.kind === 'fixed') {
        notes.push({ ...check.note });
        continue;
      }
      if (check.kind === 'own') {
        const note = unreachable(input, client, clientHosts, check.target, hostsOf.get(check.target) ?? []);
        if (note) notes.push(note);
        continue;
      }
      const { link, label } = check;
      if (input.otherOnHostNetwork(link.stack, link.service)) continue;
      const targetHosts = input.otherStackHosts(link.stack, link.service);
      if (targetHosts === undefined) {
        notes.push({ level: 'degraded', message: `${client} cannot reach ${label}: stack ${link.stack} is not deployed` });
        continue;
      }
      const note = unreachable(input, client, clientHosts, label, targetHosts);
      if (note) notes.push(note);
    }
  }
  return notes;
}

/** The links of each service on the stack network, in service name order; what the stack alone decides about them is decided here. */
const linkChecksOf = memoizedPerObject((stack: DesiredStack): readonly ClientLinks[] => {
  const clients: ClientLinks[] = [];
  for (const client of servicesByName(stack)) {
    if (!onStackNetwork(client)) continue;
    const checks: LinkCheck[] = [];
    for (const targetName of linkedServicesOf(client)) {
      const target = serviceNamed(stack, targetName);
      if (!target || onHostNetwork(target)) continue;
      if (onStackNetwork(target)) checks.push({ kind: 'own', target: targetName });
      else
        checks.push({
          kind: 'fixed',
          note: {
            level: 'warning',
            message: `${client.name} links to ${targetName}, which is not on the stack network (network_mode ${networkModeOf(target)}): its name does not resolve`,
          },
        });
    }
    for (const link of uniqueTargets(externalLinksOf(client, stack.name)))
      checks.push({ kind: 'external', link, label: `${link.stack}/${link.service}` });
    if (checks.length > 0) clients.push({ client: client.name, checks });
  }
  return clients;
});

function unreachable(
  input: ReachInput,
  client: string,
  clientHosts: readonly string[],
  target: string,
  targetHosts: readonly string[],
): PlanNote | undefined {
  if (targetHosts.length === 0) return undefined;
  let blocked: string[] | undefined;
  for (const from of clientHosts) if (!reachesAny(input, from, targetHosts)) (blocked ??= []).push(from);
  if (!blocked) return undefined;
  return {
    level: 'degraded',
    message: `${client} on ${blocked.join(', ')} cannot reach ${target} on ${inNameOrder(targetHosts).join(', ')} (${why(input, blocked, targetHosts)})`,
  };
}

function reachesAny(input: ReachInput, from: string, targets: readonly string[]): boolean {
  for (const to of targets) if (from === to || (input.swarm.members.has(from) && input.swarm.members.has(to))) return true;
  return false;
}

/** Why hosts do not share a network: the first one on bridge, or the first one outside the swarm. */
function why(input: ReachInput, blocked: readonly string[], targetHosts: readonly string[]): string {
  const bridge = distinct(blocked, targetHosts, (name) => input.hostByName(name)?.network !== 'overlay');
  if (bridge.length > 0)
    return `${inNameOrder(bridge).join(', ')} ${bridge.length === 1 ? 'uses' : 'use'} network: bridge, which does not span hosts`;
  const outside = distinct(blocked, targetHosts, (name) => !input.swarm.members.has(name));
  return `${inNameOrder(outside).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the swarm`;
}

/** The names of `first` then `second` that `keep` takes, each once, in the order met. */
function distinct(first: readonly string[], second: readonly string[], keep: (name: string) => boolean): string[] {
  if (first.length + second.length > SHORT) return [...new Set([...first, ...second])].filter(keep);
  const found: string[] = [];
  for (const list of [first, second]) for (const name of list) if (!found.includes(name) && keep(name)) found.push(name);
  return found;
}

/** Lists up to this long are searched instead of hashed. */
const SHORT = 16;

/**
 * The names sorted (as `sort()` sorts strings: by UTF-16 code units), without a copy or a sort
 * when they already are; a note sorts one or two lists of two to four.
 */
function inNameOrder(names: readonly string[]): readonly string[] {
  for (let at = 1; at < names.length; at++) {
    if ((names[at - 1] as string) <= (names[at] as string)) continue;
    return sortInPlace(names.slice());
  }
  return names;
}

function uniqueTargets(links: readonly ExternalLink[]): readonly ExternalLink[] {
  if (links.length < 2) return links;
  return links.filter((link, at) => links.findIndex((l) => l.stack === link.stack && l.service === link.service) === at);
}
