/**
 * The controller's configuration (`--config FILE`): the Docker hosts corral manages, the webhook,
 * and the policy for stacks (./policy.ts).
 * Parsing is pure (text in, hosts or diagnostics out); ./load.ts reads the file.
 */
import { atLine, type Diagnostic, error } from '../model/diagnostics.js';
import type { Policy } from '../policy/types.js';
import { isPlainObject } from '../util/values.js';
import { parseYaml } from '../util/yaml.js';
import { type ApiConfig, parseApiSection } from './api.js';
import { type CatalogConfig, parseCatalogs } from './catalogs.js';
import { type HaConfig, parseHa } from './ha.js';
import { type HealthConfig, parseHealthSection } from './health.js';
import { parseHostDownGrace } from './host-down-grace.js';
import { type HostNetwork, parseHostNetwork } from './network.js';
import { parsePolicy } from './policy.js';
import { parseRequests, type RequestsConfig } from './requests.js';
import { type At, reportUnknownKeys } from './sections.js';
import { parseSsh, type SshFiles } from './ssh.js';

export type DockerEndpoint =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'tcp'; url: string; host: string; port: number; tls?: TlsFiles }
  | { kind: 'ssh'; url: string; host: string; port: number; username?: string; ssh?: SshFiles };

/** Paths of the client TLS files, as written in the config (relative paths resolved by the loader). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface HostConfig {
  name: string;
  docker: DockerEndpoint;
  /** Where users reach published ports. */
  address: string;
  /** Labels configured for the host; the daemon's own labels are merged under them. */
  labels: Record<string, string>;
  /** How stacks' containers on this host reach each other (./network.ts); absent means bridge. */
  network?: HostNetwork;
}

export interface CorralConfig {
  hosts: HostConfig[];
  /** Shared secret of push webhooks, read from the named environment variable (never from the file). */
  webhookSecretEnv?: string;
  /** Where the app store pushes request branches (./requests.ts). */
  requests?: RequestsConfig;
  /** Who may read the HTTP API, and its connection cap (./api.ts); defaults when absent. */
  api?: ApiConfig;
  /** Catalogs beside the repository's own (./catalogs.ts). */
  catalogs: CatalogConfig[];
  /** What stacks may use (./policy.ts); absent means DEFAULT_POLICY. */
  policy?: Policy;
  /** Leader election among replicas on etcd (./ha.ts); without it, this corral is the only one. */
  ha?: HaConfig;
  /** How long a host may be unreachable before its units are rescheduled (./host-down-grace.ts); default 5 minutes. */
  hostDownGraceMs?: number;
  /** How health checks are run (./health.ts). */
  health?: HealthConfig;
}

export type ConfigResult = { config: CorralConfig; diagnostics: Diagnostic[] } | { config?: undefined; diagnostics: Diagnostic[] };

const TOP_LEVEL_KEYS = ['hosts', 'webhook', 'requests', 'api', 'catalogs', 'policy', 'ha', 'host_down_grace', 'health'];
const HOST_KEYS = ['name', 'docker', 'address', 'labels', 'tls', 'ssh', 'network'];
const TLS_KEYS = ['ca', 'cert', 'key'];
const HOST_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const LOOPBACK = '127.0.0.1';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;
const DEFAULT_SSH_PORT = 22;

