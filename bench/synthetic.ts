/**
 * A synthetic fleet for the scale benchmark: N desired stacks, H empty hosts, and a plan applied
 * in memory (no Docker). Deterministic: the same N and H give the same stacks and hosts.
 *
 * Every stack has
 *  - `db` (scale 2): anti-affinity with itself, and a hard host rule (zone), a soft one (disk=ssd)
 *    or none, in turn;
 *  - `web` (scale 2): anti-affinity with itself, a published port and a link to db; one stack in
 *    four gives it a `log` sidekick that mounts its volumes (volumes_from);
 *  - `cache` (scale 1) with a soft container_label affinity to the stack's db, or, one stack in
 *    fifty, a global `agent` pinned to one rack of 10 hosts.
 */
import type { DesiredService, DesiredStack } from '../src/model/desired.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../src/model/observed.js';
import { parseOwnership } from '../src/observe/containers.js';
import type { Operation, Plan } from '../src/plan/types.js';
import { desiredStack } from '../test/fixtures/desired.js';

export const IMAGE = '10.99.0.2:5000/corral/busybox:1';
const AFFINITY = 'io.rancher.scheduler.affinity:';
const RACK_SIZE = 10;
const SELF_NE = { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=${stack_name}/${service_name}' };

export function hostName(index: number): string {
  return `h${String(index).padStart(5, '0')}`;
}

/** Empty hosts with zone (3 zones), rack (10 hosts each) and, on every other host, disk=ssd. */
export function syntheticHosts(count: number): ObservedHost[] {
  return Array.from({ length: count }, (_, i) => ({
    name: hostName(i),
    address: `10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`,
    reachable: true,
    labels: { zone: `z${i % 3}`, rack: `r${Math.floor(i / RACK_SIZE)}`, ...(i % 2 === 0 ? { disk: 'ssd' } : {}) },
    containers: [],
    images: [IMAGE],
    networks: [],
    volumes: [],
  }));
}

export function syntheticStacks(count: number, hosts: number): DesiredStack[] {
  const racks = Math.max(1, Math.floor(hosts / RACK_SIZE));
  return Array.from({ length: count }, (_, i) => syntheticStack(i, racks));
}

function syntheticStack(index: number, racks: number): DesiredStack {
  const name = `s${String(index).padStart(6, '0')}`;
  const hostRules: Record<string, string>[] = [
    { [`${AFFINITY}host_label`]: `zone=z${index % 3}` },
    { [`${AFFINITY}host_label_soft`]: 'disk=ssd' },
    {},
  ];
  const hostRule = hostRules[index % 3];
  const withSidekick = index % 4 === 0;
  const services: DesiredService[] = [
    service('db', 2, { ...SELF_NE, ...hostRule }, { volumes: ['data:/data'] }),
    service(
      'web',
      2,
      { ...SELF_NE, ...(withSidekick ? { 'io.rancher.sidekicks': 'log' } : {}) },
      { ports: ['8080'], links: ['db:database'] },
      withSidekick ? ['log'] : [],
    ),
  ];
  if (withSidekick) services.push({ ...service('log', 2, {}, { volumes_from: ['web'], command: ['sleep', '1d'] }), primary: 'web' });
  if (index % 50 === 0) {
    const rack = `r${Math.floor(index / 50) % racks}`;
    services.push({
      ...service('agent', 1, { 'io.rancher.scheduler.global': 'true', [`${AFFINITY}host_label`]: `rack=${rack}` }),
      global: true,
    });
  } else {
    services.push(service('cache', 1, { [`${AFFINITY}container_label_soft`]: 'io.rancher.stack_service.name=${stack_name}/db' }));
  }
  return desiredStack(name, services, 'synthetic');
}

function service(
  name: string,
  scale: number,
  labels: Record<string, string>,
  compose: Record<string, unknown> = {},
  sidekicks: string[] = [],
): DesiredService {
  return {
    name,
    compose: { image: IMAGE, command: ['sleep', '86400'], ...compose, labels, environment: { ROLE: name } },
    rancher: { scale },
    scale,
    global: false,
    sidekicks,
  };
}

/** The state the hosts would be in after the plan ran: a deep copy of `observed` with every operation done. */
export function applyInMemory(observed: ObservedState, plan: Plan): ObservedState {
  const hosts = new Map(
    observed.hosts.map((h) => [h.name, { ...h, containers: h.containers.map((c) => ({ ...c })), networks: [...h.networks] }]),
  );
  const byName = new Map<string, ObservedContainer>();
  for (const host of hosts.values()) for (const c of host.containers) byName.set(`${host.name}/${c.name}`, c);
  let nextId = 1;
  for (const op of plan.operations) {
    const host = hosts.get(op.host);
    if (!host) throw new Error(`operation ${op.id} on unknown host ${op.host}`);
    applyOne(op, host, byName, () => `mem${nextId++}`);
  }
  return { hosts: [...hosts.values()] };
}

function applyOne(op: Operation, host: ObservedHost, byName: Map<string, ObservedContainer>, newId: () => string): void {
  const key = `${host.name}/${op.target}`;
  switch (op.kind) {
    case 'CreateNetwork':
      host.networks.push(op.target);
      return;
    case 'RemoveNetwork':
      host.networks = host.networks.filter((n) => n !== op.target);
      return;
    case 'CreateVolume':
      host.volumes = [...host.volumes, op.target];
      return;
    case 'PullImage':
      host.images = [...host.images, op.target];
      return;
    case 'CreateContainer': {
      const labels = op.container.Labels;
      const owner = parseOwnership(labels);
      const container: ObservedContainer = {
        id: newId(),
        name: op.target,
        host: host.name,
        image: op.container.Image,
        labels,
        state: 'created',
        ports: [],
        ...(owner ? { owner } : {}),
      };
      host.containers.push(container);
      byName.set(key, container);
      return;
    }
    case 'StartContainer':
    case 'StopContainer': {
      const container = byName.get(key);
      if (!container) throw new Error(`operation ${op.id}: no container ${key}`);
      container.state = op.kind === 'StartContainer' ? 'running' : 'exited';
      return;
    }
    case 'RemoveContainer':
      host.containers = host.containers.filter((c) => c.name !== op.target);
      byName.delete(key);
      return;
  }
}
