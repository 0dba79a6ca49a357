import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { HashMemo, keyHashes, sha256 as planSha256, StableJsonTemplate, stableJson } from '../../src/plan/hash.js';

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
  const keys = keyHashes(input);
  assert.equal(planSha256(stableJson(request)), sha256(stableJson(request)));
  assert.equal(
    stableJson(request),
    '{"Env":["B=2","A=1"],"HostConfig":{"Binds":["shop_data:/data"]},"Image":"redis:7","Labels":{"tier":"db"},"name":"shop-db-1"}',
  );
  assert.deepEqual(Object.keys(keys), ['aliases', 'command', 'environment', 'image', 'labels']);
  assert.equal(keys['environment'], sha256('{"A":"1","B":"2"}').slice(0, 8));
});

test('hash: a memo shared by many containers gives the same key digests as none', () => {
  const memo = new HashMemo();
  const other = { ...input, image: 'redis:7.2', command: [...input.command] };
  assert.deepEqual(keyHashes(input, memo), keyHashes(input));
  assert.deepEqual(keyHashes(other, memo), keyHashes(other));
  assert.deepEqual(keyHashes(input, memo), keyHashes(input));
  assert.notEqual(keyHashes(other, memo)['image'], keyHashes(input, memo)['image']);
});

test('hash: a stable JSON template filled with the slots is the stable JSON of the whole record', () => {
  const fixed = {
    Image: 'redis:7',
    HostConfig: { Binds: ['b:/b'], CapAdd: ['X'] },
    Env: ['A=1'],
    'corral:joins': [{ n: 1 }],
    Skip: undefined,
  };
  const template = new StableJsonTemplate(fixed, ['name', 'Labels', 'Hostname']);
  const labels = { z: '1', a: '2', 'io.x': '3' };
  assert.equal(template.fill(['s-a-1', labels, 's-a-1']), stableJson({ ...fixed, name: 's-a-1', Labels: labels, Hostname: 's-a-1' }));
  assert.equal(template.fill(['s-a-2', labels, undefined]), stableJson({ ...fixed, name: 's-a-2', Labels: labels }));
  assert.equal(template.fill([undefined, undefined, undefined]), stableJson(fixed));
  // A slot replaces a fixed key of the same name, wherever it sorts.
  const withHostname = new StableJsonTemplate({ Hostname: 'fixed', Image: 'x' }, ['name', 'Hostname']);
  assert.equal(withHostname.fill(['n', 'own']), '{"Hostname":"own","Image":"x","name":"n"}');
  assert.equal(withHostname.fill(['n', undefined]), '{"Image":"x","name":"n"}');
  assert.equal(new StableJsonTemplate({}, []).fill([]), '{}');
});
