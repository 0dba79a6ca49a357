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
import type { NetworkDriver } from './networks.js';
import type { ObservedIndex } from './observed-index.js';
import type { SwarmView } from './swarm.js';
import type { NetworkSpec, Operation, PlanNote } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewOperation = DistributiveOmit<Operation, 'id'>;
export type AddOperation = (op: NewOperation) => string;

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

export class NetworkBook {
  /** The operations creating networks in this plan: overlays by name, bridges by host and name. */
  private readonly createdOverlays = new Map<string, string>();
  private readonly createdBridges = new Map<string, Map<string, string>>();
  /** Networks a container is planned to use: overlays by name, bridges by host and name (no key strings made per container). */
  private readonly plannedOverlays = new Set<string>();
  private readonly plannedBridges = new Map<string, Set<string>>();
  private readonly candidates: RemovalCandidate[] = [];
  /** `swarm|<network>` and `<host>|<network>` → the containers attached, built when first needed. */
  private attached: Map<string, ObservedContainer[]> | undefined;

  constructor(
    private readonly index: ObservedIndex,
    readonly swarm: SwarmView,
  ) {}

  /** Whether the network exists now (an overlay in the swarm, a bridge on its host). */
  exists(place: NetworkPlace): boolean {
    if (place.driver === 'overlay') return this.swarm.networks.has(place.name);
    const host = place.host === undefined ? undefined : this.index.host(place.host);
    return host !== undefined && this.index.hasNetwork(host, place.name);
  }

  /**
   * The id of the operation creating the network in this plan, adding it when the network is
   * missing; undefined when it exists (or no manager can create an overlay: the plan gates that).
   */
  ensure(place: NetworkPlace, owner: string, forStack: string, cause: string, add: AddOperation): string | undefined {
    const overlay = place.driver === 'overlay';
    const created = overlay ? this.createdOverlays : this.createdBridgesOn(place.host ?? '');
    const known = created.get(place.name);
    if (known) return known;
    if (this.exists(place)) return undefined;
    const host = overlay ? this.swarm.manager?.name : place.host;
    if (host === undefined) return undefined;
    const network: NetworkSpec = {
      Name: place.name,
      Driver: place.driver,
      ...(place.driver === 'overlay' ? { Attachable: true } : {}),
      Labels: { [CorralLabel.managed]: 'true', [CorralLabel.stack]: owner },
    };
    const id = add({ kind: 'CreateNetwork', host, target: place.name, stack: forStack, dependsOn: [], cause, network });
    created.set(place.name, id);
    return id;
  }

  private createdBridgesOn(host: string): Map<string, string> {
    let created = this.createdBridges.get(host);
    if (!created) this.createdBridges.set(host, (created = new Map()));
    return created;
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
    let names = this.plannedBridges.get(host);
    if (!names) this.plannedBridges.set(host, (names = new Set()));
    names.add(name);
  }

  /** Whether a container planned so far uses the bridge network `name` on `host`. */
  plansBridge(host: string, name: string): boolean {
    return this.plannedBridges.get(host)?.has(name) === true;
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
  private attachedContainers(place: NetworkPlace): ObservedContainer[] {
    if (!this.attached) {
      this.attached = new Map();
      for (const host of this.index.reachableHosts()) {
        for (const container of host.containers) {
          for (const network of container.networks ?? []) {
            for (const key of [`swarm|${network}`, `${host.name}|${network}`]) {
              const list = this.attached.get(key);
              if (list) list.push(container);
              else this.attached.set(key, [container]);
            }
          }
        }
      }
    }
    return this.attached.get(placeKey(place)) ?? [];
  }
}

function placeKey(place: NetworkPlace): string {
  return place.driver === 'overlay' ? `swarm|${place.name}` : `${place.host ?? ''}|${place.name}`;
}
