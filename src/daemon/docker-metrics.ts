/**
 * Times every Docker API request of a dockerode client and counts its failures, per host:
 * wraps the client's modem (the one place every request goes through). Requests are named by
 * method and path shape, e.g. `POST /containers/{id}/start`, so that ids and image names never
 * become label values.
 */
import type Docker from 'dockerode';
import type { DaemonMetrics } from './metrics.js';

type DialCallback = (err: unknown, data: unknown) => void;
interface Modem {
  dial(options: { path?: string; method?: string }, callback?: DialCallback): unknown;
}

const INSTRUMENTED = Symbol('corral.instrumented');
/** Second path segments that are verbs, not ids: `/containers/json`, `/images/create`. */
const VERBS = new Set(['json', 'create', 'prune', 'search', 'load', 'get']);

export function instrumentDockerClient(docker: Docker, host: string, metrics: DaemonMetrics): Docker {
  const modem = docker.modem as Modem & { [INSTRUMENTED]?: true };
  if (modem[INSTRUMENTED]) return docker;
  modem[INSTRUMENTED] = true;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const request = requestShape(options.method, options.path);
    const end = metrics.dockerApiDuration.startTimer({ host, request });
    return dial(options, (err, data) => {
      end();
      if (err) metrics.dockerApiErrors.inc({ host, request, reason: errorReason(err) });
      callback?.(err, data);
    });
  };
  return docker;
}

/** `POST /containers/abc123/start?` → `POST /containers/{id}/start`; `/images/reg:5000/x:1/json` → `/images/{id}/json`. */
export function requestShape(method: string | undefined, path: string | undefined): string {
  const segments = (path ?? '')
    .split('?')[0]
    ?.split('/')
    .filter((s) => s !== '')
    .filter((s, i) => !(i === 0 && /^v\d+(\.\d+)*$/.test(s)));
  const [resource, ...rest] = segments ?? [];
  const verb = method ?? 'GET';
  if (!resource) return `${verb} /`;
  if (rest.length === 0) return `${verb} /${resource}`;
  if (rest.length === 1 && VERBS.has(rest[0] ?? '')) return `${verb} /${resource}/${rest[0]}`;
  if (rest.length === 1) return `${verb} /${resource}/{id}`;
  return `${verb} /${resource}/{id}/${rest.at(-1)}`;
}

function errorReason(err: unknown): string {
  const { statusCode, code } = err as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return String(statusCode);
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
  return 'error';
}
