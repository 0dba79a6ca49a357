/**
 * Turns parsed docker-compose and rancher-compose documents into the services of a stack:
 * finds the services (v1 top level, v2/v3 under `services:`), normalises labels and
 * environment to maps, and merges each service's rancher-compose keys.
 */

import { type ComposeService, type DesiredService, linkTargets } from '../model/desired.js';
import { type Diagnostic, error, warning } from '../model/diagnostics.js';
import { SchedulingLabel } from '../model/labels.js';
import { ownValue, setOwn } from '../util/records.js';
import { commaList, isPlainObject, keyValueMap, stringMap } from '../util/values.js';
import { parseHealthCheck } from './health-check.js';
import { parseUpgradeStrategy } from './upgrade-strategy.js';

/** rancher-compose keys corral acts on; every other key is kept and reported. */
const RANCHER_KEYS_ACTED_ON = new Set(['scale', 'health_check', 'upgrade_strategy', 'min_ready']);
const CATALOG_SECTION = new Set(['.catalog', 'catalog']);
const V2_TOP_LEVEL = new Set(['version', 'services', 'volumes', 'networks', 'secrets', 'configs']);

export interface ComposeDocuments {
  docker: { file: string; value: unknown };
  rancher?: { file: string; value: unknown };
}

export interface ComposeModel {
  services: Record<string, DesiredService>;
  volumes: Record<string, Record<string, unknown>>;
  ignoredKeys: Diagnostic[];
  diagnostics: Diagnostic[];
}

export function buildServices(documents: ComposeDocuments): ComposeModel {
  const diagnostics: Diagnostic[] = [];
  const ignoredKeys: Diagnostic[] = [];
  const docker = servicesOf(documents.docker.value, documents.docker.file, diagnostics);
  const rancher = documents.rancher ? servicesOf(documents.rancher.value, documents.rancher.file, diagnostics) : undefined;
  const services: Record<string, DesiredService> = {};
  for (const [name, raw] of Object.entries(docker.services)) {
    if (name === '__proto__') {
      // Assigned, it would become the services record's prototype rather than a service of it.
      diagnostics.push(error(documents.docker.file, 'service "__proto__": not a usable service name; rename the service', { field: name }));
      continue;
    }
    const rancherKeys = (rancher && ownValue(rancher.services, name)) ?? {};
    services[name] = buildService(name, raw, rancherKeys, documents, diagnostics, ignoredKeys);
  }
  for (const name of Object.keys(rancher?.services ?? {}).filter((n) => !Object.hasOwn(docker.services, n))) {
    diagnostics.push(
      warning(
        documents.rancher?.file ?? '',
        `service "${name}" has rancher-compose settings but is not in ${documents.docker.file}: ignored`,
        { field: name },
      ),
    );
  }
  linkSidekicks(services, documents.docker.file, diagnostics);
  checkLinks(services, documents.docker.file, diagnostics);
  for (const key of [...docker.ignoredTopLevel, ...(rancher?.ignoredTopLevel ?? [])]) {
    ignoredKeys.push(warning(key.file, `top-level key "${key.key}" is kept but not acted on by corral`, { field: key.key }));
  }
  return { services, volumes: namedVolumes(docker.volumes, services), ignoredKeys, diagnostics };
}

interface ServicesOf {
  services: Record<string, Record<string, unknown>>;
  volumes: Record<string, Record<string, unknown>>;
  ignoredTopLevel: { file: string; key: string }[];
}

function servicesOf(document: unknown, file: string, diagnostics: Diagnostic[]): ServicesOf {
  const empty: ServicesOf = { services: {}, volumes: {}, ignoredTopLevel: [] };
  if (document === undefined || document === null) return empty;
  if (!isPlainObject(document)) {
    diagnostics.push(error(file, 'expected a mapping of services (compose v1) or `services:` (compose v2/v3)'));
    return empty;
  }
  const isV2 = isPlainObject(document['services']) || document['version'] !== undefined;
  const serviceMap = isV2 ? (document['services'] ?? {}) : document;
  const services: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(serviceMap as Record<string, unknown>)) {
    if (CATALOG_SECTION.has(name) || name.startsWith('x-')) continue;
    if (value === null) {
      setOwn(services, name, {});
      continue;
    }
    if (!isPlainObject(value)) {
      diagnostics.push(error(file, `service "${name}" must be a mapping of settings (image, ports, ...)`, { field: name }));
      continue;
    }
    // A `__proto__` entry stays an entry: refused in docker-compose.yml, warned about like any other rancher-only one.
    setOwn(services, name, value);
  }
  const ignoredTopLevel = isV2
    ? Object.keys(document)
        .filter((k) => !V2_TOP_LEVEL.has(k) && !CATALOG_SECTION.has(k) && !k.startsWith('x-'))
        .map((key) => ({ file, key }))
    : [];
  const declaredVolumes = isV2 && isPlainObject(document['volumes']) ? document['volumes'] : {};
  const volumes = Object.fromEntries(Object.entries(declaredVolumes).map(([name, spec]) => [name, isPlainObject(spec) ? spec : {}]));
  return { services, volumes, ignoredTopLevel };
}

