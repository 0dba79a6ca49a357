/**
 * Checks a rendered stack against the operators' policy, on the final Docker create request
 * of each of its containers, plus scale and the volumes the stack would create. What it checks of
 * a request — its image and HostConfig — is its service's spec (plan's serviceSpec), whose `host`
 * is the very object a create request carries as HostConfig, as apply would send it; the request
 * itself (labels, per-key hashes) is not built. Pure: data in, violations out.
 *
 * Fail-closed: a HostConfig field this module does not know is a violation, so a key that
 * container-spec learns to apply later is refused until the policy knows what it grants.
 */
import { type DesiredService, type DesiredStack, primaryServices, unitServices } from '../model/desired.js';
import { containerName } from '../model/naming.js';
import { type ServiceSpec, serviceSpec } from '../plan/container-spec.js';
import type { VolumeSpec } from '../plan/types.js';
import { cleanAbsolutePath, isUnderPath } from '../util/paths.js';
import { type Grant, type Policy, templateKey } from './types.js';

export interface PolicyViolation {
  service: string;
  /** The compose key that asked for it, e.g. `privileged`, `volumes`, `scale`. */
  key: string;
  /** The rule broken: a grant name, `bind_mounts`, `registries` or `max_scale`. */
  rule: Grant | 'bind_mounts' | 'registries' | 'max_scale' | 'unknown' | 'unreadable';
  /** What was asked for, as the request has it (for the message and to find the answer it came from). */
  value: string;
  message: string;
}

interface Effective {
  grants: ReadonlySet<Grant>;
  bindMounts: readonly string[];
  registries: readonly string[];
  maxScale: number;
  /** Where a grant can be given, for messages. */
  grantHint: string;
}

type Check = (value: unknown, spec: ServiceSpec, unit: ReadonlySet<string>, policy: Effective) => Finding[];
type Finding = Omit<PolicyViolation, 'service'>;

const NAMESPACE_NAMES: Partial<Record<Grant, string>> = {
  host_network: 'network',
  host_pid: 'process (pid)',
  host_ipc: 'IPC',
  host_uts: 'UTS (hostname)',
  host_userns: 'user',
};

/** `no-new-privileges` only takes power away; every other security option needs the grant. */
const HARMLESS_SECURITY_OPTS = /^no-new-privileges(?:[:=]true)?$/;

/** Each HostConfig field container-spec may set: how it is checked (undefined: nothing to grant). */
const HOST_CONFIG_CHECKS: Record<string, Check | undefined> = {
  Privileged: (value, _s, _u, p) => (value === true ? needs(p, 'privileged', 'privileged', 'true', 'true: a privileged container') : []),
  CapAdd: (value, _s, _u, p) =>
    listed(value).length > 0
      ? needs(p, 'capabilities', 'cap_add', listed(value).join(', '), `added capabilities ${listed(value).join(', ')}`)
      : [],
  SecurityOpt: (value, _s, _u, p) => {
    const options = listed(value).filter((o) => !HARMLESS_SECURITY_OPTS.test(o));
    return options.length > 0 ? needs(p, 'security_opt', 'security_opt', options.join(', '), `security options ${options.join(', ')}`) : [];
  },
  PidMode: (value, _s, unit, p) => namespaceMode(value, 'pid', 'host_pid', ['', 'private'], unit, p),
  IpcMode: (value, _s, unit, p) => namespaceMode(value, 'ipc', 'host_ipc', ['', 'private', 'shareable', 'none'], unit, p),
  UTSMode: (value, _s, unit, p) => namespaceMode(value, 'uts', 'host_uts', [''], unit, p),
  UsernsMode: (value, _s, unit, p) => namespaceMode(value, 'userns_mode', 'host_userns', [''], unit, p),
  NetworkMode: (value, spec, unit, p) =>
    value === spec.network ? [] : namespaceMode(value, 'network_mode', 'host_network', ['none', 'bridge'], unit, p),
  Devices: (value, _s, _u, p) => {
    const devices = Array.isArray(value) ? value.map((d) => String((d as { PathOnHost?: unknown }).PathOnHost)) : [];
    return devices.length > 0 ? needs(p, 'devices', 'devices', devices.join(', '), `host devices ${devices.join(', ')}`) : [];
  },
  CgroupParent: (value, _s, _u, p) =>
    value ? needs(p, 'cgroup_parent', 'cgroup_parent', String(value), `the cgroup parent ${JSON.stringify(value)}`) : [],
  Sysctls: (value, _s, _u, p) => {
    const keys = Object.keys((value ?? {}) as object);
    return keys.length > 0 ? needs(p, 'sysctls', 'sysctls', keys.join(', '), `kernel parameters ${keys.join(', ')}`) : [];
  },
  Binds: (value, spec, _u, p) => listed(value).flatMap((bind) => checkBind(bind, spec, p)),
  VolumesFrom: (value, _s, unit, p) =>
    listed(value).flatMap((entry) => {
      const source = entry.startsWith('container:') ? entry.slice('container:'.length) : (entry.split(':')[0] ?? '');
      return unit.has(source)
        ? []
        : needs(
            p,
            'shared_namespaces',
            'volumes_from',
            source,
            `the volumes of ${JSON.stringify(source)}, a container outside this deployment unit`,
          );
    }),
  RestartPolicy: undefined,
  CapDrop: undefined,
  ReadonlyRootfs: undefined,
  Init: undefined,
  Ulimits: undefined,
  ExtraHosts: undefined,
  Dns: undefined,
  DnsSearch: undefined,
  DnsOptions: undefined,
  LogConfig: undefined,
  Memory: undefined,
  MemorySwap: undefined,
  MemoryReservation: undefined,
  ShmSize: undefined,
  MemorySwappiness: undefined,
  CpuShares: undefined,
  CpuQuota: undefined,
  CpuPeriod: undefined,
  CpusetCpus: undefined,
  NanoCpus: undefined,
  OomScoreAdj: undefined,
  OomKillDisable: undefined,
  PidsLimit: undefined,
  GroupAdd: undefined,
  Tmpfs: undefined,
  PortBindings: undefined,
  VolumeDriver: undefined,
};

