/**
 * A service's rancher-compose `health_check` block → HealthCheckSpec, with Rancher's defaults
 * (interval 2000 ms, response_timeout 2000 ms, healthy_threshold 2, unhealthy_threshold 3,
 * initializing_timeout and reinitializing_timeout 60000 ms, strategy recreate). Pure.
 *
 * `request_line` was handed by Rancher to haproxy's `option httpchk`, so it is read the same way:
 * method, path and version, each optionally double-quoted; an unquoted `#` starts a comment; a bare
 * path means GET; empty or absent means a TCP connect check.
 */
import { type Diagnostic, error, warning } from '../model/diagnostics.js';
import type { HealthCheckSpec, HealthStrategy, HttpRequestLine } from '../model/health.js';
import { isPlainObject, wholeNumber } from '../util/values.js';
import { readNumberSetting } from './number-setting.js';

export const HEALTH_CHECK_DEFAULTS = {
  intervalMs: 2000,
  responseTimeoutMs: 2000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  initializingTimeoutMs: 60_000,
  reinitializingTimeoutMs: 60_000,
  strategy: 'recreate',
} as const;

const STRATEGIES: readonly HealthStrategy[] = ['recreate', 'none', 'recreateOnQuorum'];

/** rancher-compose name → spec field, for the whole-number settings. */
const NUMBERS = {
  interval: ['intervalMs', 1],
  response_timeout: ['responseTimeoutMs', 1],
  healthy_threshold: ['healthyThreshold', 1],
  unhealthy_threshold: ['unhealthyThreshold', 1],
  initializing_timeout: ['initializingTimeoutMs', 1],
  reinitializing_timeout: ['reinitializingTimeoutMs', 1],
} as const;

const KNOWN_KEYS = new Set(['port', 'request_line', 'strategy', 'recreate_on_quorum_strategy_config', ...Object.keys(NUMBERS)]);

/** Returns the spec, or undefined when the block is absent or has errors (pushed to `diagnostics`). */
export function parseHealthCheck(raw: unknown, file: string, service: string, diagnostics: Diagnostic[]): HealthCheckSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const field = `${service}.health_check`;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `${field} must be a mapping with at least port (and request_line, interval, …)`, { field }));
    return undefined;
  }
  const before = diagnostics.filter((d) => d.severity === 'error').length;
  for (const key of Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k))) {
    diagnostics.push(
      warning(file, `${field}.${key} is kept but not acted on by corral; known: ${[...KNOWN_KEYS].join(', ')}`, {
        field: `${field}.${key}`,
      }),
    );
  }
  const port = wholeNumberIn(raw['port'], 1, 65535);
  if (port === undefined)
    diagnostics.push(
      error(file, `${field}.port must be the container port to check (1-65535), got ${JSON.stringify(raw['port'] ?? null)}`, {
        field: `${field}.port`,
      }),
    );
  const spec: HealthCheckSpec = { port: port ?? 0, ...HEALTH_CHECK_DEFAULTS };
  for (const [key, [target, min]] of Object.entries(NUMBERS)) {
    const unit = key.endsWith('threshold') ? 'a count' : 'milliseconds';
    const value = readNumberSetting(raw[key], { file, field: `${field}.${key}`, min, unit }, diagnostics);
    if (value !== undefined) spec[target] = value;
  }
  const http = parseRequestLine(raw['request_line'], file, `${field}.request_line`, diagnostics);
  if (http) spec.http = http;
  parseStrategy(raw, spec, file, field, diagnostics);
  return diagnostics.filter((d) => d.severity === 'error').length > before ? undefined : spec;
}

function parseStrategy(raw: Record<string, unknown>, spec: HealthCheckSpec, file: string, field: string, diagnostics: Diagnostic[]): void {
  const strategy = raw['strategy'];
  if (strategy !== undefined && strategy !== null && strategy !== '') {
    if (!STRATEGIES.includes(strategy as HealthStrategy)) {
      diagnostics.push(
        error(file, `${field}.strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`, {
          field: `${field}.strategy`,
        }),
      );
      return;
    }
    spec.strategy = strategy as HealthStrategy;
  }
  if (spec.strategy !== 'recreateOnQuorum') return;
  const config = raw['recreate_on_quorum_strategy_config'];
  const quorum = wholeNumberIn(isPlainObject(config) ? config['quorum'] : undefined, 1);
  if (quorum === undefined) {
    diagnostics.push(
      error(
        file,
        `${field}.recreate_on_quorum_strategy_config.quorum must be a whole number ≥ 1 (the healthy containers needed before an unhealthy one is recreated) with strategy recreateOnQuorum`,
        { field: `${field}.recreate_on_quorum_strategy_config.quorum` },
      ),
    );
    return;
  }
  spec.quorum = quorum;
}

/** `GET "/healthz" "HTTP/1.0"`, `GET / HTTP/1.0`, `/health`, `''` (TCP). */
function parseRequestLine(raw: unknown, file: string, field: string, diagnostics: Diagnostic[]): HttpRequestLine | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') {
    diagnostics.push(
      error(file, `${field} must be a string such as 'GET "/healthz" "HTTP/1.0"', or '' for a TCP check`, {
        field,
      }),
    );
    return undefined;
  }
  const words = haproxyWords(raw);
  if (words.length === 0) return undefined;
  const [first = '', ...rest] = words;
  const [method, path = '/', ...versionWords] = first.startsWith('/') ? ['GET', first, ...rest] : [first, ...rest];
  const [version = 'HTTP/1.0', ...headers] = (versionWords.length ? versionWords.join(' ') : 'HTTP/1.0').split('\\r\\n');
  const problems = [
    /^[A-Z]+$/.test(method) ? '' : `the method "${method}" is not an HTTP method such as GET or HEAD`,
    /^(\/|\*|https?:\/\/)\S*$/.test(path) ? '' : `the path "${path}" does not start with /`,
    /^HTTP\/1\.[01]$/.test(version) ? '' : `the version "${version}" is not HTTP/1.0 or HTTP/1.1`,
  ].filter(Boolean);
  if (problems.length > 0) {
    diagnostics.push(
      error(
        file,
        `${field} ${JSON.stringify(raw)}: ${problems.join('; ')}; expected e.g. GET "/healthz" "HTTP/1.0", or '' for a TCP check`,
        {
          field,
        },
      ),
    );
    return undefined;
  }
  return { method, path, version, headers: headers.filter((h) => h.trim() !== '') };
}

/** Splits like haproxy's config parser: whitespace separates, double quotes group, an unquoted `#` ends the line. */
function haproxyWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && char === '#') break;
    else if (!quoted && /\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

function wholeNumberIn(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const number = wholeNumber(value);
  return number !== undefined && number >= min && number <= max ? number : undefined;
}