export function parseConfig(text: string, file: string): ConfigResult {
  const parsed = parseYaml(text, file);
  const diagnostics = [...parsed.diagnostics];
  const at = (path: (string | number)[]) => ({ field: path.join('.'), ...atLine(parsed.lineOf(path)) });
  if (parsed.value === undefined || parsed.value === null)
    return {
      diagnostics: withError(diagnostics, error(file, 'the config is empty or not valid YAML; expected `hosts:` with a list of hosts')),
    };
  if (!isPlainObject(parsed.value)) return { diagnostics: [...diagnostics, error(file, 'expected a mapping with a `hosts:` list')] };
  for (const key of Object.keys(parsed.value).filter((k) => !TOP_LEVEL_KEYS.includes(k))) {
    diagnostics.push(error(file, `unknown key "${key}"; accepted: ${TOP_LEVEL_KEYS.join(', ')}`, at([key])));
  }
  const rawHosts = parsed.value['hosts'];
  if (!Array.isArray(rawHosts) || rawHosts.length === 0) {
    diagnostics.push(error(file, 'hosts: expected a non-empty list of hosts, each with name and docker', at(['hosts'])));
    return { diagnostics };
  }
  const hosts: HostConfig[] = [];
  rawHosts.forEach((raw, index) => {
    const host = parseHost(raw, index, file, at, diagnostics);
    if (!host) return;
    if (hosts.some((h) => h.name === host.name)) {
      diagnostics.push(
        error(
          file,
          `hosts[${index}].name: duplicate host name "${host.name}"; every host needs its own name`,
          at(['hosts', index, 'name']),
        ),
      );
      return;
    }
    hosts.push(host);
  });
  const webhookSecretEnv = parseWebhook(parsed.value['webhook'], file, at(['webhook']), diagnostics);
  const requests = parseRequests(parsed.value['requests'], file, at, diagnostics);
  const api = parseApiSection(parsed.value['api'], file, at, diagnostics);
  const catalogs = parseCatalogs(parsed.value['catalogs'], file, at, diagnostics);
  const policy = parsePolicy(parsed.value['policy'], file, at, diagnostics);
  const ha = parseHa(parsed.value['ha'], file, at, diagnostics);
  const hostDownGraceMs = parseHostDownGrace(parsed.value['host_down_grace'], file, at(['host_down_grace']), diagnostics);
  const health = parseHealthSection(parsed.value['health'], file, at(['health']), diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    config: {
      hosts,
      catalogs,
      ...(webhookSecretEnv ? { webhookSecretEnv } : {}),
      ...(requests ? { requests } : {}),
      ...(api ? { api } : {}),
      policy,
      ...(ha ? { ha } : {}),
      hostDownGraceMs,
      ...(health ? { health } : {}),
    },
    diagnostics,
  };
}

/** `webhook: {secret_env: NAME}`: the secret itself stays out of the file, in an environment variable. */
function parseWebhook(raw: unknown, file: string, where: { field: string; line?: number }, diagnostics: Diagnostic[]): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const accepted = 'expected `webhook: {secret_env: NAME}` naming the environment variable that holds the shared secret';
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `webhook: ${accepted}`, where));
    return undefined;
  }
  reportUnknownKeys(raw, ['secret_env'], (key, message) => diagnostics.push(error(file, `webhook.${key}: ${message}`, where)));
  const name = raw['secret_env'];
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    diagnostics.push(error(file, `webhook.secret_env: ${accepted}`, where));
    return undefined;
  }
  return name;
}

/** The configuration without a config file: the local Docker daemon as host `local`. */
export function defaultConfig(dockerHost: string | undefined): CorralConfig {
  const url = dockerHost && dockerHost !== '' ? dockerHost : 'unix:///var/run/docker.sock';
  const endpoint = parseEndpoint(url);
  if ('problem' in endpoint) throw new Error(`DOCKER_HOST=${url}: ${endpoint.problem}`);
  return { hosts: [{ name: 'local', docker: endpoint.endpoint, address: defaultAddress(endpoint.endpoint), labels: {} }], catalogs: [] };
}

function parseHost(raw: unknown, index: number, file: string, at: At, diagnostics: Diagnostic[]): HostConfig | undefined {
  const where = `hosts[${index}]`;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `${where}: expected a mapping with name, docker, address, labels, network`, at(['hosts', index])));
    return undefined;
  }
  const before = diagnostics.length;
  reportUnknownKeys(raw, HOST_KEYS, (key, message) =>
    diagnostics.push(error(file, `${where}.${key}: ${message}`, at(['hosts', index, key]))),
  );
  const name = typeof raw['name'] === 'string' ? raw['name'] : '';
  if (!HOST_NAME.test(name)) {
    diagnostics.push(
      error(
        file,
        `${where}.name: expected a lowercase name of letters, digits, '.' and '-', got ${JSON.stringify(raw['name'] ?? null)}`,
        at(['hosts', index, 'name']),
      ),
    );
  }
  const endpoint = typeof raw['docker'] === 'string' ? parseEndpoint(raw['docker']) : { problem: 'missing' };
  if ('problem' in endpoint) {
    diagnostics.push(
      error(
        file,
        `${where}.docker: ${endpoint.problem}; expected unix:///path/docker.sock, tcp://host:port or ssh://user@host`,
        at(['hosts', index, 'docker']),
      ),
    );
  }
  const tls = parseTls(raw['tls'], `${where}.tls`, file, at(['hosts', index, 'tls']), diagnostics);
  if (tls && 'endpoint' in endpoint && endpoint.endpoint.kind !== 'tcp') {
    diagnostics.push(error(file, `${where}.tls: only a tcp:// endpoint uses TLS files`, at(['hosts', index, 'tls'])));
  }
  const ssh = parseSsh(raw['ssh'], `${where}.ssh`, file, at(['hosts', index, 'ssh']), diagnostics);
  if (ssh && 'endpoint' in endpoint && endpoint.endpoint.kind !== 'ssh') {
    diagnostics.push(error(file, `${where}.ssh: only an ssh:// endpoint uses ssh files`, at(['hosts', index, 'ssh'])));
  }
  const address = raw['address'];
  if (address !== undefined && (typeof address !== 'string' || address.trim() === '')) {
    diagnostics.push(
      error(file, `${where}.address: expected the IP address or DNS name users reach the host at`, at(['hosts', index, 'address'])),
    );
  }
  const labels = parseLabels(raw['labels'], `${where}.labels`, file, at(['hosts', index, 'labels']), diagnostics);
  const network = parseHostNetwork(raw['network'], `${where}.network`, file, at(['hosts', index, 'network']), diagnostics);
  if (diagnostics.length > before || !('endpoint' in endpoint)) return undefined;
  const docker = withTransportFiles(endpoint.endpoint, raw['docker'] as string, tls, ssh);
  return {
    name,
    docker,
    address: typeof address === 'string' ? address.trim() : defaultAddress(docker),
    labels,
    ...(network ? { network } : {}),
  };
}

