/**
 * The networks of a stack and the names its containers answer to. Pure (a service's external links
 * are remembered per service object).
 *
 * A stack's containers join one network: on a `network: bridge` host, the host-local bridge
 * `corral-<stack>`; on a `network: overlay` host, the swarm-scoped attachable overlay
 * `corral-<stack>_overlay`, one for the whole swarm (swarm names allow no dot). The two names
 * differ so that a host that switches from one to the other never has two networks of the same
 * name (Docker would pick either). Stack names are DNS labels (no `_`), so no stack's bridge
 * name can be another's overlay name.
 *
 * Names on the network (Rancher's DNS): every container answers to its service name,
 * `<service>.<stack>`, `<sidekick>.<primary>` and each alias a `links: [svc:alias]` of the
 * stack gives its service. `external_links: [<stack>/<service>[:alias]]` (or a `links` entry
 * naming another stack) makes the linking container join that stack's network too, with a
 * Docker link `<service>.<stack>:<alias>` that only this container resolves: the other stack's
 * containers are not changed, and no other container of either stack gains a way in.
 */
import { type DesiredService, type DesiredStack, linkTargets, serviceNamed } from '../model/desired.js';
import type { StackPlacement } from '../model/placement.js';
import { memoizedPerObject } from '../util/memo.js';
import { listItems } from '../util/values.js';

export type NetworkDriver = 'bridge' | 'overlay';

/** The host-local bridge network of a stack. */
export function stackNetworkName(stack: string): string {
  return `corral-${stack}`;
}

/** The swarm-scoped overlay network of a stack. */
export function overlayNetworkName(stack: string): string {
  return `corral-${stack}_overlay`;
}

/** Whether `name` is a stack's swarm-scoped overlay network, by corral's naming. */
export function isOverlayNetworkName(name: string): boolean {
  return name.startsWith('corral-') && name.endsWith('_overlay');
}

export function networkNameFor(stack: string, driver: NetworkDriver): string {
  return driver === 'overlay' ? overlayNetworkName(stack) : stackNetworkName(stack);
}

/** `<stack>/<service>[:alias]`, from external_links or a `links` entry that names another stack. */
export interface ExternalLink {
  stack: string;
  service: string;
  /** The name the linking container resolves; the service name when the link has no alias. */
  alias: string;
}

/** Links worked out per service object (a rendered service does not change), with the stack they were worked out for. */
const LINKS = new WeakMap<DesiredService, { ownStack: string; links: readonly ExternalLink[] }>();

/** Every link of the service to another stack, in the order written (its own stack's links excluded). */
export function externalLinksOf(service: DesiredService, ownStack: string): readonly ExternalLink[] {
  const known = LINKS.get(service);
  if (known?.ownStack === ownStack) return known.links;
  const links = parseExternalLinks(service, ownStack);
  LINKS.set(service, { ownStack, links });
  return links;
}

function parseExternalLinks(service: DesiredService, ownStack: string): ExternalLink[] {
  const entries = [...listItems(service.compose['external_links']), ...listItems(service.compose['links']).filter((l) => l.includes('/'))];
  const links: ExternalLink[] = [];
  for (const entry of entries) {
    const match = /^([a-z0-9][a-z0-9-]*)\/([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([A-Za-z0-9][A-Za-z0-9_.-]*))?$/.exec(entry);
    if (!match) continue;
    const [, stack = '', target = '', alias] = match;
    if (stack === ownStack) continue;
    if (!links.some((l) => l.stack === stack && l.service === target && l.alias === (alias ?? target)))
      links.push({ stack, service: target, alias: alias ?? target });
  }
  return links;
}

/** external_links entries that are not `<stack>/<service>[:alias]`, for a warning. */
export function malformedExternalLinks(service: DesiredService): string[] {
  return listItems(service.compose['external_links']).filter(
    (entry) => !/^[a-z0-9][a-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*(?::[A-Za-z0-9][A-Za-z0-9_.-]*)?$/.test(entry),
  );
}

/** Services of the same stack this service links to (`links: [db]`, `links: [db:database]`); remembered per service object. */
export const linkedServicesOf = memoizedPerObject((service: DesiredService): readonly string[] =>
  linkTargets(service).filter((name) => name !== ''),
);

/** A container's own aliases on its stack network. */
export function serviceAliases(stack: string, service: DesiredService, linkAliases: readonly string[]): string[] {
  // Each once, in this order; a handful, so looked for in the list (no set and spread per service spec).
  const aliases = [service.name, `${service.name}.${stack}`];
  if (!service.primary && linkAliases.length === 0) return aliases;
  if (service.primary) addOnce(aliases, `${service.name}.${service.primary}`);
  for (const alias of linkAliases) addOnce(aliases, alias);
  // A copy of its size: the list grown by push has room for 19, and every service spec keeps its aliases.
  return aliases.slice();
}

function addOnce(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

/** The Docker link that lets one container resolve `alias` to every container of another stack's service. */
export function externalLinkTarget(link: ExternalLink): string {
  return `${link.service}.${link.stack}:${link.alias}`;
}

/** The service's `network_mode` (or v1 `net`); '' when it sets none. */
export function networkModeOf(service: DesiredService): string {
  return String(service.compose['network_mode'] ?? service.compose['net'] ?? '');
}

/** A service on its host's network (`net: host`): reached at its host's address. */
export function onHostNetwork(service: DesiredService): boolean {
  return networkModeOf(service) === 'host';
}

/** A service on the stack network: not on the host's network, not sharing another container's. */
export function onStackNetwork(service: DesiredService): boolean {
  const mode = networkModeOf(service);
  return !['host', 'none', 'bridge'].includes(mode) && !/^(container|service):/.test(mode);
}

/** The services of a stack in name order; remembered per stack object. */
export const servicesByName = memoizedPerObject((stack: DesiredStack): readonly DesiredService[] =>
  Object.values(stack.services).sort((a, b) => a.name.localeCompare(b.name)),
);

/** Service → the hosts of its deployment units, in placement order (a sidekick runs where its primary runs). */
export function serviceHosts(stack: DesiredStack, placement: StackPlacement): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const instance of placement.instances) {
    const primary = serviceNamed(stack, instance.service);
    if (!primary) continue;
    // Once per instance of every stack: no list of the unit's members made each time.
    addHost(hosts, primary.name, instance.host);
    for (const sidekick of primary.sidekicks) addHost(hosts, sidekick, instance.host);
  }
  return hosts;
}

function addHost(hosts: Map<string, string[]>, service: string, host: string): void {
  const list = hosts.get(service);
  if (!list) hosts.set(service, [host]);
  else if (!list.includes(host)) list.push(host);
}
