/** From Docker's container list entries to ObservedContainer, with ownership labels parsed. */
import type Docker from 'dockerode';
import { CorralLabel } from '../model/labels.js';
import type { ContainerHealth, ContainerState, ObservedContainer, Ownership, PublishedPort } from '../model/observed.js';

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

export function toObservedContainer(host: string, info: Docker.ContainerInfo): ObservedContainer {
  const labels = info.Labels ?? {};
  const owner = parseOwnership(labels);
  const exitCode = /^Exited \((-?\d+)\)/.exec(info.Status ?? '')?.[1];
  const health = healthOf(info.Status ?? '');
  const networks = info.NetworkSettings?.Networks;
  return {
    id: info.Id,
    name: (info.Names?.[0] ?? info.Id).replace(/^\//, ''),
    host,
    image: info.Image,
    labels,
    state: STATES.includes(info.State as ContainerState) ? (info.State as ContainerState) : 'dead',
    ...(health ? { health } : {}),
    ...(exitCode === undefined ? {} : { exitCode: Number(exitCode) }),
    ports: (info.Ports ?? []).map(toPublishedPort),
    ...(owner ? { owner } : {}),
    ...(networks ? { networks: Object.keys(networks).sort() } : {}),
  };
}

/** corral's ownership labels; undefined unless the container is managed and names its stack, service and instance. */
export function parseOwnership(labels: Record<string, string>): Ownership | undefined {
  const stack = labels[CorralLabel.stack];
  const service = labels[CorralLabel.service];
  const instance = Number(labels[CorralLabel.instance]);
  if (labels[CorralLabel.managed] === undefined || !stack || !service || !Number.isInteger(instance) || instance < 1) return undefined;
  const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    stack,
    service,
    unit: labels[CorralLabel.unit] || service,
    instance,
    configHash: labels[CorralLabel.configHash] ?? '',
    ...optional('template', labels[CorralLabel.template]),
    ...optional('templateVersion', labels[CorralLabel.templateVersion]),
    ...optional('revision', labels[CorralLabel.revision]),
  };
}

function healthOf(status: string): ContainerHealth | undefined {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

function toPublishedPort(port: Docker.Port): PublishedPort {
  const protocol = port.Type === 'udp' || port.Type === 'sctp' ? port.Type : 'tcp';
  return {
    privatePort: port.PrivatePort,
    protocol,
    ...(port.PublicPort ? { publicPort: port.PublicPort } : {}),
    ...(port.IP ? { ip: port.IP } : {}),
  };
}
