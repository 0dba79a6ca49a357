/**
 * The config's `ha:` section: two or more `corral run` replicas elect one leader through etcd
 * (src/ha). Pure: parsed values or diagnostics.
 *
 *   ha:
 *     endpoints: [http://10.0.0.21:2379, http://10.0.0.22:2379]   # etcd client URLs, http or https
 *     lease_ttl: 10              # seconds a leader's lease lives without a keep-alive (default 10)
 *     election_key: corral/leader   # the key the replicas compete for (default corral/leader)
 *     safety_margin: 1           # seconds: the leader stops changing hosts this long before its lease could expire (default 1)
 *     tls: {ca: etcd-ca.pem, cert: client.pem, key: client-key.pem}   # for https endpoints; paths relative to the config
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { type At, reportUnknownKeys } from './sections.js';

export interface HaTlsFiles {
  /** The CA that signed etcd's server certificates (default: the system's CAs). */
  ca?: string;
  /** Client certificate and key, for an etcd that asks for one. */
  cert?: string;
  key?: string;
}

export interface HaConfig {
  endpoints: string[];
  leaseTtlSeconds: number;
  electionKey: string;
  safetyMarginMs: number;
  tls?: HaTlsFiles;
}

const DEFAULT_LEASE_TTL_SECONDS = 10;
const DEFAULT_ELECTION_KEY = 'corral/leader';
const DEFAULT_SAFETY_MARGIN_SECONDS = 1;
/** etcd raises a shorter TTL to its own minimum (1.5 × its election timeout, 2 s with the defaults). */
const MIN_LEASE_TTL = 2;
const MAX_LEASE_TTL = 300;
const KEYS = ['endpoints', 'lease_ttl', 'election_key', 'safety_margin', 'tls'];
const TLS_KEYS = ['ca', 'cert', 'key'];
const ELECTION_KEY = /^[A-Za-z0-9._/-]{1,200}$/;

export function parseHa(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): HaConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    diagnostics.push(
      error(file, 'ha: expected a mapping with endpoints (and optionally lease_ttl, election_key, safety_margin, tls)', at(['ha'])),
    );
    return undefined;
  }
  const before = diagnostics.length;
  // `key` as shown (endpoints[1], tls.ca); the line is found from its first part and index.
  const problem = (key: string, message: string) =>
    diagnostics.push(
      error(
        file,
        `ha.${key}: ${message}`,
        at([
          'ha',
          ...key
            .split(/[.[\]]+/)
            .filter(Boolean)
            .map(indexOrKey),
        ]),
      ),
    );
  reportUnknownKeys(raw, KEYS, problem);
  const endpoints = endpointsOf(raw['endpoints'], problem);
  const leaseTtlSeconds = leaseTtlOf(raw['lease_ttl'], problem);
  const electionKey = electionKeyOf(raw['election_key'], problem);
  const safetyMarginMs = safetyMarginOf(raw['safety_margin'], leaseTtlSeconds, problem);
  const tls = tlsOf(raw['tls'], problem);
  if (tls && endpoints.some((url) => url.startsWith('http:')))
    problem('tls', 'TLS files are for https:// endpoints; write every endpoint as https://HOST:2379');
  if (diagnostics.length > before) return undefined;
  return { endpoints, leaseTtlSeconds, electionKey, safetyMarginMs, ...(tls ? { tls } : {}) };
}

function endpointsOf(raw: unknown, problem: (key: string, message: string) => void): string[] {
  const accepted = 'expected a list of etcd client URLs, e.g. [http://10.0.0.21:2379, http://10.0.0.22:2379]';
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0) {
    problem('endpoints', accepted);
    return [];
  }
  const endpoints: string[] = [];
  list.forEach((item, index) => {
    const url = typeof item === 'string' ? parseUrl(item) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      problem(`endpoints[${index}]`, `${JSON.stringify(item)} is not an http(s) URL; ${accepted}`);
      return;
    }
    if (url.username || url.password) {
      problem(
        `endpoints[${index}]`,
        'credentials do not belong in the URL: corral authenticates to etcd with TLS client certificates (tls:)',
      );
      return;
    }
    if (url.pathname !== '/' || url.search !== '') {
      problem(`endpoints[${index}]`, `${JSON.stringify(item)} has a path; expected only scheme, host and port`);
      return;
    }
    endpoints.push(url.origin);
  });
  if (new Set(endpoints).size !== endpoints.length) problem('endpoints', 'lists one endpoint twice');
  if (new Set(endpoints.map((e) => new URL(e).protocol)).size > 1)
    problem('endpoints', 'mixes http:// and https://; use one scheme for all');
  return endpoints;
}

function leaseTtlOf(raw: unknown, problem: (key: string, message: string) => void): number {
  if (raw === undefined || raw === null) return DEFAULT_LEASE_TTL_SECONDS;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < MIN_LEASE_TTL || raw > MAX_LEASE_TTL) {
    problem('lease_ttl', `expected a whole number of seconds from ${MIN_LEASE_TTL} to ${MAX_LEASE_TTL}, got ${JSON.stringify(raw)}`);
    return DEFAULT_LEASE_TTL_SECONDS;
  }
  return raw;
}

function electionKeyOf(raw: unknown, problem: (key: string, message: string) => void): string {
  if (raw === undefined || raw === null) return DEFAULT_ELECTION_KEY;
  if (typeof raw !== 'string' || !ELECTION_KEY.test(raw)) {
    problem('election_key', `expected an etcd key of letters, digits, '.', '_', '-' and '/', e.g. ${DEFAULT_ELECTION_KEY}`);
    return DEFAULT_ELECTION_KEY;
  }
  return raw;
}

/** Below half the TTL, so that the leader can change hosts between two keep-alives (one every third of the TTL). */
function safetyMarginOf(raw: unknown, leaseTtlSeconds: number, problem: (key: string, message: string) => void): number {
  if (raw === undefined || raw === null) return Math.min(DEFAULT_SAFETY_MARGIN_SECONDS, leaseTtlSeconds / 4) * 1000;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw >= leaseTtlSeconds / 2) {
    problem('safety_margin', `expected seconds from 0 to less than half of lease_ttl (${leaseTtlSeconds / 2}), got ${JSON.stringify(raw)}`);
    return 0;
  }
  return raw * 1000;
}

function tlsOf(raw: unknown, problem: (key: string, message: string) => void): HaTlsFiles | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    problem('tls', 'expected a mapping with ca, and cert with key when etcd asks for a client certificate');
    return undefined;
  }
  reportUnknownKeys(raw, TLS_KEYS, (key, message) => problem(`tls.${key}`, message));
  const files: HaTlsFiles = {};
  for (const key of TLS_KEYS as (keyof HaTlsFiles)[]) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.trim() === '') problem(`tls.${key}`, 'expected a file path');
    else files[key] = value.trim();
  }
  if ((files.cert === undefined) !== (files.key === undefined)) problem('tls', 'cert and key go together: give both or neither');
  if (Object.keys(files).length === 0) problem('tls', 'expected at least ca, or cert and key');
  return files;
}

function indexOrKey(part: string): string | number {
  return /^\d+$/.test(part) ? Number(part) : part;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