/** A service's spec as its first deployment unit has it, the unit's primary, and the names of the unit's containers. */
export interface FirstUnitSpec {
  service: DesiredService;
  primary: DesiredService;
  spec: ServiceSpec;
  unit: ReadonlySet<string>;
}

/**
 * The spec of every service of the stack in its first deployment unit (instance 1, no link
 * aliases), primaries in order, each followed by its sidekicks: what render-time checks read
 * (the policy, and the compose values corral does not apply).
 */
export function firstUnitSpecs(stack: DesiredStack): FirstUnitSpec[] {
  const specs: FirstUnitSpec[] = [];
  for (const primary of primaryServices(stack)) {
    const services = unitServices(stack, primary);
    const unitNames = Object.fromEntries(services.map((s) => [s.name, containerName(stack.name, s.name, 1, s.primary)]));
    const unit = new Set(Object.values(unitNames));
    for (const service of services) {
      specs.push({ service, primary, spec: serviceSpec({ stack, service, instance: 1, unitNames, linkAliases: [] }), unit });
    }
  }
  return specs;
}

/** Every violation of the policy by the stack: its containers' create requests, scale and volumes. */
export function checkStackPolicy(stack: DesiredStack, policy: Policy, specs = firstUnitSpecs(stack)): PolicyViolation[] {
  const effective = effectivePolicy(stack, policy);
  const violations: PolicyViolation[] = [];
  for (const { service, primary, spec, unit } of specs) {
    // A unit's primary comes first in it: its scale, then the requests of its unit.
    if (service === primary) violations.push(...checkScale(primary, effective).map((f) => ({ service: primary.name, ...f })));
    const findings = [...checkCreateRequest(spec, unit, effective), ...spec.volumes.flatMap((v) => checkVolume(v, effective))];
    violations.push(...findings.map((f) => ({ service: service.name, ...f })));
  }
  return dedupe(violations);
}

function effectivePolicy(stack: DesiredStack, policy: Policy): Effective {
  const key = templateKey(stack.template.catalog, stack.template.template);
  const forTemplate = policy.templates[key];
  return {
    grants: new Set([...policy.allow, ...(forTemplate?.allow ?? [])]),
    bindMounts: [...policy.bindMounts, ...(forTemplate?.bindMounts ?? [])],
    registries: policy.registries,
    maxScale: policy.maxScale,
    grantHint: `policy.allow, or policy.templates["${key}"].allow`,
  };
}

function checkScale(primary: DesiredService, policy: Effective): Finding[] {
  if (primary.global || primary.scale <= policy.maxScale) return [];
  const message = `scale ${primary.scale} is above the policy's max_scale ${policy.maxScale}`;
  return [{ key: 'scale', rule: 'max_scale', value: String(primary.scale), message }];
}

/** Keys whose unreadable entries would otherwise be dropped unchecked (a mount the policy never saw). */
const MUST_BE_READABLE = new Set(['volumes']);

function checkCreateRequest(spec: ServiceSpec, unit: ReadonlySet<string>, policy: Effective): Finding[] {
  const findings = checkImage(spec.image, policy);
  for (const { key, problem } of spec.notApplied.filter((n) => MUST_BE_READABLE.has(n.key))) {
    findings.push({ key, rule: 'unreadable', value: problem, message: `${problem}: a mount that cannot be read is refused, not dropped` });
  }
  for (const [field, value] of Object.entries(spec.host)) {
    if (value === undefined || value === null) continue;
    if (!Object.hasOwn(HOST_CONFIG_CHECKS, field)) {
      findings.push({
        key: field,
        rule: 'unknown',
        value: JSON.stringify(value),
        message: `HostConfig.${field} is not known to the policy and is refused`,
      });
      continue;
    }
    findings.push(...(HOST_CONFIG_CHECKS[field]?.(value, spec, unit, policy) ?? []));
  }
  return findings;
}

