/**
 * From a compose service to the body of Docker's `POST /containers/create`.
 * Every compose key is either applied (and hashed), or reported as a warning: nothing is
 * dropped silently. References inside a deployment unit (volumes_from, network_mode
 * container:/service:, v1 `net:`) resolve to the unit's own container names. The stack
 * network (a host bridge or the swarm's overlay), other stacks' networks joined for
 * external_links and the /etc/hosts names of host-network services are part of the request and
 * of the hash (./networks.ts, ./host-names.ts).
 */
import type { DesiredService, DesiredStack } from '../model/desired.js';
import { CorralLabel, RancherLabel, SchedulingLabel } from '../model/labels.js';
import { deploymentUnitId, rancherSystemLabels } from '../model/naming.js';
import { copyInto, mergeRecords, ownValue } from '../util/records.js';
import { keyValueMap, stringMap } from '../util/values.js';
import { type Parsed, parseDuration, parsePort, parseSize, parseVolumeMount, splitShellWords, stringList } from './compose-values.js';
import { formatKeyHashes, HashMemo, JsonSlot, JsonText, jsonString, keyHashes, StableJsonTemplate, sha256, stableJson } from './hash.js';
import {
  type ExternalLink,
  externalLinksOf,
  externalLinkTarget,
  malformedExternalLinks,
  type NetworkDriver,
  networkNameFor,
  serviceAliases,
} from './networks.js';
import type { ContainerCreateSpec, NetworkJoin, VolumeSpec } from './types.js';

export { stackNetworkName } from './networks.js';

export interface ContainerContext {
  stack: DesiredStack;
  service: DesiredService;
  instance: number;
  /** Container name of every service of the unit, for this instance. */
  unitNames: Record<string, string>;
  /** Aliases other services of the stack give this one through `links: [svc:alias]`. */
  linkAliases: readonly string[];
  /** The kind of stack network on the container's host (the host's `network:` setting); bridge by default. */
  networkDriver?: NetworkDriver;
  /**
   * Other stack → its network on the container's host, for the stacks this container links to
   * that are in the repository. A linked stack missing here is not joined (and not in the hash).
   */
  externalNetworks?: ReadonlyMap<string, string>;
  /** `name:address` lines for /etc/hosts: the names of `net: host` services this container reaches (./host-names.ts). */
  hostNames?: readonly string[];
}

/** The fields of a ServiceSpec, as `serviceSpec` works them out. */
export interface ServiceSpecFields {
  stack: DesiredStack;
  service: DesiredService;
  image: string;
  /** The request's top-level fields between `name` and `Image` (with a `Hostname` that each instance sets to its name when `hostnameIsName`). */
  config: Record<string, unknown>;
  host: Record<string, unknown>;
  /** The container's aliases on the stack network (none when it is not on it). */
  aliases: string[];
  /** io.rancher.container.hostname_override: container_name. */
  hostnameIsName: boolean;
  /** What the per-key hashes are made of besides the compose values applied and the fields below (keyInputs). */
  keyExtras: KeyExtras;
  hashMemo: HashMemo;
  /** Services of the unit this container needs first (volumes_from, network_mode container:). */
  references: string[];
  /** The stack network, when the container joins it. */
  network: string | undefined;
  /** overlay when `network` is the swarm's (created through a manager), bridge when it is the host's. */
  networkDriver: NetworkDriver | undefined;
  /** Other stacks' networks the container joins after it is created (external_links). */
  joins: NetworkJoin[];
  volumes: VolumeSpec[];
  pullAlways: boolean;
  startOnce: boolean;
  warnings: string[];
  /** Values that could not be read, by compose key (each also in `warnings`): the policy refuses what it cannot check. */
  notApplied: { key: string; problem: string }[];
}

/**
 * What a container's spec shares with the other instances of its service on hosts with the same
 * networking (./container-specs.ts): everything but the name and labels. Made by `serviceSpec`;
 * nothing may change it (or what it holds) once made.
 */
export class ServiceSpec implements ServiceSpecFields {
  readonly stack: DesiredStack;
  readonly service: DesiredService;
  readonly image: string;
  readonly config: Record<string, unknown>;
  readonly host: Record<string, unknown>;
  readonly aliases: string[];
  readonly hostnameIsName: boolean;
  readonly keyExtras: KeyExtras;
  readonly hashMemo: HashMemo;
  readonly references: string[];
  readonly network: string | undefined;
  readonly networkDriver: NetworkDriver | undefined;
  readonly joins: NetworkJoin[];
  readonly volumes: VolumeSpec[];
  readonly pullAlways: boolean;
  readonly startOnce: boolean;
  readonly warnings: string[];
  readonly notApplied: { key: string; problem: string }[];
  #keyHashes?: Record<string, string>;
  #keyHashesLabel?: string;
  #requestTemplate?: Record<string, unknown>;
  #labelsTemplate?: Record<string, string>;
  #networkingConfig?: Record<string, unknown>;

