/**
 * What observe saw on the Docker hosts: an immutable snapshot of live state.
 */

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
}

export interface ObservedContainer {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  host: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  health?: ContainerHealth;
  /** Exit code of an exited container, when Docker reports it. */
  exitCode?: number;
  ports: PublishedPort[];
  /** Parsed ownership labels; undefined for a container corral does not own. */
  owner?: Ownership;
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
  /** Containers corral manages on this host (stopped ones included). */
  containers: ObservedContainer[];
  /** Image references present on the host (repo:tag). */
  images: string[];
  /** Names of networks corral manages on this host. */
  networks: string[];
  /** Names of volumes corral manages on this host. */
  volumes: string[];
}

export interface ObservedState {
  hosts: ObservedHost[];
}
