import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { configHash, HashMemo, keyHashes, stableJson } from '../../src/plan/hash.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const input = {
  image: 'redis:7',
  command: ['redis-server', '--appendonly', 'yes'],
  environment: { B: '2', A: '1' },
  labels: { tier: 'db' },
  ports: undefined,
  aliases: ['db', 'db.shop'],
};

test('hash: the config hash is the SHA-256 of the stable JSON of the create request; each compose key gets a short hash of its own', () => {
  const request = {
    name: 'shop-db-1',
    Image: 'redis:7',
    Env: ['B=2', 'A=1'],
    Labels: { tier: 'db' },
    HostConfig: { Binds: ['shop_data:/data'] },
  };
  const hash = configHash(request, keyHashes(input));
  assert.equal(hash.hash, sha256(stableJson(request)));
  assert.equal(
    stableJson(request),
    '{"Env":["B=2","A=1"],"HostConfig":{"Binds":["shop_data:/data"]},"Image":"redis:7","Labels":{"tier":"db"},"name":"shop-db-1"}',
  );
  assert.deepEqual(Object.keys(hash.keys), ['aliases', 'command', 'environment', 'image', 'labels']);
  assert.equal(hash.keys['environment'], sha256('{"A":"1","B":"2"}').slice(0, 8));
  assert.notEqual(configHash({ ...request, HostConfig: { Binds: ['data:/data'] } }, keyHashes(input)).hash, hash.hash);
});

test('hash: a memo shared by many containers gives the same key digests as none', () => {
  const memo = new HashMemo();
  const other = { ...input, image: 'redis:7.2', command: [...input.command] };
  assert.deepEqual(keyHashes(input, memo), keyHashes(input));
  assert.deepEqual(keyHashes(other, memo), keyHashes(other));
  assert.deepEqual(keyHashes(input, memo), keyHashes(input));
  assert.notEqual(keyHashes(other, memo)['image'], keyHashes(input, memo)['image']);
});
