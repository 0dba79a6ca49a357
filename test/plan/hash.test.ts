import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { configHash, HashMemo, stableJson } from '../../src/plan/hash.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const input = {
  image: 'redis:7',
  command: ['redis-server', '--appendonly', 'yes'],
  environment: { B: '2', A: '1' },
  labels: { tier: 'db' },
  ports: undefined,
  aliases: ['db', 'db.shop'],
};

test('hash: the config hash is the SHA-256 of the stable JSON of the input, as labels on running containers expect', () => {
  const hash = configHash(input);
  assert.equal(hash.hash, sha256(stableJson(input)));
  assert.equal(
    stableJson(input),
    '{"aliases":["db","db.shop"],"command":["redis-server","--appendonly","yes"],"environment":{"A":"1","B":"2"},"image":"redis:7","labels":{"tier":"db"}}',
  );
  assert.deepEqual(Object.keys(hash.keys), ['aliases', 'command', 'environment', 'image', 'labels']);
  assert.equal(hash.keys['environment'], sha256('{"A":"1","B":"2"}').slice(0, 8));
});

test('hash: a memo shared by many containers gives the same digests as none', () => {
  const memo = new HashMemo();
  const other = { ...input, image: 'redis:7.2', command: [...input.command] };
  assert.deepEqual(configHash(input, memo), configHash(input));
  assert.deepEqual(configHash(other, memo), configHash(other));
  assert.deepEqual(configHash(input, memo), configHash(input));
  assert.notEqual(configHash(other, memo).hash, configHash(input, memo).hash);
});
