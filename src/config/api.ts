/**
 * The `api:` section of the controller's config: who may read the HTTP API, and how many
 * connections it takes at once. Pure: a parsed YAML value in, settings or diagnostics out.
 *
 * ```yaml
 * api:
 *   read: open            # open (default): status and metrics need no token; token: they need CORRAL_API_TOKEN too
 *   max_connections: 64   # connections beyond this are closed at once
 * ```
 * Mutating endpoints (POST /api/v1/sync) always need the token; /healthz is always open.
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { type At, reportUnknownKeys } from './sections.js';

export type ReadAccess = 'open' | 'token';

export interface ApiConfig {
  read: ReadAccess;
  maxConnections: number;
}

export const DEFAULT_API_CONFIG: ApiConfig = { read: 'open', maxConnections: 64 };

const API_KEYS = ['read', 'max_connections'];
const READ_ACCESS: readonly ReadAccess[] = ['open', 'token'];
const MAX_CONNECTIONS_LIMIT = 10_000;

export function parseApiSection(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): ApiConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, 'api: expected a mapping such as `api: {read: token, max_connections: 64}`', at(['api'])));
    return undefined;
  }
  const before = diagnostics.length;
  reportUnknownKeys(raw, API_KEYS, (key, message) => diagnostics.push(error(file, `api.${key}: ${message}`, at(['api', key]))));
  const read = raw['read'] ?? DEFAULT_API_CONFIG.read;
  if (typeof read !== 'string' || !(READ_ACCESS as readonly string[]).includes(read))
    diagnostics.push(
      error(
        file,
        `api.read: expected open (status and metrics need no token) or token (they need CORRAL_API_TOKEN), got ${JSON.stringify(read)}`,
        at(['api', 'read']),
      ),
    );
  const maxConnections = raw['max_connections'] ?? DEFAULT_API_CONFIG.maxConnections;
  if (
    typeof maxConnections !== 'number' ||
    !Number.isInteger(maxConnections) ||
    maxConnections < 1 ||
    maxConnections > MAX_CONNECTIONS_LIMIT
  )
    diagnostics.push(
      error(
        file,
        `api.max_connections: expected a whole number from 1 to ${MAX_CONNECTIONS_LIMIT}, got ${JSON.stringify(maxConnections)}`,
        at(['api', 'max_connections']),
      ),
    );
  if (diagnostics.length > before) return undefined;
  return { read: read as ReadAccess, maxConnections: maxConnections as number };
}
