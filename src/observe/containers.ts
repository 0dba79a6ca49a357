/** From Docker's container list entries to ObservedContainer, with ownership labels parsed. */
import type Docker from 'dockerode';
import { CorralLabel } from '../model/labels.js';
import { containerName, keptName } from '../model/naming.js';
import type { ContainerHealth, ContainerState, ObservedContainer, Ownership, PublishedPort } from '../model/observed.js';

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

export function toObservedContainer(host: string, info: Docker.ContainerInfo): ObservedContainer {
  const labels = info.Labels ?? {};
  const name = (info.Names?.[0] ?? info.Id).replace(/^\//, '');
  const owner = parseOwnership(labels, name);
  const exitCode = /^Exited \((-?\d+)\)/.exec(info.Status ?? '')?.[1];
  const health = healthOf(info.Status ?? '');
  const networks = info.NetworkSettings?.Networks;
  return {
    id: info.Id,
    name,
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

/**
 * corral's ownership labels; undefined unless the container is managed and names its stack, service
 * and instance. With the container's name: whether it is a kept predecessor (model/naming.ts).
 */
export function parseOwnership(labels: Record<string, string>, name?: string): Ownership | undefined {
  const stack = labels[CorralLabel.stack];
  const service = labels[CorralLabel.service];
  const instance = Number(labels[CorralLabel.instance]);
  if (labels[CorralLabel.managed] === undefined || !stack || !service || !Number.isInteger(instance) || instance < 1) return undefined;
  const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });
  const unit = labels[CorralLabel.unit] || service;
  const kept = name !== undefined && name === keptName(containerName(stack, service, instance, unit));
  return {
    stack,
    service,
    unit,
    instance,
    configHash: labels[CorralLabel.configHash] ?? '',
    ...optional('template', labels[CorralLabel.template]),
    ...optional('templateVersion', labels[CorralLabel.templateVersion]),
    ...optional('revision', labels[CorralLabel.revision]),
    ...(kept ? { kept: true as const } : {}),
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