function buildService(
  name: string,
  raw: Record<string, unknown>,
  rancherKeys: Record<string, unknown>,
  documents: ComposeDocuments,
  diagnostics: Diagnostic[],
  ignoredKeys: Diagnostic[],
): DesiredService {
  const dockerFile = documents.docker.file;
  const rancherFile = documents.rancher?.file ?? '';
  const compose: ComposeService = {
    ...raw,
    labels: toStringMap(raw['labels'], dockerFile, `${name}.labels`, diagnostics),
    environment: toEnvironment(raw['environment'], dockerFile, `${name}.environment`, diagnostics),
  };
  for (const key of Object.keys(rancherKeys).filter((k) => !RANCHER_KEYS_ACTED_ON.has(k))) {
    ignoredKeys.push(warning(rancherFile, `${name}.${key} is kept but not acted on by corral`, { field: `${name}.${key}` }));
  }
  const healthCheck = parseHealthCheck(rancherKeys['health_check'], rancherFile, name, diagnostics);
  const upgrade = parseUpgradeStrategy(rancherKeys['upgrade_strategy'], rancherKeys['min_ready'], rancherFile, name, diagnostics);
  return {
    name,
    compose,
    rancher: rancherKeys,
    scale: readScale(rancherKeys['scale'], rancherFile, name, diagnostics),
    global: (compose.labels[SchedulingLabel.global] ?? '').toLowerCase() === 'true',
    sidekicks: commaList(compose.labels[SchedulingLabel.sidekicks]),
    ...(healthCheck ? { healthCheck } : {}),
    ...(upgrade ? { upgrade } : {}),
  };
}

function readScale(value: unknown, file: string, service: string, diagnostics: Diagnostic[]): number {
  if (value === undefined || value === null || value === '') return 1;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  diagnostics.push(error(file, `${service}.scale must be a whole number ≥ 0, got ${JSON.stringify(value)}`, { field: `${service}.scale` }));
  return 1;
}

/** Marks each sidekick with its primary; a sidekick that is not a service fails the stack. */
function linkSidekicks(services: Record<string, DesiredService>, file: string, diagnostics: Diagnostic[]): void {
  for (const primary of Object.values(services)) {
    for (const sidekickName of primary.sidekicks) {
      // Own keys only: a label naming `toString` or `constructor` must not find Object.prototype's members.
      const sidekick = ownValue(services, sidekickName);
      if (!sidekick) {
        diagnostics.push(
          error(
            file,
            `service "${primary.name}" lists sidekick "${sidekickName}" (${SchedulingLabel.sidekicks}), which is not a service of this stack; services: ${Object.keys(services).join(', ')}`,
            { field: `${primary.name}.labels` },
          ),
        );
      } else if (sidekickName === primary.name || sidekick.sidekicks.length > 0) {
        diagnostics.push(
          error(
            file,
            `service "${sidekickName}" cannot be a sidekick of "${primary.name}": a sidekick cannot be its own primary or have sidekicks itself`,
            { field: `${primary.name}.labels` },
          ),
        );
      } else {
        // A sidekick listed by several primaries runs once in each of their units, as in Rancher.
        if (sidekick.primary === undefined) Object.assign(sidekick, { primary: primary.name, scale: primary.scale });
      }
    }
  }
}

/**
 * A `links` entry to a service of this stack (`db`, `db:alias`) that the stack does not have fails
 * the stack, as docker-compose refuses it; `<stack>/<service>` entries link to other stacks.
 */
function checkLinks(services: Record<string, DesiredService>, file: string, diagnostics: Diagnostic[]): void {
  for (const service of Object.values(services)) {
    const missing = linkTargets(service).filter((target) => !Object.hasOwn(services, target));
    for (const target of missing) {
      diagnostics.push(
        error(
          file,
          `service "${service.name}" links to "${target}", which is not a service of this stack; services: ${Object.keys(services).join(', ')} (a service of another stack is linked as <stack>/<service>)`,
          { field: `${service.name}.links` },
        ),
      );
    }
  }
}

/** Declared volumes plus every named volume a service mounts (`name:/path`). */
function namedVolumes(
  declared: Record<string, Record<string, unknown>>,
  services: Record<string, DesiredService>,
): Record<string, Record<string, unknown>> {
  const volumes = { ...declared };
  for (const service of Object.values(services)) {
    const mounts = Array.isArray(service.compose['volumes']) ? service.compose['volumes'] : [];
    for (const mount of mounts) {
      const source =
        typeof mount === 'string'
          ? (mount.split(':')[0] ?? '')
          : isPlainObject(mount) && mount['type'] === 'volume'
            ? String(mount['source'] ?? '')
            : '';
      if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source) && mountHasTarget(mount) && !Object.hasOwn(volumes, source)) volumes[source] = {};
    }
  }
  return volumes;
}

function mountHasTarget(mount: unknown): boolean {
  return typeof mount !== 'string' || mount.includes(':');
}

function toStringMap(value: unknown, file: string, field: string, diagnostics: Diagnostic[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) return keyValueMap(value, '=', '');
  if (isPlainObject(value)) return stringMap(value);
  diagnostics.push(error(file, `${field} must be a mapping or a list of key=value`, { field }));
  return {};
}

function toEnvironment(value: unknown, file: string, field: string, diagnostics: Diagnostic[]): Record<string, string | null> {
  // `KEY` alone (or `KEY:` with no value) is kept as null: the variable is passed through unset.
  if (Array.isArray(value)) return keyValueMap(value, '=', null);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null ? null : String(item)]));
  return toStringMap(value, file, field, diagnostics);
}
