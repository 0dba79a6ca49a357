/**
 * What observe saw on the Docker hosts: an immutable snapshot of live state.
 */
import type { ContainerRuntime, ProbeState } from './health.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type ContainerHealth = 'starting' | 'healthy' | 'unhealthy';

export interface PublishedPort {
  privatePort: number;
  publicPort?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  ip?: string;
}

/** corral's ownership labels of a managed container, parsed. */
export interface Ownership {
  stack: string;
  service: string;
  /** Primary service of the container's deployment unit (equals service for a primary). */
  unit: string;
  instance: number;
  configHash: string;
  template?: string;
  templateVersion?: string;
  revision?: string;
  /**
   * The container is the kept predecessor of its unit instance during an upgrade: named
   * `<its name>-prev` (model/naming.ts), left stopped (or running under start_first) until the
   * upgrade is done (then removed) or rolled back (then renamed back and started).
   */
  kept?: true;
}

export interface ObservedContainer {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  host: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Docker's own health (`State.Health.Status`), for containers whose image or compose `healthcheck` defines one. */
  health?: ContainerHealth;
  /** From `docker inspect`, added by the daemon's health monitor: when Docker last started it, and how often it restarted it. */
  runtime?: ContainerRuntime;
  /** The rancher-compose `health_check` probe's state, added by the daemon's health monitor. */
  probe?: ProbeState;
  /** Exit code of an exited container, when Docker reports it. */
  exitCode?: number;
  ports: PublishedPort[];
  /** Parsed ownership labels; undefined for a container corral does not own. */
  owner?: Ownership;
  /** Names of the networks the container is attached to, when observed (a host that left the swarm drops its overlay ones). */
  networks?: string[];
}

/** A node of the swarm, as a manager lists it. */
export interface SwarmNode {
  id: string;
  hostname: string;
  /** `ready`, `down`, `unknown` or `disconnected`. */
  state: string;
  /** The address the node advertises. */
  address: string;
  manager: boolean;
}

/** One of corral's swarm-scoped (overlay) networks, as a manager lists it. */
export interface SwarmNetwork {
  name: string;
  /** The stack it belongs to (corral's stack label). */
  stack: string;
  /** Its subnets, e.g. `10.128.3.0/24`. */
  subnets: string[];
}

/** The host's place in a Docker swarm, from `docker info` (and, on a manager, the node and network lists). */
export interface ObservedSwarm {
  /** `inactive`, `pending`, `active`, `error` or `locked` (Swarm.LocalNodeState). */
  state: string;
  /** This node's id; empty outside a swarm. */
  nodeId: string;
  /** The address this node advertises to the swarm. */
  nodeAddress: string;
  /** The node can manage the swarm (Swarm.ControlAvailable). */
  manager: boolean;
  /** The swarm's id (known on managers only). */
  clusterId?: string;
  /** Docker's message when the node is in the error state. */
  error?: string;
  /** On a manager: every node of the swarm. */
  nodes?: SwarmNode[];
  /** On a manager: corral's overlay networks. */
  networks?: SwarmNetwork[];
  /** On a manager: the pools overlay subnets are taken from, and the size of each subnet. */
  addressPool?: { subnets: string[]; prefixLength: number };
}

export interface ObservedHost {
  name: string;
  /** Where users reach published ports. */
  address: string;
  reachable: boolean;
  /** Why the host could not be observed. */
  error?: string;
  /** Configured labels merged with the daemon's own (`dockerd --label`). */
  labels: Record<string, string>;
  /** The host's `network:` setting (absent: bridge). */
  network?: 'bridge' | 'overlay';
  /** Swarm membership, from `docker info`. */
  swarm?: ObservedSwarm;
  /** Containers corral manages on this host (stopped ones included). */
  containers: ObservedContainer[];
  /** Image references present on the host (repo:tag). */
  images: string[];
  /** Names of the local-scope (bridge) networks corral manages on this host; overlay networks are under `swarm`. */
  networks: string[];
  /** Names of volumes corral manages on this host. */
  volumes: string[];
}

export interface ObservedState {
  hosts: ObservedHost[];
}
