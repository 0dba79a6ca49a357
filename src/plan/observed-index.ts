/**
 * The observed state indexed once per plan, so that planning a stack looks only at its own
 * containers and at the hosts it uses: live containers by stack, hosts by name, which hosts hold
 * a network, and per-host sets of volumes and images. Pure.
 */
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import { EMPTY_LIST } from '../util/lists.js';
import { stackNetworkName } from './container-spec.js';
import { normalizeImageRef } from './images.js';

/** What liveOf gives for a stack without containers: one frozen list. */

export class ObservedIndex {
  readonly unreachable: readonly ObservedHost[];
  /** Owned containers on reachable hosts, by stack, in host then container order. */
  private readonly liveByStack = new Map<string, ObservedContainer[]>();
  private readonly hostsByName: ReadonlyMap<string, ObservedHost>;
  /** Position of each host in the observation, so that per-host output keeps its order. */
  private readonly position = new Map<string, number>();
  /** Network name → reachable hosts that have it, in observation order. */
  private readonly networkHosts = new Map<string, ObservedHost[]>();
  /** Per host, what it has, made when first asked for (one lookup per question, not one per kind). */
  private readonly hostSets = new Map<ObservedHost, HostSets>();
  /** Image reference → normalized: a plan asks about the same few references for every container. */
  private readonly normalizedRefs = new Map<string, string>();
  private volumesByPrefix: Map<string, string[]> | undefined;

  constructor(private readonly observed: ObservedState) {
    this.hostsByName = new Map(observed.hosts.map((h) => [h.name, h]));
    this.unreachable = observed.hosts.filter((h) => !h.reachable);
    // A host's containers come mostly grouped by stack: the last stack's list is kept at hand.
    let lastStack: string | undefined;
    let lastList: ObservedContainer[] | undefined;
    for (let at = 0; at < observed.hosts.length; at++) {
      const host = observed.hosts[at] as ObservedHost;
      if (!this.position.has(host.name)) this.position.set(host.name, at);
      if (!host.reachable) continue;
      for (const container of host.containers) {
        const stack = container.owner?.stack;
        if (stack === undefined) continue;
        if (stack !== lastStack || !lastList) {
          lastStack = stack;
          lastList = this.liveByStack.get(stack);
          if (!lastList) this.liveByStack.set(stack, (lastList = []));
        }
        lastList.push(container);
      }
      for (const network of host.networks) {
        const hosts = this.networkHosts.get(network);
        if (!hosts) this.networkHosts.set(network, [host]);
        // A host can have two networks of one name: it is listed once.
        else if (hosts[hosts.length - 1] !== host) hosts.push(host);
      }
    }
  }

  host(name: string): ObservedHost | undefined {
    return this.hostsByName.get(name);
  }

  /** The hosts that answered, in observation order. */
  reachableHosts(): ObservedHost[] {
    return this.observed.hosts.filter((h) => h.reachable);
  }

  /** Names of the stacks that have containers or a network on a reachable host. */
  liveStacks(): string[] {
    const prefix = stackNetworkName('');
    const fromNetworks = [...this.networkHosts.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    return [...this.liveByStack.keys(), ...fromNetworks];
  }

  /** The stack's containers on reachable hosts. */
  liveOf(stack: string): readonly ObservedContainer[] {
    return this.liveByStack.get(stack) ?? EMPTY_LIST;
  }

  /** Reachable hosts that have the network, in observation order. */
  hostsWithNetwork(network: string): readonly ObservedHost[] {
    return this.networkHosts.get(network) ?? [];
  }

  /** The named hosts that exist, in observation order. */
  inObservedOrder(names: Iterable<string>): ObservedHost[] {
    // Positions are read once per name and sorted as numbers: a comparator reading two per comparison cost more than the rest.
    const positions: number[] = [];
    for (const name of names) {
      const at = this.position.get(name);
      if (at !== undefined) positions.push(at);
    }
    positions.sort((a, b) => a - b);
    return positions.map((at) => this.hostsByName.get((this.observed.hosts[at] as ObservedHost).name) as ObservedHost);
  }

  hasNetwork(host: ObservedHost, network: string): boolean {
    return this.setsOf(host).networks().has(network);
  }

  hasVolume(host: ObservedHost, volume: string): boolean {
    return this.setsOf(host).volumes().has(volume);
  }

  /** `redis` and `docker.io/library/redis:latest` are the same image. */
  hasImage(host: ObservedHost, ref: string): boolean {
    let normalized = this.normalizedRefs.get(ref);
    if (normalized === undefined) this.normalizedRefs.set(ref, (normalized = normalizeImageRef(ref)));
    return this.setsOf(host).images().has(normalized);
  }

  private setsOf(host: ObservedHost): HostSets {
    let sets = this.hostSets.get(host);
    if (!sets) this.hostSets.set(host, (sets = new HostSets(host)));
    return sets;
  }

  /** `<volume> on <host>` for every volume named `<stack>_…`, on any host, reachable or not. */
  volumesOf(stack: string): string[] {
    if (!this.volumesByPrefix) {
      const byPrefix = new Map<string, string[]>();
      for (const host of this.observed.hosts) {
        for (const volume of host.volumes) {
          for (const prefix of underscorePrefixes(volume)) append(byPrefix, prefix, `${volume} on ${host.name}`);
        }
      }
      this.volumesByPrefix = byPrefix;
    }
    return this.volumesByPrefix.get(stack) ?? [];
  }
}

/** `a_b_c` → `a`, `a_b`: every `p` for which the name starts with `p_`. */
function underscorePrefixes(name: string): string[] {
  const prefixes: string[] = [];
  for (let at = name.indexOf('_'); at !== -1; at = name.indexOf('_', at + 1)) prefixes.push(name.slice(0, at));
  return prefixes;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A host's networks, volumes and images as sets, each made when first asked for. */
class HostSets {
  private networkSet?: ReadonlySet<string>;
  private volumeSet?: ReadonlySet<string>;
  private imageSet?: ReadonlySet<string>;

  constructor(private readonly host: ObservedHost) {}

  networks(): ReadonlySet<string> {
    this.networkSet ??= new Set(this.host.networks);
    return this.networkSet;
  }

  volumes(): ReadonlySet<string> {
    this.volumeSet ??= new Set(this.host.volumes);
    return this.volumeSet;
  }

  images(): ReadonlySet<string> {
    this.imageSet ??= new Set(this.host.images.map(normalizeImageRef));
    return this.imageSet;
  }
}
