import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, registerSecrets } from '../../src/log/logger.js';

function capture(format: 'text' | 'json') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { logger: createLogger({ format, stream }), output: () => text };
}

test('registered secrets never reach a log line, in the message or in any field', async () => {
  registerSecrets(['hunter2-password', 'glpat-token-value']);
  for (const format of ['text', 'json'] as const) {
    const { logger, output } = capture(format);
    logger.info('connecting with hunter2-password', {
      stack: 'db',
      url: 'https://corral:glpat-token-value@git.example/x.git',
      nested: { env: ['PASS=hunter2-password'] },
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(output().includes('********'), output());
    assert.ok(!output().includes('hunter2-password') && !output().includes('glpat-token-value'), output());
  }
});

test('a secret with quotes, backslashes or newlines is scrubbed too, and the JSON line stays valid', async () => {
  const awkward = 'pa"ss\\word\nline2';
  registerSecrets([awkward]);
  const { logger, output } = capture('json');
  logger.info('creating', { env: [`PASSWORD=${awkward}`], detail: { message: `uses ${awkward}` } });
  await new Promise((resolve) => setImmediate(resolve));
  const line = JSON.parse(output().trim()) as { env: string[]; detail: { message: string } };
  assert.deepEqual(line.env, ['PASSWORD=********']);
  assert.equal(line.detail.message, 'uses ********');
});

test('JSON logs are one object per line with the fields given', async () => {
  const { logger, output } = capture('json');
  logger.info('new revision', { stack: 'web', revision: 'abc' });
  await new Promise((resolve) => setImmediate(resolve));
  const line = JSON.parse(output().trim()) as Record<string, string>;
  assert.equal(line['message'], 'new revision');
  assert.equal(line['stack'], 'web');
  assert.equal(line['revision'], 'abc');
});
