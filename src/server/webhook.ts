/**
 * Push webhooks from GitLab and GitHub, verified by the shared secret:
 * GitLab sends it as X-Gitlab-Token, GitHub signs the body (X-Hub-Signature-256).
 * checkWebhookHeaders decides everything the headers can decide, before any body is read.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './auth.js';

export type WebhookVerdict =
  | { ok: true; provider: 'gitlab' | 'github'; branch?: string; revision?: string }
  | { ok: false; status: 400 | 401; reason: string };

export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): WebhookVerdict {
  const gitlabToken = header(headers, 'x-gitlab-token');
  const githubSignature = header(headers, 'x-hub-signature-256');
  if (gitlabToken !== undefined) {
    if (!constantTimeEqual(gitlabToken, secret))
      return { ok: false, status: 401, reason: 'X-Gitlab-Token does not match the configured webhook secret' };
    return { ok: true, provider: 'gitlab', ...pushTarget(body) };
  }
  if (githubSignature !== undefined) {
    const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    if (!constantTimeEqual(githubSignature, expected))
      return { ok: false, status: 401, reason: 'X-Hub-Signature-256 does not match the body signed with the configured webhook secret' };
    return { ok: true, provider: 'github', ...pushTarget(body) };
  }
  return {
    ok: false,
    status: 401,
    reason: 'no X-Gitlab-Token or X-Hub-Signature-256 header: the webhook must be sent with the shared secret',
  };
}

/** Branch and commit of a push event (both providers use `ref` and `after`). */
function pushTarget(body: Buffer): { branch?: string; revision?: string } {
  try {
    const event = JSON.parse(body.toString('utf8')) as { ref?: unknown; after?: unknown };
    const branch = typeof event.ref === 'string' ? event.ref.replace(/^refs\/heads\//, '') : undefined;
    const revision = typeof event.after === 'string' ? event.after : undefined;
    return { ...(branch ? { branch } : {}), ...(revision ? { revision } : {}) };
  } catch {
    return {};
  }
}

/**
 * A refusal decided from the headers alone (a wrong GitLab token, no secret header at all, a
 * declared body over the limit), or undefined when the body must be read to verify it.
 */
export function checkWebhookHeaders(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  maxBodyBytes: number,
): { status: 401 | 413; reason: string } | undefined {
  const gitlabToken = header(headers, 'x-gitlab-token');
  if (gitlabToken !== undefined && !constantTimeEqual(gitlabToken, secret))
    return { status: 401, reason: 'X-Gitlab-Token does not match the configured webhook secret' };
  if (gitlabToken === undefined && header(headers, 'x-hub-signature-256') === undefined)
    return { status: 401, reason: 'no X-Gitlab-Token or X-Hub-Signature-256 header: the webhook must be sent with the shared secret' };
  const declared = Number(header(headers, 'content-length') ?? 0);
  if (declared > maxBodyBytes) return { status: 413, reason: `body larger than ${maxBodyBytes} bytes` };
  return undefined;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
