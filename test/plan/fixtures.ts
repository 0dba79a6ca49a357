/** Inline desired stacks, placements and observed hosts for the plan's golden tests. */
import type { ComposeService, DesiredService, DesiredStack, UpgradeStrategySpec } from '../../src/model/desired.js';
import { unitServices } from '../../src/model/desired.js';
import type { HealthCheckSpec } from '../../src/model/health.js';
import { containerName, keptName } from '../../src/model/naming.js';
import type { ContainerState, ObservedContainer, ObservedHost, SwarmNetwork } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { parseOwnership } from '../../src/observe/containers.js';
import { containerSpec } from '../../src/plan/container-spec.js';
import type { NetworkDriver } from '../../src/plan/networks.js';

export const IMAGE = '10.99.0.2:5000/corral/busybox:1';

type ServiceInput = Partial<Omit<ComposeService, 'labels' | 'environment'>> & {
  labels?: Record<string, string>;
  environment?: Record<string, string | null>;
  scale?: number;
  sidekicks?: string[];
  /** rancher-compose `health_check`, as render gives it. */
  healthCheck?: HealthCheckSpec;
  /** rancher-compose `upgrade_strategy` and `min_ready`, as render gives them. */
  upgrade?: UpgradeStrategySpec;
};

export function stack(
  name: string,
  services: Record<string, ServiceInput>,
  volumes: Record<string, Record<string, unknown>> = {},
): DesiredStack {
  const built: Record<string, DesiredService> = {};
  for (const [serviceName, input] of Object.entries(services)) {
    const { scale = 1, sidekicks = [], labels = {}, environment = {}, healthCheck, upgrade, ...compose } = input;
    built[serviceName] = {
      name: serviceName,
      compose: { image: IMAGE, ...compose, labels, environment },
      rancher: { scale },
      scale,
      global: labels['io.rancher.scheduler.global'] === 'true',
      sidekicks,
      ...(healthCheck ? { healthCheck } : {}),
      ...(upgrade ? { upgrade } : {}),
    };
  }
  for (const primary of Object.values(built)) {
    for (const sidekick of primary.sidekicks) {
      const service = built[sidekick];
      if (service) service.primary = primary.name;
    }
  }
  return {
    name,
    template: { catalog: 'library', template: 'demo', folder: '0', version: '1.0' },
    variables: {},
    secretVariables: [],
    services: built,
    volumes,
    ignoredKeys: [],
    warnings: [],
  };
}

/** `['web', 1, 'h1']` → a unit instance of service web, number 1, on h1. */
export function placement(stackName: string, instances: [string, number, string][], errors: string[] = []): StackPlacement {
  return { stack: stackName, instances: instances.map(([service, instance, host]) => ({ service, instance, host })), errors, warnings: [] };
}

export function host(name: string, parts: Partial<ObservedHost> = {}): ObservedHost {
  return {
    name,
    address: `10.99.0.${10 + Number(name.replace(/\D/g, '') || 0)}`,
    reachable: true,
    labels: {},
    containers: [],
    images: [IMAGE],
    networks: [],
    volumes: [],
    ...parts,
  };
}

export interface LiveOptions {
  state?: ContainerState;
  exitCode?: number;
  /** Create the container from this stack instead (an older config). */
  from?: DesiredStack;
  /** The host's network setting when the container was created (default bridge). */
  network?: NetworkDriver;
  /** Other stacks' networks joined for external_links, as the plan passes them. */
  externalNetworks?: ReadonlyMap<string, string>;
  /** The `name:address` entries of host-network services the plan gives the container. */
  hostNames?: readonly string[];
  /** Observed networks: `spec` for the ones the container was created on (and joined); default: not observed. */
  attached?: 'spec' | string[];
  /** The kept predecessor of its unit instance during an upgrade (renamed `<name>-prev`). */
  kept?: boolean;
  /** Published ports, as Docker lists them. */
  ports?: ObservedContainer['ports'];
}

/** Overlay hosts of one swarm: the first is the manager and lists every host as a ready node, and `networks` as corral's. */
export function swarmHosts(
  names: string[],
  networks: SwarmNetwork[] = [],
  parts: Record<string, Partial<ObservedHost>> = {},
): ObservedHost[] {
  const nodes = names.map((name, at) => ({
    id: `node-${name}`,
    hostname: name,
    state: 'ready',
    address: `10.99.0.${11 + at}`,
    manager: at === 0,
  }));
  return names.map((name, at) =>
    host(name, {
      network: 'overlay',
      swarm: {
        state: 'active',
        nodeId: `node-${name}`,
        nodeAddress: `10.99.0.${11 + at}`,
        manager: at === 0,
        ...(at === 0 ? { clusterId: 'swarm-1', nodes, networks, addressPool: { subnets: ['10.128.0.0/12'], prefixLength: 24 } } : {}),
      },
      ...parts[name],
    }),
  );
}

/** corral's overlay network of a stack, as the manager lists it. */
export function overlayOf(stackName: string): SwarmNetwork {
  return { name: `corral-${stackName}_overlay`, stack: stackName, subnets: ['10.128.1.0/24'] };
}

let nextId = 1;

/** The containers of one unit instance as corral would have created them from `desired`. */
export function live(
  desired: DesiredStack,
  primaryName: string,
  instance: number,
  hostName: string,
  options: LiveOptions = {},
): ObservedContainer[] {
  const source = options.from ?? desired;
  const primary = source.services[primaryName];
  if (!primary) throw new Error(`no service ${primaryName}`);
  const services = unitServices(source, primary);
  const unitNames = Object.fromEntries(services.map((s) => [s.name, containerName(source.name, s.name, instance, s.primary)]));
  return services.map((service) => {
    const spec = containerSpec({
      stack: source,
      service,
      instance,
      unitNames,
      linkAliases: linkAliasesOf(source, service.name),
      ...(options.network ? { networkDriver: options.network } : {}),
      ...(options.externalNetworks ? { externalNetworks: options.externalNetworks } : {}),
      ...(options.hostNames ? { hostNames: options.hostNames } : {}),
    });
    const name = options.kept ? keptName(spec.name) : spec.name;
    const owner = parseOwnership(spec.create.Labels, name);
    const attached =
      options.attached === 'spec'
        ? [...(spec.shared.network ? [spec.shared.network] : []), ...spec.shared.joins.map((j) => j.network)]
        : options.attached;
    return {
      id: `c${nextId++}`,
      name,
      host: hostName,
      image: spec.shared.image,
      labels: spec.create.Labels,
      state: options.state ?? 'running',
      ...(options.exitCode === undefined ? {} : { exitCode: options.exitCode }),
      ports: options.ports ?? [],
      ...(owner ? { owner } : {}),
      ...(attached ? { networks: [...attached].sort() } : {}),
    };
  });
}

/** The aliases `links: [svc:alias]` of the stack give a service, as the plan computes them. */
function linkAliasesOf(desired: DesiredStack, serviceName: string): string[] {
  const aliases = Object.values(desired.services).flatMap((s) =>
    (Array.isArray(s.compose['links']) ? s.compose['links'].map(String) : [])
      .filter((link) => !link.includes('/'))
      .map((link) => link.split(':'))
      .filter(([target, alias]) => target === serviceName && alias !== undefined && alias !== target)
      .map(([, alias]) => alias as string),
  );
  return [...new Set(aliases)].sort();
}
