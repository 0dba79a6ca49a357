/**
 * The HTTP API: health, stack status, sync and push webhooks. Thin: every answer comes
 * from the controller it is given; nothing here decides anything about stacks.
 *
 * Guarded (./auth.ts): POST /api/v1/sync and anything else that is not a read needs the bearer
 * token; reads need it when the config says so. The webhook checks its headers before it reads
 * a body, and reads at most 1 MiB. Timeouts close connections that stall in their headers, in
 * their body or idle between requests; connections beyond the cap are closed at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DEFAULT_API_CONFIG, type ReadAccess } from '../config/api.js';
import type { StackStatus } from '../status/stack-status.js';
import { accessOf, authorize } from './auth.js';
import { checkWebhookHeaders, verifyWebhook } from './webhook.js';

export interface ApiController {
  stacks(): StackStatus[];
  stack(name: string): StackStatus | undefined;
  /** Converge now: every stack, or one. */
  requestSync(stack?: string): void;
  /** Fetch the repository now, then converge. */
  requestFetch(reason: string): void;
  webhookSecret(): string | undefined;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  /** Counts a webhook delivery: its provider (gitlab, github, unknown) and what became of it. */
  webhookDelivered(provider: string, result: 'accepted' | 'rejected' | 'disabled' | 'too_large'): void;
  /** With leader election: this replica's role, which /healthz reports; undefined without (then it says ok). */
  role?(): 'leader' | 'standby' | undefined;
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ServerLimits {
  /** Time a client has to send a request's headers. */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included. */
  requestTimeoutMs: number;
  /** Time a kept-alive connection may sit idle between requests. */
  idleTimeoutMs: number;
  /** Connections open at once; more are closed as they come. */
  maxConnections: number;
  /** The largest webhook body read (GitHub signs the body, so it must be read to be checked). */
  webhookBodyBytes: number;
}

const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxConnections: DEFAULT_API_CONFIG.maxConnections,
  webhookBodyBytes: 1024 * 1024,
};

/** The app store's pages (src/web), answered before the API's 404. */
export interface WebPages {
  /** True when it answered the request. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

export interface ApiServerOptions {
  /** The app store's pages, if any. */
  web?: WebPages;
  /** The bearer token (CORRAL_API_TOKEN); without one, every endpoint that needs it answers 403. */
  token?: string;
  /** open: reads need no token; token: they need it too. /healthz is always open. */
  readAccess?: ReadAccess;
  limits?: Partial<ServerLimits>;
}

interface Guard {
  web: WebPages | undefined;
  token: string | undefined;
  readAccess: ReadAccess;
  limits: ServerLimits;
}

export function createApiServer(controller: ApiController, options: ApiServerOptions = {}): Server {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const guard: Guard = {
    web: options.web,
    token: options.token || undefined,
    readAccess: options.readAccess ?? DEFAULT_API_CONFIG.read,
    limits,
  };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // Node enforces the two timeouts above on this tick; its default (30 s) would let them slip.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (request, response) => {
      route(controller, guard, request, response).catch((err: unknown) => {
        if (response.headersSent) return void response.destroy();
        send(response, 500, { error: err instanceof Error ? err.message : String(err) });
      });
    },
  );
  // A socket with no traffic either way for this long (say, a client that stops reading its answer) is closed.
  server.setTimeout(limits.requestTimeoutMs);
  server.maxConnections = limits.maxConnections;
  return server;
}

