/**
 * Parsers for docker-compose value syntaxes (ports, volumes, durations, sizes, command
 * strings), each returning Docker API values or a problem message naming what is accepted.
 */
import { memoizedPerText } from '../util/memo.js';
import { cleanAbsolutePath } from '../util/paths.js';
import { isPlainObject } from '../util/values.js';

export type Parsed<T> = { value: T } | { problem: string };

/** `"echo 'a b'" → ["echo", "a b"]`, as compose splits a string command (POSIX shell words, no expansion). */
export function splitShellWords(text: string): Parsed<string[]> {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) word += text[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) return { problem: `unclosed ${quote} quote in ${JSON.stringify(text)}` };
  if (inWord) words.push(word);
  return { value: words };
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Compose durations (`1m30s`, `10s`, `500ms`; a bare number is seconds) in nanoseconds. */
export function parseDuration(value: unknown): Parsed<number> {
  if (typeof value === 'number' && value >= 0) return { value: Math.round(value * 1e9) };
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return { value: Math.round(Number(text) * 1e9) };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    return { problem: `${JSON.stringify(value)} is not a duration; expected e.g. 30s, 1m30s, 500ms` };
  return { value: Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] as string] ?? 0), 0)) };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** Compose sizes (`512m`, `1g`, `1024`) in bytes. */
export function parseSize(value: unknown): Parsed<number> {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { value };
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(String(value).trim().toLowerCase());
  const unit = match ? SIZE_UNITS[match[2] as string] : undefined;
  if (!match || unit === undefined) return { problem: `${JSON.stringify(value)} is not a size; expected e.g. 512m, 1g, 1048576` };
  return { value: Math.round(Number(match[1]) * unit) };
}

export interface PortMapping {
  /** `80/tcp` */
  containerPort: string;
  hostIp: string;
  /** '' for a random host port. */
  hostPort: string;
}

/**
 * One `ports:` entry: `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `8000-8001:9000-9001`, or the long
 * syntax. The result may be shared (one per text): callers must not change it.
 */
export function parsePort(entry: unknown): Parsed<PortMapping[]> {
  if (typeof entry === 'string') return parsePortText(entry);
  return isPlainObject(entry) ? parseLongPort(entry) : parseShortPort(entry);
}

/** Entries written as text, remembered: the services of one template publish the same ports, and a plan reads every service's. */
const parsePortText = memoizedPerText(parseShortPort);

function parseShortPort(entry: unknown): Parsed<PortMapping[]> {
  const text = String(entry).trim();
  const [address = '', protocol = 'tcp', ...extra] = text.split('/');
  if (extra.length > 0 || !['tcp', 'udp', 'sctp'].includes(protocol))
    return { problem: `${JSON.stringify(entry)}: the protocol must be tcp, udp or sctp` };
  const parts = address.split(':');
  const target = parts.pop() ?? '';
  const published = parts.pop() ?? '';
  const hostIp = parts.join(':').replace(/^\[|\]$/g, '');
  const targets = portRange(target);
  const publishedPorts = published === '' ? [] : portRange(published);
  const invalid = !targets || !publishedPorts || (publishedPorts.length > 0 && publishedPorts.length !== targets.length);
  if (invalid)
    return {
      problem: `${JSON.stringify(entry)} is not a port mapping; expected [[ip:]host_port:]container_port[/protocol], ports or equal-length ranges`,
    };
  return {
    value: targets.map((port, i) => ({
      containerPort: `${port}/${protocol}`,
      hostIp,
      hostPort: publishedPorts.length === 0 ? '' : String(publishedPorts[i]),
    })),
  };
}

function parseLongPort(entry: Record<string, unknown>): Parsed<PortMapping[]> {
  const target = Number(entry['target']);
  const protocol = String(entry['protocol'] ?? 'tcp');
  if (!Number.isInteger(target) || target < 1 || target > 65535 || !['tcp', 'udp', 'sctp'].includes(protocol)) {
    return {
      problem: `${JSON.stringify(entry)}: the long syntax needs target (a port) and optionally published, protocol (tcp, udp, sctp), host_ip`,
    };
  }
  const published = entry['published'] === undefined || entry['published'] === null ? '' : String(entry['published']);
  return { value: [{ containerPort: `${target}/${protocol}`, hostIp: String(entry['host_ip'] ?? ''), hostPort: published }] };
}

function portRange(text: string): number[] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || last > 65535 || last < first) return undefined;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export type VolumeMount =
  | { kind: 'anonymous'; target: string }
  | { kind: 'named'; source: string; target: string; mode: string }
  | { kind: 'bind'; source: string; target: string; mode: string };

/**
 * One `volumes:` entry of a service: `/data`, `name:/data[:ro]`, `/host:/data[:ro,z]`, or the long syntax.
 * A bind mount's host path is cleaned (`/srv/app/../../etc` is `/etc`), so that what is checked is what Docker gets.
 * The result may be shared (one per text): callers must not change it.
 */
export function parseVolumeMount(entry: unknown): Parsed<VolumeMount> {
  if (typeof entry === 'string') return parseVolumeText(entry);
  return isPlainObject(entry) ? parseLongVolume(entry) : parseShortVolume(entry);
}

/** Entries written as text, remembered, as parsePortText. */
const parseVolumeText = memoizedPerText(parseShortVolume);

function parseShortVolume(entry: unknown): Parsed<VolumeMount> {
  const [first = '', second, mode = '', ...extra] = String(entry).split(':');
  if (extra.length > 0) return { problem: `${JSON.stringify(entry)}: expected [source:]target[:mode]` };
  if (second === undefined)
    return first.startsWith('/')
      ? { value: { kind: 'anonymous', target: first } }
      : { problem: `${JSON.stringify(entry)}: a container path must be absolute` };
  if (!second.startsWith('/')) return { problem: `${JSON.stringify(entry)}: the container path must be absolute` };
  if (first.startsWith('.') || first.startsWith('~'))
    return {
      problem: `${JSON.stringify(entry)}: a relative bind mount has no meaning on a remote Docker host; use an absolute path or a named volume`,
    };
  if (first.startsWith('/')) return { value: { kind: 'bind', source: cleanAbsolutePath(first), target: second, mode } };
  return { value: { kind: 'named', source: first, target: second, mode } };
}

function parseLongVolume(entry: Record<string, unknown>): Parsed<VolumeMount> {
  const type = String(entry['type'] ?? 'volume');
  const target = String(entry['target'] ?? '');
  const source = entry['source'] === undefined ? '' : String(entry['source']);
  const mode = entry['read_only'] === true ? 'ro' : '';
  if (!target.startsWith('/')) return { problem: `${JSON.stringify(entry)}: target must be an absolute container path` };
  if (type === 'volume') return { value: source === '' ? { kind: 'anonymous', target } : { kind: 'named', source, target, mode } };
  if (type === 'bind' && source.startsWith('/')) return { value: { kind: 'bind', source: cleanAbsolutePath(source), target, mode } };
  return { problem: `${JSON.stringify(entry)}: the long syntax supports type volume, or bind with an absolute source` };
}

/** `"a,b"`, `["a","b"]` or a scalar as a list of strings. */
export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}
