/**
 * Who may call which endpoint: /healthz and the webhook (it has its own secret) are open;
 * reads (the API's, /metrics, the app store's pages) are open or need the bearer token, as
 * the config says; anything else under /api/ changes something and always needs the token
 * (CORRAL_API_TOKEN). The app store's request form (a POST outside /api/) only pushes a
 * branch for review, and is left to the app store. Pure: headers in, a verdict out.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ReadAccess } from '../config/api.js';

export type Access = 'public' | 'read' | 'mutate';

export type Refusal = { status: 401 | 403; error: string };

export const TOKEN_ENV = 'CORRAL_API_TOKEN';

export function accessOf(method: string, path: string): Access {
  if (path === '/healthz' || path === '/api/v1/webhook') return 'public';
  if (method === 'GET' || method === 'HEAD') return 'read';
  return path.startsWith('/api/') || path === '/metrics' ? 'mutate' : 'public';
}

/** undefined when the request (`what`: method and path, for messages) may go on. */
export function authorize(
  access: Access,
  what: string,
  headers: IncomingHttpHeaders,
  token: string | undefined,
  readAccess: ReadAccess,
): Refusal | undefined {
  if (access === 'public' || (access === 'read' && readAccess === 'open')) return undefined;
  const why = access === 'read' ? ' (the config says api.read: token)' : '';
  if (!token)
    return {
      status: 403,
      error: `${what} is disabled: it needs an API token${why}, and the daemon has none (set ${TOKEN_ENV} where corral run starts)`,
    };
  const given = bearerToken(headers['authorization']);
  if (given === undefined) return { status: 401, error: `${what} needs the API token${why}: send Authorization: Bearer <${TOKEN_ENV}>` };
  if (!constantTimeEqual(given, token)) return { status: 401, error: `the bearer token does not match the daemon's ${TOKEN_ENV}` };
  return undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** Compares two strings in time that depends on neither their contents nor their lengths. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
}
