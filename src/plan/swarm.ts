/**
 * Which `network: overlay` hosts can use the swarm's overlay networks, read from one
 * observation. Pure.
 *
 * The swarm is the one of a reachable manager among the configured hosts: the manager whose
 * node list has the most overlay hosts as ready nodes (the first in the config on a tie).
 * corral creates and removes overlay networks through it. An overlay host is a member when its
 * own node id is a ready node of that list; any other overlay host gets a problem saying why
 * (outside any swarm, in another swarm, seen as down), and the plan creates nothing there
 * that needs the overlay. corral never joins or leaves a swarm itself.
 */
import type { DesiredStack } from '../model/desired.js';
import type { ObservedHost, SwarmNetwork } from '../model/observed.js';
import type { HostNote } from './types.js';

export interface SwarmView {
  /** The manager corral creates and removes overlay networks through. */
  manager?: ObservedHost;
  /** Overlay hosts that are ready nodes of the manager's swarm. */
  members: ReadonlySet<string>;
  /** Reachable overlay hosts that cannot use the swarm's networks, and why. */
  problems: ReadonlyMap<string, string>;
  /** corral's overlay networks in the swarm, by name. */
  networks: ReadonlyMap<string, SwarmNetwork>;
  /** For the plan's host notes: problems, the address pool. */
  notes: HostNote[];
}

export const NO_SWARM: SwarmView = { members: new Set(), problems: new Map(), networks: new Map(), notes: [] };

export function swarmView(hosts: readonly ObservedHost[]): SwarmView {
  const overlayHosts = hosts.filter((h) => h.network === 'overlay');
  if (overlayHosts.length === 0) return NO_SWARM;
  const manager = chooseManager(hosts, overlayHosts);
  const members = new Set<string>();
  const problems = new Map<string, string>();
  for (const host of overlayHosts.filter((h) => h.reachable)) {
    const problem = memberProblem(host, manager);
    if (problem) problems.set(host.name, problem);
    else members.add(host.name);
  }
  const networks = new Map((manager?.swarm?.networks ?? []).map((n) => [n.name, n]));
  const notes: HostNote[] = [...problems].map(([host, problem]) => ({
    host,
    level: 'error',
    message: `${problem}: nothing that needs the stacks' overlay networks is created there${joinHint(manager)}`,
  }));
  if (manager) notes.push(...downNodes(manager, hosts));
  return { ...(manager ? { manager } : {}), members, problems, networks, notes };
}

/** A reachable manager that knows its nodes; the one with the most overlay hosts as ready nodes, then config order. */
function chooseManager(hosts: readonly ObservedHost[], overlayHosts: readonly ObservedHost[]): ObservedHost | undefined {
  let best: ObservedHost | undefined;
  let bestCount = -1;
  for (const candidate of hosts) {
    if (!candidate.reachable || !candidate.swarm?.manager || !candidate.swarm.nodes) continue;
    const ready = new Set(candidate.swarm.nodes.filter((n) => n.state === 'ready').map((n) => n.id));
    const count = overlayHosts.filter((h) => h.swarm && ready.has(h.swarm.nodeId)).length;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

function memberProblem(host: ObservedHost, manager: ObservedHost | undefined): string | undefined {
  const swarm = host.swarm;
  const state = swarm?.state ?? 'inactive';
  const ofManager = manager ? `the swarm of ${manager.name}` : 'a swarm';
  if (state !== 'active') {
    const why = state === 'error' && swarm?.error ? `its swarm state is error: ${swarm.error}` : `its swarm state is ${state}`;
    return `${host.name} is not in ${ofManager} (${why})`;
  }
  if (!manager) return `${host.name} is in a swarm, but no manager of it is among the reachable configured hosts`;
  const node = manager.swarm?.nodes?.find((n) => n.id === swarm?.nodeId);
  if (!node) return `${host.name} is not in ${ofManager} (it is node ${swarm?.nodeId || '?'} of another swarm)`;
  if (node.state !== 'ready') return `${host.name} is not in ${ofManager} (${manager.name} sees its node as ${node.state})`;
  return undefined;
}

/** How an operator joins a host (corral never runs swarm join or leave itself). */
function joinHint(manager: ObservedHost | undefined): string {
  if (!manager) return '; make one host a manager (docker swarm init) and join the others';
  const address = manager.swarm?.nodeAddress || manager.address;
  return `; join it: docker swarm join --token TOKEN ${address}:2377, TOKEN from \`docker swarm join-token -q worker\` on ${manager.name}`;
}

/** Nodes the manager lists as down that no configured host is: their overlay endpoints keep networks from being removed. */
function downNodes(manager: ObservedHost, hosts: readonly ObservedHost[]): HostNote[] {
  const current = new Set(hosts.map((h) => h.swarm?.nodeId).filter((id): id is string => !!id));
  return (manager.swarm?.nodes ?? [])
    .filter((n) => n.state !== 'ready' && !current.has(n.id))
    .map((n) => ({
      host: manager.name,
      level: 'warning',
      message: `the swarm lists node ${n.id} (${n.hostname || 'no name'}) as ${n.state}: an overlay network it used cannot be removed until it is removed (docker node rm ${n.id})`,
    }));
}

/**
 * The swarm hands each overlay network a subnet from its address pool (`docker swarm init
 * --default-addr-pool`); corral passes none. Warn when the pool cannot hold a network per stack,
 * or when it covers a host's address (containers would not reach that host).
 */
export function addressPoolNotes(swarm: SwarmView, desired: readonly DesiredStack[], hosts: readonly ObservedHost[]): HostNote[] {
  const manager = swarm.manager;
  const pool = manager?.swarm?.addressPool;
  if (!manager || !pool) return [];
  const pools = pool.subnets.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const notes: HostNote[] = [];
  const capacity = pools.reduce((sum, c) => sum + (pool.prefixLength >= c.prefix ? 2 ** (pool.prefixLength - c.prefix) : 0), 0);
  const needed = new Set([...desired.map((s) => s.name), ...[...swarm.networks.values()].map((n) => n.stack)]).size;
  if (needed > capacity)
    notes.push({
      host: manager.name,
      level: 'warning',
      message: `the swarm's overlay address pool ${pool.subnets.join(', ')} holds ${capacity} networks of /${pool.prefixLength}; corral's stacks need up to ${needed} (docker swarm init --default-addr-pool with a larger pool)`,
    });
  for (const host of hosts.filter((h) => h.network === 'overlay')) {
    const address = parseIpv4(host.address);
    const covering = address === undefined ? undefined : pools.find((c) => contains(c, address));
    if (covering)
      notes.push({
        host: host.name,
        level: 'warning',
        message: `${host.name}'s address ${host.address} is inside the swarm's overlay address pool ${covering.text}: containers on an overlay network may not reach it`,
      });
  }
  return notes;
}

interface Cidr {
  text: string;
  base: number;
  prefix: number;
}

function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText = ''] = text.split('/');
  const base = parseIpv4(address);
  const prefix = Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { text, base, prefix };
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function contains(cidr: Cidr, address: number): boolean {
  const size = 2 ** (32 - cidr.prefix);
  const start = Math.floor(cidr.base / size) * size;
  return address >= start && address < start + size;
}
