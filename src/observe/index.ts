/**
 * observe: one snapshot of live state per host, all hosts in parallel.
 * Per host: `docker info` (labels, reachability, swarm membership), one container list filtered
 * by corral's ownership label, the images present, and corral's networks and volumes. When some
 * host uses `network: overlay`, a swarm manager also lists the swarm's nodes and corral's overlay
 * networks (./swarm.ts).
 */
import type Docker from 'dockerode';
import type { HostConfig } from '../config/config.js';
import { CorralLabel } from '../model/labels.js';
import type { ObservedHost, ObservedState } from '../model/observed.js';
import { keyValueMap } from '../util/values.js';
import { dockerClient } from './client.js';
import { toObservedContainer } from './containers.js';
import { observeSwarm, type SwarmInfo } from './swarm.js';
import { describeTransportError } from './transport-errors.js';

export { closeClients, dockerClient } from './client.js';
export { parseOwnership, toObservedContainer } from './containers.js';
export { describeError } from './transport-errors.js';

/** An unreachable host must not hold up the others for long. */
export const OBSERVE_TIMEOUT_MS = 5000;

export interface ObserveOptions {
  /** One client per host name; by default a client with a short timeout is made from the host's endpoint. */
  clients?: ReadonlyMap<string, Docker>;
}

export async function observe(hosts: readonly HostConfig[], options: ObserveOptions = {}): Promise<ObservedState> {
  const withSwarm = hosts.some((host) => host.network === 'overlay');
  const observed = await Promise.all(
    hosts.map((host) => {
      const client = options.clients?.get(host.name) ?? dockerClient(host.docker, { timeoutMs: OBSERVE_TIMEOUT_MS });
      return observeHost(host, client, withSwarm);
    }),
  );
  return { hosts: observed };
}

/** `withSwarm`: read swarm membership (and, on a manager, its nodes and overlay networks). */
export async function observeHost(host: HostConfig, docker: Docker, withSwarm = host.network === 'overlay'): Promise<ObservedHost> {
  const managed = { label: [CorralLabel.managed] };
  const network = host.network ? { network: host.network } : {};
  try {
    const [info, containers, images, networks, volumes] = await Promise.all([
      docker.info() as Promise<{ Labels?: string[] | null; Swarm?: SwarmInfo }>,
      docker.listContainers({ all: true, filters: managed }),
      docker.listImages(),
      docker.listNetworks({ filters: managed }),
      docker.listVolumes({ filters: managed }),
    ]);
    const swarm = withSwarm ? { swarm: await observeSwarm(docker, info.Swarm, networks) } : {};
    return {
      name: host.name,
      address: host.address,
      reachable: true,
      // `dockerd --label k=v` labels, as `docker info` lists them, under the configured ones.
      labels: { ...keyValueMap(info.Labels ?? [], '=', ''), ...host.labels },
      ...network,
      ...swarm,
      containers: containers.map((c) => toObservedContainer(host.name, c)).filter((c) => c.owner !== undefined),
      images: images
        .flatMap((image) => [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])])
        .filter((ref) => !ref.startsWith('<none>'))
        .sort(),
      // Overlay networks are the swarm's: a worker lists one only while a container uses it.
      networks: networks
        .filter((n) => n.Scope !== 'swarm')
        .map((n) => n.Name)
        .sort(),
      volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    };
  } catch (err) {
    return {
      name: host.name,
      address: host.address,
      reachable: false,
      error: describeTransportError(host.docker, err),
      labels: { ...host.labels },
      ...network,
      containers: [],
      images: [],
      networks: [],
      volumes: [],
    };
  }
}
