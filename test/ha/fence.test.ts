import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepAliveIntervalMs, LeaseFence, requestTimeoutMs } from '../../src/ha/fence.js';

test('the fence holds until the keep-alive was sent plus the TTL, minus the safety margin', () => {
  const fence = new LeaseFence(1000);
  assert.equal(fence.holds(0), false, 'closed before any lease');
  fence.renewed(10_000, 5);
  assert.equal(fence.holds(13_999), true);
  assert.equal(fence.remainingMs(13_000), 1000);
  assert.equal(fence.holds(14_000), false, 'closed at sent + TTL - margin, not at the answer time + TTL');
  assert.equal(fence.remainingMs(20_000), 0);
});

test('a late answer to an older keep-alive never moves the deadline back', () => {
  const fence = new LeaseFence(500);
  fence.renewed(2_000, 5);
  fence.renewed(1_000, 5);
  assert.equal(fence.holds(6_400), true);
  assert.equal(fence.holds(6_500), false);
});

test('an answer with no TTL (the lease is gone) and a revoke close the fence at once', () => {
  const fence = new LeaseFence(0);
  fence.renewed(0, 10);
  fence.renewed(100, 0);
  assert.equal(fence.holds(200), false);
  fence.renewed(300, 10);
  assert.equal(fence.holds(400), true);
  fence.revoke();
  assert.equal(fence.holds(400), false);
});

test('three keep-alives per TTL; a request may take a quarter of the TTL, at least half a second', () => {
  assert.equal(keepAliveIntervalMs(9), 3000);
  assert.equal(requestTimeoutMs(10), 2500);
  assert.equal(requestTimeoutMs(2), 500);
});
