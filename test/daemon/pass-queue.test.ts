/** Which stacks each stack pass takes: together, at most a number, one by one first, a stack in one pass at a time, failed passes split. */
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
  assert.equal(queue.inPass('a'), true);
  assert.equal(queue.waits('a'), false, 'asked for again, but held by its pass');
  assert.deepEqual(queue.take(), { stacks: ['c'], reasons: ['died'] }, 'c goes; a waits for its pass');
  assert.equal(queue.take(), undefined);
  if (first) queue.done(first, false);
  assert.deepEqual(queue.take(), { stacks: ['a'], reasons: ['died', 'died again'] });
  assert.equal(queue.take(), undefined);
});

test('the stacks of a failed shared pass are split in two groups, down to the stack that fails, which then runs alone after the others', () => {
  const queue = new PassQueue();
  const stacks = names(8);
  queue.ask(stacks, ['r2']);
  const runs: string[][] = [];
  // s3 makes every pass it is in throw.
  for (let work = queue.take(); work; work = queue.take()) {
    runs.push(work.stacks);
    queue.ask(queue.done(work, work.stacks.includes('s3')), work.reasons);
  }
  assert.deepEqual(runs, [stacks, ['s1', 's2', 's3', 's4'], ['s5', 's6', 's7', 's8'], ['s1', 's2'], ['s3', 's4'], ['s3'], ['s4']]);
  queue.ask(['s3', 's1', 's9'], ['full check']);
  queue.ask(['x'], ['container x-web-1 died'], true);
  assert.deepEqual(queue.take()?.stacks, ['x', 's1', 's9'], 'the stacks without a group, the urgent first');
  assert.deepEqual(queue.take()?.stacks, ['s3'], 'then s3, alone');
});

test('a stack whose own pass succeeds leaves its group and shares passes again', () => {
  const queue = new PassQueue();
  queue.ask(['bad', 'good'], ['r2']);
  const shared = queue.take();
  assert.ok(shared);
  assert.deepEqual(queue.done(shared, true), ['bad', 'good']);
  queue.ask(['bad', 'good'], ['r2']);
  const bad = queue.take();
  const good = queue.take();
  assert.deepEqual([bad?.stacks, good?.stacks], [['bad'], ['good']]);
  if (bad) assert.deepEqual(queue.done(bad, true), [], 'a failed pass of one stack is not repeated by itself');
  if (good) queue.done(good, false);
  queue.ask(['bad', 'good', 'other'], ['full check']);
  assert.deepEqual(queue.take()?.stacks, ['good', 'other'], 'good, whose own pass succeeded, shares again');
  assert.deepEqual(queue.take()?.stacks, ['bad'], 'bad still runs alone');
});

test('touchedSince tells a stack a pass took or ended after a mark; dropWaiting forgets the waiting, not those in a pass', () => {
  const queue = new PassQueue();
  queue.ask(['a', 'b'], ['r2']);
  const pass = queue.take();
  assert.deepEqual(pass?.stacks, ['a', 'b']);
  const mark = queue.mark();
  assert.equal(queue.touchedSince('a', mark), false, 'taken before the mark');
  if (pass) queue.done(pass, false);
  assert.equal(queue.touchedSince('a', mark), true, 'ended after it');
  assert.equal(queue.touchedSince('z', mark), false);
  queue.ask(['a', 'd'], ['full check']);
  const next = queue.take();
  queue.ask(['a', 'e'], ['died']);
  queue.dropWaiting();
  assert.equal(queue.waits('e'), false);
  assert.equal(queue.inPass('a'), true, 'a is still in its pass');
  if (next) queue.done(next, false);
  assert.equal(queue.take(), undefined, 'the requests for a and e were dropped');
});
