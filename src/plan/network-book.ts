/**
 * The networks of one plan, across its stacks. Pure.
 *
 * - Creating: a stack's network, or another stack's network a container joins for its
 *   external_links, is created once per plan (a host bridge on its host, an overlay through the
 *   swarm manager) and every operation that needs it depends on that one creation.
 * - Removing: a network whose stack no longer uses it is removed only after every container
 *   attached to it is removed, its own stack's and other stacks' (external_links) alike. These
 *   decisions wait until every stack is planned, so that another stack's removals (or a new
 *   container of another stack joining it) are known; a network still used is kept.
 */
import { CorralLabel } from '../model/labels.js';
import type { ObservedContainer } from '../model/observed.js';
import { EMPTY_LIST } from '../util/lists.js';
import { appendTo } from '../util/records.js';
import type { NetworkDriver } from './networks.js';
import type { ObservedIndex } from './observed-index.js';
import { NO_DEPENDENCIES, type Operations } from './operations.js';
import type { SwarmView } from './swarm.js';
import type { NetworkSpec, Operation, PlanNote } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An operation to add: its id is given when it is added (or made with it, Operations.nextId). */
export type NewOperation = DistributiveOmit<Operation, 'id'> & { id?: string };
export type AddOperation = (op: NewOperation) => string;
/** Where the book adds the networks it creates (Operations). */
type NumberedOperations = Pick<Operations, 'add' | 'nextId'>;

/** Where a network lives: one host for a bridge, the whole swarm for an overlay. */
export interface NetworkPlace {
  driver: NetworkDriver;
  /** The host of a bridge network. */
  host?: string;
  name: string;
}

interface RemovalCandidate {
  stack: string;
  place: NetworkPlace;
  /** The host the removal runs on: the bridge's host or the swarm manager. */
  host: string;
  dependsOn: string[];
  cause: string;
  notes: PlanNote[];
  stackRemoved: boolean;
}

/** Up to this many hosts a bridge network's hosts are scanned in a list; beyond, a map by host is made. */
const FEW_HOSTS = 8;

/**
 * One bridge network name across the plan: the hosts where a container is planned on it, and
 * the operation creating it on each host. A stack's network is on a handful of hosts: they are
 * kept in short parallel lists (a map by host once there are more than FEW_HOSTS, as for a global
 * service), so that the plan makes one record per network instead of growing a set per host.
 */
class BridgeHosts {
  /**
   * The body of every create of this network, frozen: the same on every host (its name and owner),
   * so a stack's creates on its five hosts, or a global service's on hundreds, share one. Nothing
   * reads it to change it (apply sends a copy).
   */
  spec: NetworkSpec | undefined;
  private readonly hosts: string[] = [];
  /** Per host (same position): whether a container is planned on it, and the operation creating the network there. */
  private readonly planned: boolean[] = [];
  private readonly created: (string | undefined)[] = [];
  private positions: Map<string, number> | undefined;

  use(host: string): void {
    this.planned[this.positionOf(host, true)] = true;
  }

  plans(host: string): boolean {
    const at = this.positionOf(host, false);
    return at >= 0 && this.planned[at] === true;
  }

  createdOn(host: string): string | undefined {
    const at = this.positionOf(host, false);
    return at >= 0 ? this.created[at] : undefined;
  }

  setCreated(host: string, id: string): void {
    this.created[this.positionOf(host, true)] = id;
  }

  /** The host's position in the lists; -1 when absent, unless `add`. */
  private positionOf(host: string, add: boolean): number {
    const at = this.positions ? (this.positions.get(host) ?? -1) : this.hosts.indexOf(host);
    if (at >= 0 || !add) return at;
    const added = this.hosts.length;
    this.hosts.push(host);
    this.planned.push(false);
    this.created.push(undefined);
    if (this.positions) this.positions.set(host, added);
    else if (added >= FEW_HOSTS) this.positions = new Map(this.hosts.map((name, position) => [name, position]));
    return added;
  }
}