  constructor(fields: ServiceSpecFields) {
    this.stack = fields.stack;
    this.service = fields.service;
    this.image = fields.image;
    this.config = fields.config;
    this.host = fields.host;
    this.aliases = fields.aliases;
    this.hostnameIsName = fields.hostnameIsName;
    this.keyExtras = fields.keyExtras;
    this.hashMemo = fields.hashMemo;
    this.references = fields.references;
    this.network = fields.network;
    this.networkDriver = fields.networkDriver;
    this.joins = fields.joins;
    this.volumes = fields.volumes;
    this.pullAlways = fields.pullAlways;
    this.startOnce = fields.startOnce;
    this.warnings = fields.warnings;
    this.notApplied = fields.notApplied;
  }

  /**
   * The compose values (and resolved values) the request is built from, for the per-key hashes:
   * made when they are, since a plan that leaves the service's containers alone reads neither.
   */
  get keyInputs(): Record<string, unknown> {
    return keyInputsOf(this);
  }

  /** Short hash per compose key (and per top-level volume declaration used), made when first asked for (a create or a replace's cause). */
  get keyHashes(): Record<string, string> {
    this.#keyHashes ??= keyHashes(this.keyInputs, this.hashMemo);
    return this.#keyHashes;
  }

  /** The per-key hashes as the label shows them. */
  get keyHashesLabel(): string {
    this.#keyHashesLabel ??= formatKeyHashes(this.keyHashes);
    return this.#keyHashesLabel;
  }

  /** `{ EndpointsConfig: { [network]: { Aliases } } }` when the container is on the stack network, made for the first create. */
  get networkingConfig(): Record<string, unknown> | undefined {
    if (this.network === undefined) return undefined;
    this.#networkingConfig ??= endpointsConfig(this.network, this.aliases);
    return this.#networkingConfig;
  }

  /** What the create requests of the instances share (./createRequest), made for the first one. */
  get requestTemplate(): Readonly<Record<string, unknown>> {
    this.#requestTemplate ??= requestTemplate(this);
    return this.#requestTemplate;
  }

  get labelsTemplate(): Readonly<Record<string, string>> {
    this.#labelsTemplate ??= labelsTemplate(this);
    return this.#labelsTemplate;
  }
}

/** What keyInputsOf needs besides a ServiceSpec's fields. */
export interface KeyExtras {
  /** Values that replace the compose value in the hash, where the applied value is resolved (Builder.resolved). */
  resolved: Record<string, unknown>;
  /** The host-network names added to /etc/hosts (addHostNames). */
  hostNames: string[];
  /** The service links to other stacks (external_links, or links naming a stack). */
  linksOtherStacks: boolean;
}

/**
 * The per-key hash inputs: each compose key applied with its value (in the compose order), the
 * resolved values over them, then the aliases, an overlay network, the host names and the joins
 * for external links, each where the container has them.
 */
function keyInputsOf(spec: ServiceSpec): Record<string, unknown> {
  const { compose } = spec.service;
  const { resolved, hostNames, linksOtherStacks } = spec.keyExtras;
  const inputs: Record<string, unknown> = {};
  for (const key of Object.keys(compose)) {
    const value = compose[key];
    if (value !== undefined && value !== null && ownValue(APPLIED, key)) inputs[key] = value;
  }
  Object.assign(inputs, resolved);
  if (spec.network) inputs['aliases'] = spec.aliases;
  if (spec.network && spec.networkDriver === 'overlay') inputs['network'] = spec.networkDriver;
  if (hostNames.length > 0) inputs['host_names'] = hostNames;
  if (linksOtherStacks && spec.network) inputs['external_links'] = spec.joins;
  return inputs;
}

/**
 * The stable JSON of services' hashed requests (hashedRequest), each made when an instance's hash
 * is first read and kept for the instances of the service while it is `open` — while the stack is
 * planned (./container-specs.ts). Once closed it keeps none: a hash read later (a create's
 * label, when its request is built after the plan) makes its service's again (about 20 µs).
 */
export class HashedRequests {
  #byService: Map<ServiceSpec, StableJsonTemplate> | undefined;

  constructor(open = true) {
    this.#byService = open ? new Map() : undefined;
  }

