/**
 * A host's swarm membership from `docker info`, and on a manager the swarm's nodes and
 * corral's overlay networks. Only asked for when some configured host uses `network: overlay`.
 */
import type Docker from 'dockerode';
import { CorralLabel } from '../model/labels.js';
import type { ObservedSwarm, SwarmNetwork, SwarmNode } from '../model/observed.js';

/** The Swarm part of `GET /info`, as Docker 20.10+ reports it. */
export interface SwarmInfo {
  LocalNodeState?: string;
  NodeID?: string;
  NodeAddr?: string;
  ControlAvailable?: boolean;
  Error?: string;
  Cluster?: { ID?: string; DefaultAddrPool?: string[] | null; SubnetSize?: number } | null;
}

interface NodeEntry {
  ID?: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  Spec?: { Role?: string };
}

/** Membership as `docker info` tells it; on a manager, the node list and the overlay networks are added. */
export async function observeSwarm(
  docker: Docker,
  info: SwarmInfo | undefined,
  networks: readonly Docker.NetworkInspectInfo[],
): Promise<ObservedSwarm> {
  const swarm = membership(info);
  if (!swarm.manager || swarm.state !== 'active') return swarm;
  const nodes = (await docker.listNodes()) as NodeEntry[];
  return {
    ...swarm,
    nodes: nodes.map(toSwarmNode).sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id)),
    networks: networks
      .filter((n) => n.Scope === 'swarm')
      .map(toSwarmNetwork)
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function membership(info: SwarmInfo | undefined): ObservedSwarm {
  const cluster = info?.Cluster ?? undefined;
  const pool = cluster?.DefaultAddrPool ?? [];
  return {
    state: info?.LocalNodeState || 'inactive',
    nodeId: info?.NodeID ?? '',
    nodeAddress: info?.NodeAddr ?? '',
    manager: info?.ControlAvailable === true,
    ...(cluster?.ID ? { clusterId: cluster.ID } : {}),
    ...(info?.Error ? { error: info.Error } : {}),
    ...(pool.length > 0 ? { addressPool: { subnets: [...pool], prefixLength: cluster?.SubnetSize ?? 24 } } : {}),
  };
}

function toSwarmNode(node: NodeEntry): SwarmNode {
  return {
    id: node.ID ?? '',
    hostname: node.Description?.Hostname ?? '',
    state: node.Status?.State ?? 'unknown',
    address: node.Status?.Addr ?? '',
    manager: node.Spec?.Role === 'manager',
  };
}

function toSwarmNetwork(network: Docker.NetworkInspectInfo): SwarmNetwork {
  return {
    name: network.Name,
    stack: network.Labels?.[CorralLabel.stack] ?? '',
    subnets: (network.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter((s) => s !== ''),
  };
}