export class NetworkBook {
  /** Overlays: the operation creating each in this plan, and those a container is planned to use, by name. */
  private readonly createdOverlays = new Map<string, string>();
  private readonly plannedOverlays = new Set<string>();
  /** Bridges by name, each with its hosts (no key string made per host and network). */
  private readonly bridges = new Map<string, BridgeHosts>();
  /**
   * The bridge looked up last: a stack asks for its own network once per unit and once per host
   * in a row, and a lookup in a map of every stack's network costs more than comparing one name.
   */
  private lastBridgeName: string | undefined;
  private lastBridge: BridgeHosts | undefined;
  private readonly candidates: RemovalCandidate[] = [];
  /** The containers observed attached to each network, built when first needed. */
  private attached: AttachedContainers | undefined;

  constructor(
    private readonly index: ObservedIndex,
    readonly swarm: SwarmView,
  ) {}

  /** Whether the network exists now (an overlay in the swarm, a bridge on its host). */
  exists(place: NetworkPlace): boolean {
    if (place.driver === 'overlay') return this.swarm.networks.has(place.name);
    return place.host !== undefined && this.bridgeExists(place.host, place.name);
  }

  private bridgeExists(hostName: string, name: string): boolean {
    const host = this.index.host(hostName);
    // An empty host (a cold plan's every host) has no network to look for.
    return host !== undefined && host.networks.length > 0 && this.index.hasNetwork(host, name);
  }

  /**
   * The id of the operation creating the network in this plan, adding it when the network is
   * missing; undefined when it exists (or no manager can create an overlay: the plan gates that).
   */
  ensure(place: NetworkPlace, owner: string, forStack: string, cause: string, ops: NumberedOperations): string | undefined {
    if (place.driver === 'overlay') return this.ensureOverlay(place, owner, forStack, cause, ops);
    return this.ensureBridge(place.host ?? '', place.name, owner, forStack, cause, ops);
  }

  /** ensure for the bridge `name` on `host`, without a place made for it (once per host of every stack a plan creates). */
  ensureBridge(host: string, name: string, owner: string, forStack: string, cause: string, ops: NumberedOperations): string | undefined {
    const bridge = this.bridge(name);
    const known = bridge.createdOn(host);
    if (known) return known;
    if (this.bridgeExists(host, name)) return undefined;
    if (bridge.spec?.Labels[CorralLabel.stack] !== owner)
      bridge.spec = frozenNetworkSpec({ Name: name, Driver: 'bridge', Labels: networkLabels(owner) });
    const id = addNetworkCreate(host, bridge.spec, forStack, cause, ops);
    bridge.setCreated(host, id);
    return id;
  }

  private ensureOverlay(place: NetworkPlace, owner: string, forStack: string, cause: string, ops: NumberedOperations): string | undefined {
    const known = this.createdOverlays.get(place.name);
    if (known) return known;
    if (this.exists(place)) return undefined;
    const host = this.swarm.manager?.name;
    if (host === undefined) return undefined;
    const network: NetworkSpec = { Name: place.name, Driver: 'overlay', Attachable: true, Labels: networkLabels(owner) };
    const id = addNetworkCreate(host, network, forStack, cause, ops);
    this.createdOverlays.set(place.name, id);
    return id;
  }

  private bridge(name: string): BridgeHosts {
    if (name === this.lastBridgeName && this.lastBridge) return this.lastBridge;
    let hosts = this.bridges.get(name);
    if (!hosts) this.bridges.set(name, (hosts = new BridgeHosts()));
    this.lastBridgeName = name;
    this.lastBridge = hosts;
    return hosts;
  }

  /** A container planned to use the network (created, kept or joining): it is not removed. */
  use(place: NetworkPlace): void {
    if (place.driver === 'overlay') this.useOverlay(place.name);
    else this.useBridge(place.host ?? '', place.name);
  }

  /** A container planned to use the swarm's overlay network `name`. */
  useOverlay(name: string): void {
    this.plannedOverlays.add(name);
  }

  /** A container planned to use the bridge network `name` on `host`. */
  useBridge(host: string, name: string): void {
    this.bridge(name).use(host);
  }

  /** Whether a container planned so far uses the bridge network `name` on `host`. */
  plansBridge(host: string, name: string): boolean {
    return this.bridges.get(name)?.plans(host) === true;
  }

