import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commaList, isPlainObject, keyValueMap, listItems, scalarText, splitOnce, stringMap } from '../../src/util/values.js';

test('isPlainObject: a mapping, not null, a list or a scalar', () => {
  assert.equal(isPlainObject({ a: 1 }), true);
  assert.equal(isPlainObject({}), true);
  for (const value of [null, undefined, [], ['a'], 'text', 3, true]) assert.equal(isPlainObject(value), false, JSON.stringify(value));
});

test('scalarText: a scalar as the text written; null, lists and maps have none', () => {
  assert.equal(scalarText('8080'), '8080');
  assert.equal(scalarText(8080), '8080');
  assert.equal(scalarText(1.5), '1.5');
  assert.equal(scalarText(false), 'false');
  assert.equal(scalarText(''), '');
  for (const value of [null, undefined, [], {}]) assert.equal(scalarText(value), undefined, JSON.stringify(value));
});

test('stringMap: `key:` with no value is "", never "null"; scalars as written; nested values as JSON', () => {
  assert.deepEqual(stringMap({ empty: null, port: 8080, on: true, name: 'web', list: ['a', 1], map: { k: 'v' } }), {
    empty: '',
    port: '8080',
    on: 'true',
    name: 'web',
    list: '["a",1]',
    map: '{"k":"v"}',
  });
  for (const value of [null, undefined, 'a=b', ['a=b']]) assert.deepEqual(stringMap(value), {}, JSON.stringify(value));
});

test('splitOnce and keyValueMap split on the first separator only', () => {
  assert.deepEqual(splitOnce('KEY=a=b', '='), ['KEY', 'a=b']);
  assert.deepEqual(splitOnce('KEY=', '='), ['KEY', '']);
  assert.deepEqual(splitOnce('KEY', '='), ['KEY', undefined]);
  assert.deepEqual(keyValueMap(['a=1', 'b', 'c=x=y', 7], '=', null), { a: '1', b: null, c: 'x=y', '7': null });
  assert.deepEqual(keyValueMap(['/run:size=64m,mode=1777', '/tmp'], ':', ''), { '/run': 'size=64m,mode=1777', '/tmp': '' });
});

test('commaList: items trimmed, empty ones dropped', () => {
  assert.deepEqual(commaList(' a, b,,c , '), ['a', 'b', 'c']);
  assert.deepEqual(commaList(''), []);
  assert.deepEqual(commaList(undefined), []);
});

test('listItems reads a compose list written as a list or as one string', () => {
  assert.deepEqual(listItems(['db', 'cache:redis', 8080]), ['db', 'cache:redis', '8080']);
  assert.deepEqual(listItems('db'), ['db']);
  for (const nothing of ['', undefined, null, 3, { db: 'x' }])
    assert.deepEqual(listItems(nothing), [], `${JSON.stringify(nothing)} is no list`);
});