  of(shared: ServiceSpec): StableJsonTemplate {
    if (this.#byService === undefined) return hashedRequest(shared);
    let hashed = this.#byService.get(shared);
    if (!hashed) this.#byService.set(shared, (hashed = hashedRequest(shared)));
    return hashed;
  }

  close(): void {
    this.#byService = undefined;
  }
}

const CLOSED = new HashedRequests(false);

/**
 * One container's spec: its name, its config hash, and what its service's instances share
 * (`shared`). The config hash is made when first read — a plan reads it where a container exists
 * (to compare), and a create reads it for its label — from the stable JSON of the service's
 * hashed request (HashedRequests): the SHA-256 of the create request's stable JSON without
 * corral's labels (see hashedRequest), worked out without building the request. A cold plan
 * hashes nothing. The create request is built when first asked for — a plan asks only for the
 * containers it creates — and is the same request whenever it is built.
 */
export class ContainerPlanSpec {
  #create?: ContainerCreateSpec;
  #hash?: string;
  /** Where the hash's text comes from, until the hash is made. */
  #hashedRequests?: HashedRequests;

  constructor(
    readonly shared: ServiceSpec,
    readonly name: string,
    readonly instance: number,
    hashedRequests: HashedRequests = CLOSED,
  ) {
    this.#hashedRequests = hashedRequests;
  }

