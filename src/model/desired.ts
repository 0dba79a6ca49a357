/**
 * The desired state of a stack: what render produces from the GitOps repository.
 * Plain data, JSON-serialisable, no methods, so it can be printed, hashed and compared.
 */

import { ownValue } from '../util/records.js';
import { listItems } from '../util/values.js';
import type { Diagnostic } from './diagnostics.js';
import type { HealthCheckSpec } from './health.js';

export interface TemplateRef {
  /** Catalog name (`library` for the repository's own catalog/). */
  catalog: string;
  /** Template id inside the catalog, e.g. `etcd` or `infra*bind9` for infra-templates. */
  template: string;
  /** The version folder name, e.g. `0`, `1`, `1.2.0`. */
  folder: string;
  /** The version string from `.catalog.version` in rancher-compose.yml. */
  version: string;
  /** Semver range of versions this one may be upgraded from (`.catalog.upgrade_from`). */
  upgradeFrom?: string;
}

/** A docker-compose service after templating, parsing and interpolation. Keys as compose spells them. */
export type ComposeService = Record<string, unknown> & {
  image?: string;
  /** Normalised to a map (compose allows a list of `k=v` too). */
  labels: Record<string, string>;
  /** Normalised to a map; a bare `KEY` (take from the environment) maps to null. */
  environment: Record<string, string | null>;
};

export interface DesiredService {
  name: string;
  /** docker-compose keys; rancher-compose keys are not in here. */
  compose: ComposeService;
  /** rancher-compose keys for this service, as written (after interpolation). */
  rancher: Record<string, unknown>;
  /** Number of deployment units to run (rancher-compose `scale`, default 1). Ignored for global services. */
  scale: number;
  /** `io.rancher.scheduler.global: "true"`: one unit on every eligible host. */
  global: boolean;
  /** Services that form one deployment unit with this one (`io.rancher.sidekicks`), in order. */
  sidekicks: string[];
  /**
   * Set on a sidekick: the (first) primary that lists it. A sidekick listed by several
   * primaries runs in each of their units, as in Rancher; use `unitServices` for a unit's members.
   */
  primary?: string;
  /** rancher-compose `health_check`, carried out by the daemon's probes. */
  healthCheck?: HealthCheckSpec;
  /** rancher-compose `upgrade_strategy` and `min_ready`; absent: the defaults (render/upgrade-strategy.ts). */
  upgrade?: UpgradeStrategySpec;
}

/** Rancher's defaults: batches of 1, 2 s between batches, stop-first; corral's min_ready 5 s. */
export const UPGRADE_DEFAULTS: UpgradeStrategySpec = { batchSize: 1, intervalMs: 2000, startFirst: false, minReadyMs: 5000 };

/** A new container not healthy within this time fails its upgrade gate (Rancher's initializing_timeout default). */
export const GATE_TIMEOUT_MS = 60_000;

/** How a service's changed containers are replaced. Times in milliseconds. */
export interface UpgradeStrategySpec {
  /** Deployment units replaced at once. */
  batchSize: number;
  /** Pause after a batch passed its gate, before the next one starts. */
  intervalMs: number;
  /** Start the new container before the old one stops (when no published host port is in the way). */
  startFirst: boolean;
  /** With no health check at all: how long a new container must run, not restarting, to pass the gate. */
  minReadyMs: number;
}

export interface DesiredStack {
  /** The stack's folder name under stacks/: a lowercase DNS label. */
  name: string;
  template: TemplateRef;
  /** Git revision the stack was read from, when the source is a git repository. */
  revision?: string;
  /** Every variable (answers and defaults) as a string. */
  variables: Record<string, string>;
  /** Variables whose values must never be shown (password, secret and certificate-key answers). */
  secretVariables: string[];
  services: Record<string, DesiredService>;
  /** Top-level named volumes (compose v2/v3 `volumes:`), with their driver options. */
  volumes: Record<string, Record<string, unknown>>;
  /** Keys corral keeps but does not act on, reported so that nothing is dropped silently. */
  ignoredKeys: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * The stack's service of that name, for a name from outside the services record (a placement, an
 * observed container's label, a link, a sidekick label): own keys only, so `constructor` or
 * `__proto__` is no service.
 */
export function serviceNamed(stack: DesiredStack, name: string): DesiredService | undefined {
  return ownValue(stack.services, name);
}

/**
 * The services of its own stack that a service's `links` name (`db`, `db:alias` → db), each once,
 * in the order written; `<stack>/<service>` entries link to other stacks and are not among them.
 */
export function linkTargets(service: DesiredService): string[] {
  return [...new Set(listItems(service.compose['links']).flatMap((link) => (link.includes('/') ? [] : [link.split(':')[0] ?? ''])))];
}

/** The deployment unit of a primary service: the primary and its sidekicks, always on one host. */
export function unitServices(stack: DesiredStack, primary: DesiredService): DesiredService[] {
  const sidekicks = primary.sidekicks.map((name) => serviceNamed(stack, name)).filter((s): s is DesiredService => s !== undefined);
  return [primary, ...sidekicks];
}

/** Services that head a deployment unit (every service that is not a sidekick), in name order. */
export function primaryServices(stack: DesiredStack): DesiredService[] {
  return Object.values(stack.services)
    .filter((service) => service.primary === undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}
