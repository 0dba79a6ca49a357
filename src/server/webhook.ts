/**
 * Push webhooks from GitLab and GitHub, verified by the shared secret:
 * GitLab sends it as X-Gitlab-Token, GitHub signs the body (X-Hub-Signature-256).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookVerdict =
  | { ok: true; provider: 'gitlab' | 'github'; branch?: string; revision?: string }
  | { ok: false; status: 400 | 401; reason: string };

export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): WebhookVerdict {
  const gitlabToken = header(headers, 'x-gitlab-token');
  const githubSignature = header(headers, 'x-hub-signature-256');
  if (gitlabToken !== undefined) {
    if (!sameText(gitlabToken, secret))
      return { ok: false, status: 401, reason: 'X-Gitlab-Token does not match the configured webhook secret' };
    return { ok: true, provider: 'gitlab', ...pushTarget(body) };
  }
  if (githubSignature !== undefined) {
    const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    if (!sameText(githubSignature, expected))
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

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