  /** The config hash (io.corral.config-hash): the SHA-256 of the hashed request with this instance's name and deployment unit. */
  get hash(): string {
    if (this.#hash === undefined) {
      const hashed = (this.#hashedRequests ?? CLOSED).of(this.shared);
      this.#hash = sha256(hashed.fill([this.name, deploymentUnitOf(this.shared, this.instance)]));
      this.#hashedRequests = undefined;
    }
    return this.#hash;
  }

  /** The body of Docker's `POST /containers/create`, corral's labels included. */
  get create(): ContainerCreateSpec {
    this.#create ??= createRequest(this);
    return this.#create;
  }
}

export function stackVolumeName(stack: string, volume: string): string {
  return `${stack}_${volume}`;
}

/** Keys with no effect on the container: reported, and left out of the config hash. */
const NOT_APPLIED: Record<string, string> = {
  build: 'corral does not build images; use a pushed image',
  container_name: 'corral names containers <stack>-<service>-<n>',
  depends_on: 'start order is not enforced; containers of a stack start together',
  deploy: 'swarm settings are not used; scale comes from rancher-compose',
  env_file: 'files next to the template are not read; use environment',
  extends: 'not supported',
  networks: 'every stack gets its own network: corral-<stack> on a bridge host, corral-<stack>_overlay across the swarm',
  scale: 'scale comes from rancher-compose',
};

interface Builder {
  ctx: ContainerContext;
  config: Record<string, unknown>;
  host: Record<string, unknown>;
  /** Values that replace the compose value in the hash, where the applied value is resolved. */
  resolved: Record<string, unknown>;
  references: string[];
  volumes: VolumeSpec[];
  networkMode?: string;
  warnings: string[];
  notApplied: { key: string; problem: string }[];
}

type Handler = (value: unknown, b: Builder, key: string) => void;

const direct =
  (field: string, target: 'config' | 'host', convert: (v: unknown) => unknown = (v) => v): Handler =>
  (value, b) => {
    b[target][field] = convert(value);
  };
const asString = (v: unknown) => String(v);
const asBoolean = (v: unknown) => v === true || String(v).toLowerCase() === 'true';
const asInteger = (v: unknown) => Math.trunc(Number(v));
const list = (field: string, target: 'config' | 'host'): Handler => direct(field, target, stringList);

function parsed<T>(result: Parsed<T>, b: Builder, key: string, apply: (value: T) => void): void {
  if (!('problem' in result)) return apply(result.value);
  b.warnings.push(`${key}: ${result.problem}; not applied`);
  b.notApplied.push({ key, problem: result.problem });
}

const size =
  (field: string): Handler =>
  (value, b, key) =>
    parsed(parseSize(value), b, key, (bytes) => {
      b.host[field] = bytes;
    });

const APPLIED: Record<string, Handler> = {
  image: direct('Image', 'config', asString),
  command: (value, b, key) => commandLike('Cmd', value, b, key),
  entrypoint: (value, b, key) => commandLike('Entrypoint', value, b, key),
  environment: (value, b) => {
    const environment = value as Record<string, string | null>;
    const env: string[] = [];
    const unset: string[] = [];
    for (const key of Object.keys(environment)) {
      const variable = environment[key];
      if (variable === null) unset.push(key);
      else env.push(`${key}=${variable}`);
    }
    if (unset.length > 0)
      b.warnings.push(
        `environment: ${unset.join(', ')} ha${unset.length === 1 ? 's' : 've'} no value (compose would take it from the shell); not set`,
      );
    b.config['Env'] = env;
  },
  labels: () => undefined, // written with the system and ownership labels below
  hostname: direct('Hostname', 'config', asString),
  domainname: direct('Domainname', 'config', asString),
  user: direct('User', 'config', asString),
  working_dir: direct('WorkingDir', 'config', asString),
  tty: direct('Tty', 'config', asBoolean),
  stdin_open: direct('OpenStdin', 'config', asBoolean),
  mac_address: direct('MacAddress', 'config', asString),
  stop_signal: direct('StopSignal', 'config', asString),
  stop_grace_period: (value, b, key) =>
    parsed(parseDuration(value), b, key, (ns) => {
      b.config['StopTimeout'] = Math.ceil(ns / 1e9);
    }),
  ports: (value, b, key) => {
    for (const entry of Array.isArray(value) ? value : [value]) {
      parsed(parsePort(entry), b, key, (mappings) => {
        for (const m of mappings) {
          exposePort(b, m.containerPort);
          const bindings = (b.host['PortBindings'] ??= {}) as Record<string, unknown[]>;
          (bindings[m.containerPort] ??= []).push({ HostIp: m.hostIp, HostPort: m.hostPort });
        }
      });
    }
  },
  expose: (value, b, key) => {
    for (const entry of stringList(value)) {
      parsed(parsePort(entry), b, key, (mappings) => {
        for (const m of mappings) exposePort(b, m.containerPort);
      });
    }
  },
  volumes: (value, b, key) => {
    for (const entry of Array.isArray(value) ? value : [value]) parsed(parseVolumeMount(entry), b, key, (mount) => addMount(b, mount));
  },
  volume_driver: direct('VolumeDriver', 'host', asString),
  volumes_from: (value, b) => {
    b.host['VolumesFrom'] = stringList(value).map((entry) => {
      const [source = '', mode] = entry.startsWith('container:') ? [entry] : entry.split(':');
      const resolved = resolveUnitReference(source.replace(/^service:/, ''), b, 'volumes_from');
      return mode ? `${resolved}:${mode}` : resolved;
    });
    b.resolved['volumes_from'] = b.host['VolumesFrom'];
  },
  network_mode: (value, b) => setNetworkMode(String(value), b, 'network_mode'),
  net: (value, b) => setNetworkMode(String(value), b, 'net'),
  // Links inside the stack need nothing here: the linked service's containers carry the alias.
  // Entries naming another stack are external links, joined below.
  links: () => undefined,
  external_links: (_value, b, key) => {
    const malformed = malformedExternalLinks(b.ctx.service);
    if (malformed.length > 0)
      b.warnings.push(`${key}: ${malformed.join(', ')}: expected <stack>/<service> or <stack>/<service>:<alias>; not applied`);
  },
  restart: (value, b, key) => {
    const match = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(String(value));
    if (!match) {
      b.warnings.push(
        `${key}: ${JSON.stringify(value)} is not a restart policy; expected no, always, unless-stopped or on-failure[:N]; not applied`,
      );
      return;
    }
    b.host['RestartPolicy'] = { Name: match[1] === 'no' ? '' : match[1], MaximumRetryCount: match[2] === undefined ? 0 : Number(match[2]) };
  },
  cap_add: list('CapAdd', 'host'),
  cap_drop: list('CapDrop', 'host'),
  privileged: direct('Privileged', 'host', asBoolean),
  read_only: direct('ReadonlyRootfs', 'host', asBoolean),
  init: direct('Init', 'host', asBoolean),
  devices: (value, b) => {
    b.host['Devices'] = stringList(value).map((device) => {
      const [onHost = '', inContainer, permissions] = device.split(':');
      return { PathOnHost: onHost, PathInContainer: inContainer ?? onHost, CgroupPermissions: permissions ?? 'rwm' };
    });
  },
  ulimits: (value, b, key) => {
    if (typeof value !== 'object' || value === null)
      return void b.warnings.push(`${key}: expected a mapping of name: limit or name: {soft, hard}; not applied`);
    b.host['Ulimits'] = Object.entries(value).map(([name, limit]) => {
      const { soft, hard } =
        typeof limit === 'object' && limit !== null ? (limit as { soft?: unknown; hard?: unknown }) : { soft: limit, hard: limit };
      return { Name: name, Soft: Number(soft), Hard: Number(hard) };
    });
  },
  extra_hosts: (value, b) => {
    b.host['ExtraHosts'] = Array.isArray(value)
      ? value.map(String)
      : Object.entries((value ?? {}) as Record<string, unknown>).map(([host, ip]) => `${host}:${String(ip)}`);
  },
  dns: list('Dns', 'host'),
  dns_search: list('DnsSearch', 'host'),
  dns_opt: list('DnsOptions', 'host'),
  healthcheck: (value, b, key) => setHealthcheck(value, b, key),
  logging: (value, b) => {
    const logging = (value ?? {}) as { driver?: unknown; options?: Record<string, unknown> };
    b.host['LogConfig'] = { Type: String(logging.driver ?? ''), Config: stringMap(logging.options) };
  },
  log_driver: (value, b) => {
    b.host['LogConfig'] = { ...(b.host['LogConfig'] as object), Type: String(value) };
  },
  log_opt: (value, b) => {
    b.host['LogConfig'] = { Type: '', ...(b.host['LogConfig'] as object), Config: stringMap(value) };
  },
  mem_limit: size('Memory'),
  memswap_limit: size('MemorySwap'),
  mem_reservation: size('MemoryReservation'),
  shm_size: size('ShmSize'),
  mem_swappiness: direct('MemorySwappiness', 'host', asInteger),
  cpu_shares: direct('CpuShares', 'host', asInteger),
  cpu_quota: direct('CpuQuota', 'host', asInteger),
  cpu_period: direct('CpuPeriod', 'host', asInteger),
  cpuset: direct('CpusetCpus', 'host', asString),
  cpus: direct('NanoCpus', 'host', (v) => Math.round(Number(v) * 1e9)),
  oom_score_adj: direct('OomScoreAdj', 'host', asInteger),
  oom_kill_disable: direct('OomKillDisable', 'host', asBoolean),
  pids_limit: direct('PidsLimit', 'host', asInteger),
  pid: direct('PidMode', 'host', asString),
  ipc: direct('IpcMode', 'host', asString),
  uts: direct('UTSMode', 'host', asString),
  userns_mode: direct('UsernsMode', 'host', asString),
  cgroup_parent: direct('CgroupParent', 'host', asString),
  security_opt: list('SecurityOpt', 'host'),
  group_add: list('GroupAdd', 'host'),
  sysctls: (value, b) => {
    b.host['Sysctls'] = Array.isArray(value) ? keyValueMap(value, '=', '') : stringMap(value);
  },
  tmpfs: (value, b) => {
    b.host['Tmpfs'] = keyValueMap(stringList(value), ':', '');
  },
};

/** `hashMemo`: digests shared by the containers of one plan. */
export function containerSpec(ctx: ContainerContext, hashMemo?: HashMemo): ContainerPlanSpec {
  return instanceSpec(serviceSpec(ctx, hashMemo), ctx);
}

/**
 * What the instances of the context's service share on hosts with the context's networking. For
 * a service that refers to its unit's containers (volumes_from, network_mode container:) it is
 * this instance's alone.
 */
export function serviceSpec(ctx: ContainerContext, hashMemo: HashMemo = new HashMemo()): ServiceSpec {
  const { stack, service } = ctx;
  const name = ctx.unitNames[service.name] ?? service.name;
  const b: Builder = { ctx, config: {}, host: {}, resolved: {}, references: [], volumes: [], warnings: [], notApplied: [] };
  const { compose } = service;
  // Object.keys, not Object.entries: no [key, value] array per key (a fresh plan makes a spec for every service).
  for (const key of Object.keys(compose)) {
    const value = compose[key];
    if (value === undefined || value === null) continue;
    // Own keys only: a compose key named like an Object.prototype member (constructor, __proto__) is unsupported, not applied.
    const handler = ownValue(APPLIED, key);
    if (handler) handler(value, b, key);
    else b.warnings.push(`${key}: ${ownValue(NOT_APPLIED, key) ?? 'not supported by corral'}; ignored`);
  }
  if (!compose.image) b.warnings.push('image: missing; the container cannot be created');
  const network = joinNetwork(b, name);
  const driver = ctx.networkDriver ?? 'bridge';
  const aliases = network ? aliasesOf(ctx) : [];
  const hostNames = network ? addHostNames(b, ctx.hostNames ?? []) : [];
  const links = externalLinksOf(service, stack.name);
  const joins = network && links.length > 0 ? externalJoins(links, ctx.externalNetworks) : [];
  if (links.length > 0 && !network)
    b.warnings.push(`external_links: ${name} is not on the stack network (network_mode ${b.networkMode}); not applied`);
  const labels = service.compose.labels;
  const startOnce = (labels[SchedulingLabel.startOnce] ?? '').toLowerCase() === 'true';
  b.host['RestartPolicy'] ??= startOnce ? NO_RESTART : RESTART_UNLESS_STOPPED;
  const hostnameIsName = labels[SchedulingLabel.hostnameOverride] === 'container_name';
  // Each instance sets it to its own name, in this place among the fields.
  if (hostnameIsName) b.config['Hostname'] = '';
  const image = String(compose.image ?? '');
  return new ServiceSpec({
    stack,
    service,
    image,
    config: b.config,
    host: b.host,
    hostnameIsName,
    keyExtras: { resolved: b.resolved, hostNames, linksOtherStacks: links.length > 0 },
    hashMemo,
    references: b.references.length < 2 ? b.references : [...new Set(b.references)],
    joins,
    volumes: b.volumes,
    pullAlways: (labels[SchedulingLabel.pullImage] ?? '').toLowerCase() === 'always',
    startOnce,
    warnings: b.warnings,
    notApplied: b.notApplied,
    aliases,
    network,
    networkDriver: network ? driver : undefined,
  });
}

/** The default restart policies, shared by every request that has no `restart:`. */
const RESTART_UNLESS_STOPPED = Object.freeze({ Name: 'unless-stopped', MaximumRetryCount: 0 });
const NO_RESTART = Object.freeze({ Name: '', MaximumRetryCount: 0 });

/** `{ EndpointsConfig: { [network]: { Aliases } } }`, by assignment (an object literal with a computed key is slow to make). */
function endpointsConfig(network: string, aliases: string[]): Record<string, unknown> {
  const endpoints: Record<string, unknown> = {};
  endpoints[network] = { Aliases: aliases };
  return { EndpointsConfig: endpoints };
}

/**
 * The spec of the context's instance of a service, from what its instances share; its hash is
 * made from the service's hashed request as `hashedRequests` has it when first read.
 */
export function instanceSpec(shared: ServiceSpec, ctx: ContainerContext, hashedRequests = new HashedRequests()): ContainerPlanSpec {
  return new ContainerPlanSpec(shared, ctx.unitNames[shared.service.name] ?? shared.service.name, ctx.instance, hashedRequests);
}

/** The slots of the hashed request: the container's name (and Hostname, when it is the name), and its deployment unit label. */
const NAME_SLOT = new JsonSlot(0);
const UNIT_SLOT = new JsonSlot(1);

/**
 * The config hash is the SHA-256 of the create request's stable JSON, which carries only the
 * app's labels, together with the other stacks' networks it joins once created (external_links:
 * Docker links, which a connect cannot change on a running container). corral's own labels (the
 * hash among them) never change it, so a new revision or template version alone replaces nothing.
 * This is that JSON for the service's instances: the request's fields as hashed, with slots for
 * what is the instance's own — its name (and Hostname, when it is the name) and its deployment
 * unit label, the one label that names the instance.
 */
function hashedRequest(shared: ServiceSpec): StableJsonTemplate {
  const hashed = copyInto<unknown>({}, shared.config);
  hashed['Image'] = shared.image;
  hashed['HostConfig'] = shared.host;
  // As the stable JSON of networkingConfig, which is made only for a create.
  if (shared.network !== undefined)
    hashed['NetworkingConfig'] = new JsonText(
      `{"EndpointsConfig":{${jsonString(shared.network)}:{"Aliases":${stableJson(shared.aliases)}}}}`,
    );
  if (shared.joins.length > 0) hashed['corral:joins'] = shared.joins;
  const labels: Record<string, unknown> = appLabels(shared.stack, shared.service);
  labels[RancherLabel.deploymentUnit] = UNIT_SLOT;
  hashed['Labels'] = new StableJsonTemplate(labels);
  hashed['name'] = NAME_SLOT;
  if (shared.hostnameIsName) hashed['Hostname'] = NAME_SLOT;
  return new StableJsonTemplate(hashed);
}

/** The value of the instance's deployment unit label (rancherSystemLabels). */
function deploymentUnitOf(shared: ServiceSpec, instance: number): string {
  return deploymentUnitId(shared.stack.name, shared.service.primary ?? shared.service.name, instance);
}

/**
 * The create request, in the order of `{ name, ...config, Image, Labels, HostConfig, NetworkingConfig }`:
 * a copy of the service's request template with the instance's name (and Hostname), and a copy of
 * its labels template with the instance's deployment unit, instance number and config hash.
 */
function createRequest(spec: ContainerPlanSpec): ContainerCreateSpec {
  const { shared, name, instance } = spec;
  const create = copyInto<unknown>({}, shared.requestTemplate) as ContainerCreateSpec;
  create.name = name;
  if (shared.hostnameIsName) create['Hostname'] = name;
  const labels = copyInto({}, shared.labelsTemplate);
  labels[RancherLabel.deploymentUnit] = deploymentUnitOf(shared, instance);
  labels[CorralLabel.instance] = String(instance);
  labels[CorralLabel.configHash] = spec.hash;
  create.Labels = labels;
  return create;
}

/** The create request's fields that the instances share, in their order; name and Labels are set per instance. */
function requestTemplate(shared: ServiceSpec): Record<string, unknown> {
  const request = copyInto<unknown>({ name: '' }, shared.config);
  request['Image'] = shared.image;
  request['Labels'] = undefined;
  request['HostConfig'] = shared.host;
  const networkingConfig = shared.networkingConfig;
  if (networkingConfig) request['NetworkingConfig'] = networkingConfig;
  return request;
}

/**
 * The labels of the service's containers, in their order; the instance's own (its deployment
 * unit, instance number and config hash) are placeholders that createRequest sets.
 */
function labelsTemplate(shared: ServiceSpec): Record<string, string> {
  return copyInto(appLabels(shared.stack, shared.service), ownershipLabels(shared.stack, shared.service, shared.keyHashesLabel));
}

/**
 * What Docker gets as labels besides corral's own: the service's labels, then Rancher's system
 * labels, with instance 0's deployment unit (each instance's is set in its place).
 */
function appLabels(stack: DesiredStack, service: DesiredService): Record<string, string> {
  return mergeRecords(service.compose.labels, rancherSystemLabels(stack.name, service.name, 0, service.primary));
}

/** corral's own labels, with empty instance and config hash (set per instance, in their place). */
function ownershipLabels(stack: DesiredStack, service: DesiredService, keyHashesLabel: string): Record<string, string> {
  const ownership: Record<string, string> = {
    [CorralLabel.managed]: 'true',
    [CorralLabel.stack]: stack.name,
    [CorralLabel.service]: service.name,
    [CorralLabel.unit]: service.primary ?? service.name,
    [CorralLabel.instance]: '',
    [CorralLabel.configHash]: '',
    [CorralLabel.configKeys]: keyHashesLabel,
    [CorralLabel.template]: `${stack.template.catalog}/${stack.template.template}`,
    [CorralLabel.templateVersion]: stack.template.version,
  };
  if (stack.revision !== undefined) ownership[CorralLabel.revision] = stack.revision;
  return ownership;
}

/** Aliases on the stack network: the service name, `<service>.<stack>`, `<sidekick>.<primary>`, and link aliases. */
function aliasesOf(ctx: ContainerContext): string[] {
  return serviceAliases(ctx.stack.name, ctx.service, ctx.linkAliases);
}

/** One join per linked stack that is in the repository, with a Docker link per alias, in the order written. */
function externalJoins(links: readonly ExternalLink[], externalNetworks: ContainerContext['externalNetworks']): NetworkJoin[] {
  const joins: NetworkJoin[] = [];
  for (const link of links) {
    const network = externalNetworks?.get(link.stack);
    if (network === undefined) continue;
    const join = joins.find((j) => j.network === network);
    if (join) join.links.push(externalLinkTarget(link));
    else joins.push({ network, stack: link.stack, links: [externalLinkTarget(link)] });
  }
  return joins;
}

/**
 * The names of host-network services, after the service's own extra_hosts (a name it sets
 * itself is left to it: /etc/hosts answers with the first line). Returns the entries added.
 */
function addHostNames(b: Builder, hostNames: readonly string[]): string[] {
  if (hostNames.length === 0) return [];
  const own = (b.host['ExtraHosts'] as string[] | undefined) ?? [];
  const named = new Set(own.map((entry) => entry.split(':')[0]));
  const added = hostNames.filter((entry) => !named.has(entry.split(':')[0]));
  if (added.length > 0) b.host['ExtraHosts'] = [...own, ...added];
  return added;
}

function joinNetwork(b: Builder, name: string): string | undefined {
  if (b.networkMode !== undefined) {
    b.host['NetworkMode'] = b.networkMode;
    if (b.networkMode.startsWith('container:')) dropForSharedNetwork(b, name);
    else if (b.networkMode === 'host' && b.host['PortBindings']) {
      b.warnings.push("ports: a container on the host network uses the host's ports directly; the mappings are not applied");
      delete b.host['PortBindings'];
    }
    return undefined;
  }
  const network = networkNameFor(b.ctx.stack.name, b.ctx.networkDriver ?? 'bridge');
  b.host['NetworkMode'] = network;
  return network;
}

/** Docker refuses ports, hostname and DNS settings on a container sharing another's network namespace. */
function dropForSharedNetwork(b: Builder, name: string): void {
  const conflicting = [
    ['PortBindings', 'ports'],
    ['Dns', 'dns'],
    ['DnsSearch', 'dns_search'],
    ['ExtraHosts', 'extra_hosts'],
  ] as const;
  for (const [field, key] of conflicting) {
    if (b.host[field] === undefined) continue;
    b.warnings.push(`${key}: ${name} shares another container's network namespace, which owns these settings; not applied`);
    delete b.host[field];
  }
  delete b.config['ExposedPorts'];
  delete b.config['Hostname'];
}

function setNetworkMode(mode: string, b: Builder, key: string): void {
  const reference = /^(container|service):(.+)$/.exec(mode);
  if (reference) {
    b.networkMode = `container:${resolveUnitReference(reference[2] as string, b, key)}`;
  } else if (['host', 'none', 'bridge'].includes(mode)) {
    b.networkMode = mode;
  } else if (mode !== 'managed' && mode !== 'default') {
    b.warnings.push(
      `${key}: ${JSON.stringify(mode)} is not supported; expected host, none, bridge, managed, container:<sidekick> or service:<sidekick>; the stack network is used`,
    );
    return;
  }
  b.resolved[key] = b.networkMode;
}

/** A service of the same deployment unit resolves to its container of this instance; anything else is a container name. */
function resolveUnitReference(target: string, b: Builder, key: string): string {
  // Own keys only: a volumes_from or network_mode naming `valueOf` is a container name, not Object.prototype's member.
  const inUnit = ownValue(b.ctx.unitNames, target);
  if (inUnit) {
    b.references.push(target);
    return inUnit;
  }
  if (Object.hasOwn(b.ctx.stack.services, target)) {
    b.warnings.push(
      `${key}: "${target}" is a service of the stack but not of this deployment unit (${SchedulingLabel.sidekicks}); it is used as a container name, which may not exist on this host`,
    );
  }
  return target;
}

function commandLike(field: 'Cmd' | 'Entrypoint', value: unknown, b: Builder, key: string): void {
  if (Array.isArray(value)) {
    b.config[field] = value.map(String);
    return;
  }
  parsed(splitShellWords(String(value)), b, key, (words) => {
    b.config[field] = words;
  });
}

function exposePort(b: Builder, containerPort: string): void {
  ((b.config['ExposedPorts'] ??= {}) as Record<string, object>)[containerPort] = {};
}

function addMount(b: Builder, mount: ReturnType<typeof parseVolumeMount> extends Parsed<infer T> ? T : never): void {
  if (mount.kind === 'anonymous') {
    ((b.config['Volumes'] ??= {}) as Record<string, object>)[mount.target] = {};
    return;
  }
  const source = mount.kind === 'named' ? namedVolume(b, mount.source) : mount.source;
  ((b.host['Binds'] ??= []) as string[]).push([source, mount.target, ...(mount.mode ? [mount.mode] : [])].join(':'));
}

/** A named volume is stack-scoped (`<stack>_<name>`) unless the stack declares it external. */
function namedVolume(b: Builder, name: string): string {
  const declared = ownValue(b.ctx.stack.volumes, name) ?? {};
  b.resolved[`volume ${name}`] = declared;
  const external = declared['external'];
  if (external === true || (typeof external === 'object' && external !== null)) {
    const externalName = typeof external === 'object' ? (external as { name?: unknown }).name : undefined;
    return typeof externalName === 'string' ? externalName : String(declared['name'] ?? name);
  }
  const volumeName = stackVolumeName(b.ctx.stack.name, name);
  if (!b.volumes.some((v) => v.Name === volumeName)) {
    b.volumes.push({
      Name: volumeName,
      Driver: String(declared['driver'] ?? b.ctx.service.compose['volume_driver'] ?? 'local'),
      DriverOpts: stringMap(declared['driver_opts']),
      Labels: { [CorralLabel.managed]: 'true', [CorralLabel.stack]: b.ctx.stack.name },
    });
  }
  return volumeName;
}

function setHealthcheck(value: unknown, b: Builder, key: string): void {
  const check = (value ?? {}) as Record<string, unknown>;
  if (check['disable'] === true) {
    b.config['Healthcheck'] = { Test: ['NONE'] };
    return;
  }
  const test = check['test'];
  const healthcheck: Record<string, unknown> = { Test: Array.isArray(test) ? test.map(String) : ['CMD-SHELL', String(test ?? '')] };
  const durations = [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['start_period', 'StartPeriod'],
  ] as const;
  for (const [field, apiField] of durations) {
    if (check[field] !== undefined)
      parsed(parseDuration(check[field]), b, `${key}.${field}`, (ns) => {
        healthcheck[apiField] = ns;
      });
  }
  if (check['retries'] !== undefined) healthcheck['Retries'] = Number(check['retries']);
  b.config['Healthcheck'] = healthcheck;
}
