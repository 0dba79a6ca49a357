/** Remembering derived values: per object (WeakMap) and per text (bounded Map). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoizedPerObject, memoizedPerText } from '../../src/util/memo.js';

describe('memoizedPerObject', () => {
  it('works a value out once per object, an undefined value included', () => {
    const asked: object[] = [];
    const derive = memoizedPerObject((key: { n: number }) => {
      asked.push(key);
      return key.n > 0 ? key.n * 2 : undefined;
    });
    const one = { n: 1 };
    const zero = { n: 0 };
    assert.deepEqual([derive(one), derive(one), derive(zero), derive(zero)], [2, 2, undefined, undefined]);
    assert.deepEqual(asked, [one, zero]);
  });
});

describe('memoizedPerText', () => {
  it('works a value out once per text, an undefined value included', () => {
    const asked: string[] = [];
    const derive = memoizedPerText((text: string) => {
      asked.push(text);
      return text === '' ? undefined : { length: text.length };
    });
    const first = derive('abc');
    assert.equal(derive('abc'), first);
    assert.deepEqual([derive(''), derive('')], [undefined, undefined]);
    assert.deepEqual(asked, ['abc', '']);
  });

  it('remembers no more than `max` texts: once full it starts again with the texts asked for next', () => {
    const asked: string[] = [];
    const derive = memoizedPerText((text: string) => asked.push(text), 2);
    for (const text of ['a', 'b', 'a', 'c', 'c', 'a', 'a', 'b']) derive(text);
    // a and b fill it; c empties it and is kept; a is kept beside c; b empties it again.
    assert.deepEqual(asked, ['a', 'b', 'c', 'a', 'b']);
  });
});