  private isPlanned(place: NetworkPlace): boolean {
    if (place.driver === 'overlay') return this.plannedOverlays.has(place.name);
    return this.plansBridge(place.host ?? '', place.name);
  }

  /** Remove the network once its stack's containers (and any other stack's on it) are gone, if nothing else uses it. */
  proposeRemoval(stack: string, place: NetworkPlace, dependsOn: string[], cause: string, notes: PlanNote[], stackRemoved: boolean): void {
    const host = place.driver === 'overlay' ? this.swarm.manager?.name : place.host;
    if (host === undefined) return;
    this.candidates.push({ stack, place, host, dependsOn, cause, notes, stackRemoved });
  }

  /**
   * After every stack is planned: the removals that can go ahead, in the order they were
   * proposed. `removalOf` names the operation removing a container, if the plan removes it.
   */
  finish(add: AddOperation, removalOf: (containerId: string) => string | undefined): void {
    for (const candidate of this.candidates) {
      if (this.isPlanned(candidate.place)) continue;
      const attached = this.attachedContainers(candidate.place).filter((c) => c.owner?.stack !== candidate.stack);
      const staying = attached.filter((c) => removalOf(c.id) === undefined);
      if (staying.length > 0) {
        if (candidate.stackRemoved)
          candidate.notes.push({
            level: 'info',
            message: `network ${candidate.place.name} kept: ${staying.map((c) => `${c.name} on ${c.host}`).join(', ')} of another stack still use${staying.length === 1 ? 's' : ''} it (external_links)`,
          });
        continue;
      }
      const foreignRemovals = attached.map((c) => removalOf(c.id)).filter((id): id is string => id !== undefined);
      add({
        kind: 'RemoveNetwork',
        host: candidate.host,
        target: candidate.place.name,
        stack: candidate.stack,
        dependsOn: [...candidate.dependsOn, ...foreignRemovals],
        cause: candidate.cause,
      });
    }
  }

  /** Containers on reachable hosts observed attached to the network (on its host, for a bridge). */
  private attachedContainers(place: NetworkPlace): readonly ObservedContainer[] {
    this.attached ??= attachedContainers(this.index);
    const byNetwork = place.driver === 'overlay' ? this.attached.inSwarm : this.attached.byHost.get(place.host ?? '');
    return byNetwork?.get(place.name) ?? EMPTY_LIST;
  }
}

/** Containers by the network they are attached to: on any host (an overlay spans the swarm), and on each host (a bridge is the host's). */
interface AttachedContainers {
  inSwarm: Map<string, ObservedContainer[]>;
  byHost: Map<string, Map<string, ObservedContainer[]>>;
}

/** The containers on the reachable hosts by the networks they are attached to. */
function attachedContainers(index: ObservedIndex): AttachedContainers {
  const attached: AttachedContainers = { inSwarm: new Map(), byHost: new Map() };
  for (const host of index.reachableHosts()) {
    const onHost = new Map<string, ObservedContainer[]>();
    attached.byHost.set(host.name, onHost);
    for (const container of host.containers) {
      for (const network of container.networks ?? []) {
        appendTo(attached.inSwarm, network, container);
        appendTo(onHost, network, container);
      }
    }
  }
  return attached;
}

/** Adds the creation of `network` on `host`, made with its id (Operations.nextId); returns the id. */
function addNetworkCreate(host: string, network: NetworkSpec, forStack: string, cause: string, ops: NumberedOperations): string {
  const { Name: target } = network;
  return ops.add({ kind: 'CreateNetwork', host, target, stack: forStack, dependsOn: NO_DEPENDENCIES, cause, network, id: ops.nextId });
}

/** A network body shared by the operations creating it on several hosts: frozen, so that no reader changes it for the others. */
function frozenNetworkSpec(spec: NetworkSpec): NetworkSpec {
  Object.freeze(spec.Labels);
  return Object.freeze(spec);
}

/** The labels of a network corral creates: managed, and the stack that owns it. */
function networkLabels(owner: string): Record<string, string> {
  return { [CorralLabel.managed]: 'true', [CorralLabel.stack]: owner };
}
