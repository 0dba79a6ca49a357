import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  HashMemo,
  JsonSlot,
  JsonText,
  jsonString,
  keyHashes,
  sha256 as planSha256,
  StableJsonTemplate,
  sortedKeys,
  stableJson,
} from '../../src/plan/hash.js';

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
  const labels = (u: unknown) => ({ z: '1', 'io.unit': u, a: '2', 'io.x': '3', skip: undefined });
  const record = (n: unknown, l: unknown) => ({
    Image: 'redis:7',
    HostConfig: { Binds: ['b:/b'], CapAdd: ['X'], Nothing: [undefined, null] },
    Env: ['A=1'],
    'corral:joins': [{ n: 1 }],
    Skip: undefined,
    Labels: l,
    name: n,
    Hostname: n,
  });
  const template = new StableJsonTemplate(record(name, new StableJsonTemplate(labels(unit))));
  assert.equal(template.fill(['s-a-1', 's-a-1']), stableJson(record('s-a-1', labels('s-a-1'))));
  assert.equal(template.fill(['s-a-2', 's-"a"\\-2']), stableJson(record('s-a-2', labels('s-"a"\\-2'))));
  // Slots first and last, a nested template first, last and alone, and no slot at all.
  const edges = (v: unknown, inner: unknown) => ({ a: v, m: ['x', 1], y: inner, z: v });
  const inner = (v: unknown) => ({ b: v, c: v });
  assert.equal(
    new StableJsonTemplate(edges(name, new StableJsonTemplate(inner(unit)))).fill(['é\n', 'u']),
    stableJson(edges('é\n', inner('u'))),
  );
  assert.equal(new StableJsonTemplate({ a: new StableJsonTemplate({ b: name }) }).fill(['n']), '{"a":{"b":"n"}}');
  assert.equal(new StableJsonTemplate({ a: new StableJsonTemplate({}), b: 1 }).fill([]), '{"a":{},"b":1}');
  assert.equal(new StableJsonTemplate({ b: [1, { c: true }], a: null }).fill([]), stableJson({ b: [1, { c: true }], a: null }));
  assert.equal(new StableJsonTemplate({}).fill([]), '{}');
  // A value given as its stable JSON text.
  const networking = { EndpointsConfig: { 'corral-s': { Aliases: ['a', 'b'] } } };
  const withText = new StableJsonTemplate({ N: new JsonText(stableJson(networking)), name });
  assert.equal(withText.fill(['n']), stableJson({ N: networking, name: 'n' }));
});

test('hash: strings and keys are written as JSON.stringify writes them, escapes included', () => {
  const texts = [
    '',
    'plain',
    'a"b',
    'back\\slash',
    'line\nfeed',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u2028',
    'é',
    '😀',
    '\ud800',
    'x\udfff',
    '%s{}',
  ];
  for (const text of texts) {
    assert.equal(jsonString(text), JSON.stringify(text), JSON.stringify(text));
    assert.equal(stableJson({ [text]: text }), JSON.stringify({ [text]: text }), JSON.stringify(text));
    assert.equal(new StableJsonTemplate({ [text]: new JsonSlot(0) }).fill([text]), JSON.stringify({ [text]: text }));
  }
});

test('hash: numbers, booleans and null are written as JSON.stringify writes them, inside records and arrays too', () => {
  const scalars = [0, -0, 1, -1.5, 1e21, 1e-7, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, -Infinity, true, false, null];
  for (const value of scalars) {
    assert.equal(stableJson(value), JSON.stringify(value), String(value));
    assert.equal(stableJson({ a: value, b: [value, undefined] }), JSON.stringify({ a: value, b: [value, null] }), String(value));
  }
  assert.equal(stableJson(undefined), 'null');
});

test('sortedKeys orders keys as Array#sort does: code units, digits, case, non-ASCII, surrogates, small and large records', () => {
  const pool = [
    'b',
    'a',
    'B',
    'A',
    '10',
    '9',
    '0',
    'é',
    'e',
    'Z',
    '\u{1F600}',
    '\uffff',
    '\ud800',
    '',
    'a.b',
    'a-b',
    'a_b',
    'io.rancher.x',
    'io.corral.y',
  ];
  for (const size of [0, 1, 2, 5, 24, 25, 60]) {
    const record: Record<string, number> = {};
    for (let i = 0; i < size; i++) record[`${pool[(i * 7) % pool.length]}${i >= pool.length ? i : ''}`] = i;
    assert.deepEqual(sortedKeys(record), Object.keys(record).sort(), `${size} keys`);
  }
  assert.deepEqual(sortedKeys({ z: 1, y: 2, x: 3 }), ['x', 'y', 'z']);
});
