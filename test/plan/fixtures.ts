/** Inline desired stacks, placements and observed hosts for the plan's golden tests. */
import type { ComposeService, DesiredService, DesiredStack } from '../../src/model/desired.js';
import { unitServices } from '../../src/model/desired.js';
import { containerName } from '../../src/model/naming.js';
import type { ContainerState, ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { parseOwnership } from '../../src/observe/containers.js';
import { containerSpec } from '../../src/plan/container-spec.js';

export const IMAGE = '10.99.0.2:5000/corral/busybox:1';

type ServiceInput = Partial<Omit<ComposeService, 'labels' | 'environment'>> & {
  labels?: Record<string, string>;
  environment?: Record<string, string | null>;
  scale?: number;
  sidekicks?: string[];
};

export function stack(
  name: string,
  services: Record<string, ServiceInput>,
  volumes: Record<string, Record<string, unknown>> = {},
): DesiredStack {
  const built: Record<string, DesiredService> = {};
  for (const [serviceName, input] of Object.entries(services)) {
    const { scale = 1, sidekicks = [], labels = {}, environment = {}, ...compose } = input;
    built[serviceName] = {
      name: serviceName,
      compose: { image: IMAGE, ...compose, labels, environment },
      rancher: { scale },
      scale,
      global: labels['io.rancher.scheduler.global'] === 'true',
      sidekicks,
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
    const spec = containerSpec({ stack: source, service, instance, unitNames, linkAliases: [] });
    const owner = parseOwnership(spec.create.Labels);
    return {
      id: `c${nextId++}`,
      name: spec.name,
      host: hostName,
      image: spec.image,
      labels: spec.create.Labels,
      state: options.state ?? 'running',
      ...(options.exitCode === undefined ? {} : { exitCode: options.exitCode }),
      ports: [],
      ...(owner ? { owner } : {}),
    };
  });
}
