import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { HashMemo, JsonSlot, JsonText, keyHashes, sha256 as planSha256, StableJsonTemplate, stableJson } from '../../src/plan/hash.js';

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

test('hash: a stable JSON template filled with strings is the stable JSON of the record with the strings in its slots', () => {
  const name = new JsonSlot(0);
  const unit = new JsonSlot(1);
  const record = (n: unknown, u: unknown) => ({
    Image: 'redis:7',
    HostConfig: { Binds: ['b:/b'], CapAdd: ['X'], Nothing: [undefined, null] },
    Env: ['A=1'],
    'corral:joins': [{ n: 1 }],
    Skip: undefined,
    Labels: { z: '1', 'io.unit': u, a: '2', 'io.x': '3' },
    name: n,
    Hostname: n,
  });
  const template = new StableJsonTemplate(record(name, unit));
  assert.equal(template.fill(['s-a-1', 's-a-1']), stableJson(record('s-a-1', 's-a-1')));
  assert.equal(template.fill(['s-a-2', 's-"a"\\-2']), stableJson(record('s-a-2', 's-"a"\\-2')));
  // Slots first, last, in an array, and none.
  const edges = (v: unknown) => ({ a: v, m: [v, 'x', v], z: { y: v } });
  assert.equal(new StableJsonTemplate(edges(name)).fill(['é\n']), stableJson(edges('é\n')));
  // A value given as its stable JSON text.
  const networking = { EndpointsConfig: { 'corral-s': { Aliases: ['a', 'b'] } } };
  const withText = new StableJsonTemplate({ N: new JsonText(stableJson(networking)), name });
  assert.equal(withText.fill(['n']), stableJson({ N: networking, name: 'n' }));
  assert.equal(new StableJsonTemplate({ b: [1, { c: true }], a: null }).fill([]), stableJson({ b: [1, { c: true }], a: null }));
  assert.equal(new StableJsonTemplate({}).fill([]), '{}');
});