/** host → the host grant; container:<name> → only a container of the same deployment unit without a grant. */
function namespaceMode(
  value: unknown,
  key: string,
  hostGrant: Grant,
  harmless: string[],
  unit: ReadonlySet<string>,
  policy: Effective,
): Finding[] {
  const mode = String(value);
  if (harmless.includes(mode)) return [];
  if (mode === 'host') return needs(policy, hostGrant, key, mode, `host: the host's ${NAMESPACE_NAMES[hostGrant] ?? key} namespace`);
  if (mode.startsWith('container:')) {
    const target = mode.slice('container:'.length);
    if (unit.has(target)) return [];
    return needs(
      policy,
      'shared_namespaces',
      key,
      target,
      `container:${target}: the namespace of a container outside this deployment unit`,
    );
  }
  return [{ key, rule: 'unknown', value: mode, message: `${JSON.stringify(mode)} is not a mode the policy knows; refused` }];
}

function checkBind(bind: string, spec: ServiceSpec, policy: Effective): Finding[] {
  const [source = ''] = bind.split(':');
  if (!source.startsWith('/')) {
    if (spec.volumes.some((v) => v.Name === source)) return [];
    return needs(
      policy,
      'external_volumes',
      'volumes',
      source,
      `the volume ${JSON.stringify(source)}, which this stack does not own (external)`,
    );
  }
  return checkHostPath(source, 'volumes', policy);
}

function checkHostPath(path: string, key: string, policy: Effective): Finding[] {
  const cleaned = cleanAbsolutePath(path);
  if (policy.bindMounts.some((prefix) => isUnderPath(cleaned, prefix))) return [];
  const allowed = policy.bindMounts.length > 0 ? `allowed prefixes: ${policy.bindMounts.join(', ')}` : 'the policy allows no host paths';
  return [
    {
      key,
      rule: 'bind_mounts',
      value: path,
      message: `bind mount of the host path ${cleaned}${cleaned === path ? '' : ` (written ${JSON.stringify(path)})`} is not under policy.bind_mounts (${allowed}); use a named volume`,
    },
  ];
}

/** A local volume with `device` driver options is a bind mount (o: bind) or a host file system mount. */
function checkVolume(volume: VolumeSpec, policy: Effective): Finding[] {
  const options = volume.DriverOpts;
  const device = options['device'];
  if (device === undefined || options['type'] === 'tmpfs') return [];
  const isBind = options['type'] === 'none' || /(?:^|,)r?bind(?:,|$)/.test(options['o'] ?? '');
  if (isBind && device.startsWith('/')) return checkHostPath(device, 'volumes', policy);
  return needs(
    policy,
    'devices',
    'volumes',
    device,
    `the volume ${volume.Name} mounting ${JSON.stringify(device)} (driver_opts type ${options['type'] ?? '(none)'})`,
  );
}

/** Docker's reference grammar: [registry[:port]/]path[:tag][@digest], path components lowercase. */
const IMAGE_REFERENCE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;

function checkImage(image: string, policy: Effective): Finding[] {
  if (image === '') return [];
  if (!IMAGE_REFERENCE.test(image))
    return [
      {
        key: 'image',
        rule: 'registries',
        value: image,
        message: `${JSON.stringify(image)} is not an image reference ([registry/]name[:tag][@digest]); its registry cannot be told`,
      },
    ];
  if (policy.registries.length === 0) return [];
  const reference = normalizedReference(image);
  if (policy.registries.some((allowed) => reference === allowed || reference.startsWith(`${allowed}/`))) return [];
  return [
    {
      key: 'image',
      rule: 'registries',
      value: image,
      message: `image ${JSON.stringify(image)} comes from ${reference.split('/')[0]}, which is not in policy.registries (${policy.registries.join(', ')})`,
    },
  ];
}

/** `busybox` → `docker.io/library/busybox`; `10.99.0.2:5000/x/y:1` → `10.99.0.2:5000/x/y` (tag and digest dropped). */
export function normalizedReference(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const slash = withoutDigest.indexOf('/');
  const first = slash < 0 ? '' : withoutDigest.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasRegistry ? first.toLowerCase() : 'docker.io';
  let path = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
  const lastColon = path.lastIndexOf(':');
  if (lastColon > path.lastIndexOf('/')) path = path.slice(0, lastColon);
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return `${registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? 'docker.io' : registry}/${path}`;
}

function needs(policy: Effective, grant: Grant, key: string, value: string, what: string): Finding[] {
  if (policy.grants.has(grant)) return [];
  return [{ key, rule: grant, value, message: `${what} needs the grant "${grant}", which the policy does not give (${policy.grantHint})` }];
}

function listed(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function dedupe(violations: PolicyViolation[]): PolicyViolation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.service}\0${v.key}\0${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