function withTransportFiles(endpoint: DockerEndpoint, url: string, tls?: TlsFiles, ssh?: SshFiles): DockerEndpoint {
  if (endpoint.kind === 'tcp' && tls) return { ...endpoint, tls, port: portOr(endpoint, url, DEFAULT_TLS_PORT) };
  if (endpoint.kind === 'ssh' && ssh) return { ...endpoint, ssh };
  return endpoint;
}

function portOr(endpoint: { port: number }, url: string, fallback: number): number {
  return /:\d+\/?$/.test(url) ? endpoint.port : fallback;
}

function parseEndpoint(url: string): { endpoint: DockerEndpoint } | { problem: string } {
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) return { problem: `${JSON.stringify(url)} needs an absolute socket path` };
    return { endpoint: { kind: 'unix', url, socketPath } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: `${JSON.stringify(url)} is not a URL` };
  }
  if (parsed.hostname === '') return { problem: `${JSON.stringify(url)} names no host` };
  if (parsed.protocol === 'tcp:') {
    return { endpoint: { kind: 'tcp', url, host: parsed.hostname, port: parsed.port === '' ? DEFAULT_TCP_PORT : Number(parsed.port) } };
  }
  if (parsed.protocol === 'ssh:') {
    const username = decodeURIComponent(parsed.username);
    return {
      endpoint: {
        kind: 'ssh',
        url,
        host: parsed.hostname,
        port: parsed.port === '' ? DEFAULT_SSH_PORT : Number(parsed.port),
        ...(username ? { username } : {}),
      },
    };
  }
  return { problem: `unsupported scheme "${parsed.protocol.replace(/:$/, '')}"` };
}

function defaultAddress(endpoint: DockerEndpoint): string {
  return endpoint.kind === 'unix' ? LOOPBACK : endpoint.host.replace(/^\[|\]$/g, '');
}

function parseTls(
  raw: unknown,
  where: string,
  file: string,
  position: { field: string; line?: number },
  diagnostics: Diagnostic[],
): TlsFiles | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `${where}: expected a mapping with ca, cert and key file paths`, position));
    return undefined;
  }
  const before = diagnostics.length;
  reportUnknownKeys(raw, TLS_KEYS, (key, message) => diagnostics.push(error(file, `${where}.${key}: ${message}`, position)));
  for (const key of TLS_KEYS.filter((k) => typeof raw[k] !== 'string' || raw[k] === ''))
    diagnostics.push(error(file, `${where}.${key}: expected a file path`, position));
  if (diagnostics.length > before) return undefined;
  return { ca: String(raw['ca']), cert: String(raw['cert']), key: String(raw['key']) };
}

function parseLabels(
  raw: unknown,
  where: string,
  file: string,
  position: { field: string; line?: number },
  diagnostics: Diagnostic[],
): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `${where}: expected a mapping of label: value`, position));
    return {};
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isPlainObject(value) || Array.isArray(value)) {
      diagnostics.push(error(file, `${where}.${key}: expected a string value`, position));
      continue;
    }
    labels[key] = value === null ? '' : String(value);
  }
  return labels;
}

function withError(diagnostics: Diagnostic[], fallback: Diagnostic): Diagnostic[] {
  return diagnostics.some((d) => d.severity === 'error') ? diagnostics : [...diagnostics, fallback];
}
