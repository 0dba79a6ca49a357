/**
 * The HTTP API: health, stack status, sync and push webhooks. Thin: every answer comes
 * from the controller it is given; nothing here decides anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { StackStatus } from '../status/stack-status.js';
import { verifyWebhook } from './webhook.js';

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
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The app store's pages (src/web), answered before the API's 404. */
export interface WebPages {
  /** True when it answered the request. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

export function createApiServer(controller: ApiController, web?: WebPages): Server {
  return createServer((request, response) => {
    route(controller, web, request, response).catch((err: unknown) => {
      if (response.headersSent) return void response.destroy();
      send(response, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
}

async function route(
  controller: ApiController,
  web: WebPages | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://corral');
  const method = request.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (web && !path.startsWith('/api/') && path !== '/healthz' && path !== '/metrics' && (await web.handle(request, response, url))) return;
  if (method === 'GET' && path === '/healthz') return sendText(response, 200, 'ok\n');
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
  if (method === 'POST' && path === '/api/v1/webhook') return handleWebhook(controller, request, response);
  if (['/healthz', '/metrics', '/api/v1/stacks', '/api/v1/sync', '/api/v1/webhook'].includes(path) || stackMatch) {
    return send(response, 405, { error: `${method} is not allowed on ${path}` });
  }
  send(response, 404, {
    error: `no route ${path}; see /api/v1/stacks, /api/v1/stacks/NAME, /api/v1/sync, /api/v1/webhook, /healthz, /metrics`,
  });
}

async function handleWebhook(controller: ApiController, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const provider = webhookProvider(request);
  const secret = controller.webhookSecret();
  if (!secret) {
    controller.webhookDelivered(provider, 'disabled');
    return send(response, 403, { error: 'webhooks are disabled: no webhook secret is configured' });
  }
  const body = await readBody(request);
  if (!body) {
    controller.webhookDelivered(provider, 'too_large');
    return send(response, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
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

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, `${JSON.stringify(body, null, 2)}\n`, 'application/json');
}

function sendText(response: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(text);
}
