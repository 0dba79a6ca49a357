/** The record helpers: copying without spread, grouping by key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyInto, groupBy } from '../../src/util/records.js';

describe('groupBy', () => {
  it('keeps the items in their order within each group, and the groups in the order their key first appears', () => {
    const items = [
      { host: 'h2', name: 'a' },
      { host: 'h1', name: 'b' },
      { host: 'h2', name: 'c' },
    ];
    const groups = groupBy(items, (item) => item.host);
    assert.deepEqual([...groups.keys()], ['h2', 'h1']);
    assert.deepEqual(
      groups.get('h2')?.map((item) => item.name),
      ['a', 'c'],
    );
    assert.deepEqual(
      groups.get('h1')?.map((item) => item.name),
      ['b'],
    );
  });

  it('asks each item for its key once', () => {
    const asked: string[] = [];
    groupBy(['x', 'y', 'x'], (item) => {
      asked.push(item);
      return item;
    });
    assert.deepEqual(asked, ['x', 'y', 'x']);
  });
});

describe('copyInto', () => {
  it('copies a __proto__ key as data, as spread does, without changing the prototype', () => {
    const source = JSON.parse('{"__proto__": "x", "a": "1"}') as Record<string, string>;
    const copy = copyInto({}, source);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(copy, { ...source });
  });
});
