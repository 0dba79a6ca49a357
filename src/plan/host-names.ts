/**
 * The names of `net: host` services, as /etc/hosts entries of the containers that reach them.
 * Pure: from the stack, its placement and the hosts' addresses.
 *
 * Rancher's DNS answered a host-network service's names with its host's address. Docker's
 * embedded DNS names only containers on a network, so corral writes those names into the
 * /etc/hosts of the containers on the stack network (Docker's ExtraHosts), one line per host
 * the service runs on, in placement order:
 * - every such container of the stack: the service name, `<service>.<stack>`,
 *   `<sidekick>.<primary>` and each alias a `links:` entry of the stack gives it;
 * - a container with `external_links: [<stack>/<service>[:alias]]` naming another stack's
 *   host-network service: the alias and `<service>.<stack>`.
 * The entries are part of the container's config hash: when the service moves to another host,
 * the containers naming it are replaced. A host whose `address:` is not an IP address that a
 * container can reach (a DNS name, a loopback address) gives no entry, with a warning.
 */
import type { DesiredStack } from '../model/desired.js';
import type { StackPlacement } from '../model/placement.js';
import { memoizedPerObject } from '../util/memo.js';
import { externalLinksOf, onHostNetwork, onStackNetwork, serviceAliases, servicesByName } from './networks.js';

export interface HostNamesInput {
  stack: DesiredStack;
  placement: StackPlacement;
  /** Service → its hosts in the placement (networks.ts serviceHosts). */
  serviceHosts: ReadonlyMap<string, readonly string[]>;
  /** Service → the aliases `links: [svc:alias]` of the stack give it. */
  linkAliases: ReadonlyMap<string, readonly string[]>;
  /** The host's configured `address:`; undefined for a host corral does not know. */
  addressOf: (host: string) => string | undefined;
  /** Another stack's service that is on its host's network: the hosts it runs on; undefined for any other service. */
  otherHostService: (stack: string, service: string) => readonly string[] | undefined;
}

export interface HostNames {
  /** Service on the stack network → its `name:address` entries (none: not in the map). */
  byService: ReadonlyMap<string, readonly string[]>;
  warnings: readonly string[];
}

export function hostNetworkNames(input: HostNamesInput): HostNames {
  const { stack } = input;
  if (!mayNameHostServices(stack)) return NO_HOST_NAMES;
  const warnings: string[] = [];
  const hostsOf = input.serviceHosts;
  const own: string[] = [];
  for (const service of servicesByName(stack)) {
    if (!onHostNetwork(service)) continue;
    const names = serviceAliases(stack.name, service, input.linkAliases.get(service.name) ?? []);
    own.push(...entries(names, hostsOf.get(service.name) ?? [], input, service.name, warnings));
  }
  const byService = new Map<string, string[]>();
  for (const service of Object.values(stack.services)) {
    if (!onStackNetwork(service)) continue;
    const external = externalLinksOf(service, stack.name).flatMap((link) => {
      const hosts = input.otherHostService(link.stack, link.service);
      if (hosts === undefined) return [];
      const names = [...new Set([link.alias, `${link.service}.${link.stack}`])];
      return entries(names, hosts, input, `${link.stack}/${link.service}`, warnings);
    });
    const all = [...new Set([...own, ...external])];
    if (all.length > 0) byService.set(service.name, all);
  }
  return { byService, warnings: [...new Set(warnings)] };
}

const NO_HOST_NAMES: HostNames = { byService: new Map(), warnings: [] };

/** The stack has a host-network service, or links to another stack's services (which may be one); remembered per stack object. */
const mayNameHostServices = memoizedPerObject((stack: DesiredStack) =>
  Object.values(stack.services).some((service) => onHostNetwork(service) || externalLinksOf(service, stack.name).length > 0),
);

/** `name:address` for each name and each host with a usable address; a warning for each host without one. */
function entries(names: readonly string[], hosts: readonly string[], input: HostNamesInput, label: string, warnings: string[]): string[] {
  const addresses: string[] = [];
  for (const host of hosts) {
    const address = input.addressOf(host);
    const problem = addressProblem(address);
    if (problem) {
      warnings.push(
        `${label} is on the host network of ${host}, whose address ${JSON.stringify(address ?? '')} ${problem}: its name does not resolve there; set the host's address: to an IP address containers reach it at`,
      );
      continue;
    }
    if (address && !addresses.includes(address)) addresses.push(address);
  }
  return names.flatMap((name) => addresses.map((address) => `${name}:${address}`));
}

function addressProblem(address: string | undefined): string | undefined {
  if (!address) return 'is not known';
  if (isIpv4(address)) return address.startsWith('127.') ? 'is a loopback address' : undefined;
  if (isIpv6(address)) return address === '::1' ? 'is a loopback address' : undefined;
  return 'is not an IP address';
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(text: string): boolean {
  return text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text);
}
