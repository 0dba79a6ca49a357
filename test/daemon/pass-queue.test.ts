/** Which stacks each stack pass takes: together, at most a number, one by one first, a stack in one pass at a time, failures alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassQueue } from '../../src/daemon/pass-queue.js';

const names = (count: number, prefix = 's') => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

test('a pass takes the stacks waiting, in the order asked, at most the limit; the next takes the rest', () => {
  const queue = new PassQueue(3);
  queue.ask(['a', 'b'], ['new revision r2']);
  queue.ask(['c', 'd', 'b'], ['full check']);
  assert.deepEqual(queue.take(), { stacks: ['a', 'b', 'c'], reasons: ['new revision r2', 'full check'] });
  assert.deepEqual(queue.take(), { stacks: ['d'], reasons: ['full check'] });
  assert.equal(queue.take(), undefined);
});

test('stacks asked for one by one go before those asked for together', () => {
  const queue = new PassQueue(2);
  queue.ask(names(5), ['new revision r2']);
  queue.ask(['s4'], ['container s4-web-1 died'], true);
  queue.ask(['x'], ['health check of x-web-1: unhealthy'], true);
  assert.deepEqual(queue.take()?.stacks, ['s4', 'x']);
  assert.deepEqual(queue.take()?.stacks, ['s1', 's2']);
  assert.deepEqual(queue.take()?.stacks, ['s3', 's5']);
});

test('a stack in a pass is not taken again until that pass is done; asked for meanwhile, it runs once more after', () => {
  const queue = new PassQueue();
  queue.ask(['a', 'b'], ['r2']);
  const first = queue.take();
  assert.deepEqual(first?.stacks, ['a', 'b']);
  queue.ask(['a'], ['died'], true);
  queue.ask(['a'], ['died again'], true);
  queue.ask(['c'], ['died'], true);
  assert.equal(queue.busy('a'), true);
  assert.deepEqual(queue.take(), { stacks: ['c'], reasons: ['died'] }, 'c goes; a waits for its pass');
  assert.equal(queue.take(), undefined);
  if (first) queue.done(first, false);
  assert.deepEqual(queue.take(), { stacks: ['a'], reasons: ['died', 'died again'] });
  assert.equal(queue.take(), undefined);
});

test('the stacks of a failed shared pass run again, each alone, until a pass of their own succeeds', () => {
  const queue = new PassQueue();
  queue.ask(['bad', 'good'], ['r2']);
  const shared = queue.take();
  assert.ok(shared);
  queue.done(shared, true);
  const bad = queue.take();
  const good = queue.take();
  assert.deepEqual([bad?.stacks, good?.stacks], [['bad'], ['good']]);
  assert.equal(queue.take(), undefined);
  if (bad) queue.done(bad, true);
  if (good) queue.done(good, false);
  assert.equal(queue.take(), undefined, 'a failed pass of one stack is not repeated by itself');
  queue.ask(['bad', 'good', 'other'], ['full check']);
  assert.deepEqual(queue.take()?.stacks, ['bad'], 'bad still runs alone');
  assert.deepEqual(queue.take()?.stacks, ['good', 'other'], 'good, whose own pass succeeded, shares again');
});

test('takenSince tells a stack taken by a pass after a mark; dropWaiting forgets the waiting, not those in a pass', () => {
  const queue = new PassQueue();
  queue.ask(['a', 'b'], ['r2']);
  const mark = queue.mark();
  queue.ask(['c'], ['died'], true);
  const pass = queue.take();
  assert.deepEqual(pass?.stacks, ['c', 'a', 'b']);
  assert.equal(queue.takenSince('a', mark), true);
  assert.equal(queue.takenSince('z', mark), false);
  assert.equal(queue.takenSince('a', queue.mark()), false);
  queue.ask(['a', 'd'], ['full check']);
  queue.dropWaiting();
  assert.equal(queue.busy('d'), false);
  assert.equal(queue.busy('a'), true, 'a is still in its pass');
  if (pass) queue.done(pass, false);
  assert.equal(queue.take(), undefined, 'the request for a was dropped');
});