async function route(controller: ApiController, guard: Guard, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://corral');
  const method = request.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const refused = authorize(accessOf(method, path), `${method} ${path}`, request.headers, guard.token, guard.readAccess);
  if (refused) {
    if (refused.status === 401) response.setHeader('www-authenticate', 'Bearer realm="corral"');
    return refuse(request, response, refused.status, refused.error);
  }
  const { web } = guard;
  if (web && !path.startsWith('/api/') && path !== '/healthz' && path !== '/metrics' && (await web.handle(request, response, url))) return;
  if (method === 'GET' && path === '/healthz') return sendText(response, 200, `${controller.role?.() ?? 'ok'}\n`);
  if (method === 'GET' && path === '/metrics') return sendText(response, 200, await controller.metrics(), PROMETHEUS_CONTENT_TYPE);
  if (method === 'GET' && path === '/api/v1/stacks') return send(response, 200, controller.stacks());
  const stackMatch = /^\/api\/v1\/stacks\/([a-z0-9-]{1,63})$/.exec(path);
  if (method === 'GET' && stackMatch?.[1]) {
    const status = controller.stack(stackMatch[1]);
    return status ? send(response, 200, status) : send(response, 404, { error: `no stack "${stackMatch[1]}"` });
  }
  if (method === 'POST' && path === '/api/v1/sync') {
    const stack = url.searchParams.get('stack') ?? undefined;
    if (stack !== undefined && !controller.stack(stack)) return send(response, 404, { error: `no stack "${stack}"` });
    controller.requestSync(stack);
    return send(response, 202, { accepted: true, stack: stack ?? 'all' });
  }
  if (method === 'POST' && path === '/api/v1/webhook') return handleWebhook(controller, request, response, guard.limits.webhookBodyBytes);
  if (['/healthz', '/metrics', '/api/v1/stacks', '/api/v1/sync', '/api/v1/webhook'].includes(path) || stackMatch) {
    return send(response, 405, { error: `${method} is not allowed on ${path}` });
  }
  send(response, 404, {
    error: `no route ${path}; see /api/v1/stacks, /api/v1/stacks/NAME, /api/v1/sync, /api/v1/webhook, /healthz, /metrics`,
  });
}

async function handleWebhook(
  controller: ApiController,
  request: IncomingMessage,
  response: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  const provider = webhookProvider(request);
  const secret = controller.webhookSecret();
  if (!secret) {
    controller.webhookDelivered(provider, 'disabled');
    return refuse(request, response, 403, 'webhooks are disabled: no webhook secret is configured');
  }
  const early = checkWebhookHeaders(request.headers, secret, maxBodyBytes);
  if (early) {
    controller.webhookDelivered(provider, early.status === 413 ? 'too_large' : 'rejected');
    return refuse(request, response, early.status, early.reason);
  }
  const body = await readBody(request, maxBodyBytes);
  if (!body) {
    controller.webhookDelivered(provider, 'too_large');
    return refuse(request, response, 413, `body larger than ${maxBodyBytes} bytes`);
  }
  const verdict = verifyWebhook(request.headers, body, secret);
  controller.webhookDelivered(provider, verdict.ok ? 'accepted' : 'rejected');
  if (!verdict.ok) return send(response, verdict.status, { error: verdict.reason });
  controller.requestFetch(`${verdict.provider} push${verdict.branch ? ` to ${verdict.branch}` : ''}`);
  send(response, 202, { accepted: true });
}

function webhookProvider(request: IncomingMessage): string {
  if (request.headers['x-gitlab-token'] !== undefined) return 'gitlab';
  if (request.headers['x-hub-signature-256'] !== undefined) return 'github';
  return 'unknown';
}

/** The body, or undefined past maxBodyBytes (reading stops there; the connection stays usable for the answer). */
function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) return void chunks.push(chunk);
      request.off('data', onData).pause();
      resolve(undefined);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/**
 * Answers and closes the connection without reading what is left of the request's body:
 * Node would otherwise read (and drop) all of it to keep the connection alive.
 */
function refuse(request: IncomingMessage, response: ServerResponse, status: number, error: string): void {
  const socket = request.socket;
  response.setHeader('connection', 'close');
  response.once('finish', () => {
    if (!request.complete) socket.destroy();
  });
  send(response, status, { error });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, `${JSON.stringify(body, null, 2)}\n`, 'application/json');
}

function sendText(response: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(text);
}
