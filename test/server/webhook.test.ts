import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifyWebhook } from '../../src/server/webhook.js';

const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'abc123' }));

test('GitLab push: X-Gitlab-Token must equal the secret', () => {
  assert.deepEqual(verifyWebhook({ 'x-gitlab-token': 's3cret' }, body, 's3cret'), {
    ok: true,
    provider: 'gitlab',
    branch: 'main',
    revision: 'abc123',
  });
  const wrong = verifyWebhook({ 'x-gitlab-token': 'guess' }, body, 's3cret');
  assert.equal(wrong.ok, false);
  assert.equal(!wrong.ok && wrong.status, 401);
});

test('GitHub push: X-Hub-Signature-256 must be the HMAC of the body', () => {
  const signature = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
  assert.deepEqual(verifyWebhook({ 'x-hub-signature-256': signature }, body, 's3cret'), {
    ok: true,
    provider: 'github',
    branch: 'main',
    revision: 'abc123',
  });
  const tampered = Buffer.from(JSON.stringify({ ref: 'refs/heads/evil' }));
  assert.equal(verifyWebhook({ 'x-hub-signature-256': signature }, tampered, 's3cret').ok, false);
});

test('a webhook without any signature is refused, and the reason never echoes the secret', () => {
  const verdict = verifyWebhook({}, body, 's3cret');
  assert.equal(verdict.ok, false);
  assert.ok(!JSON.stringify(verdict).includes('s3cret'));
});
