import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FewestContainersFirst } from '../../src/schedule/host-order.js';

/** Every member host in the order the allocator tries them. */
function order(hosts: FewestContainersFirst): number[] {
  const seen: number[] = [];
  hosts.first((host) => {
    seen.push(host);
    return false;
  });
  return seen;
}

test('host order: fewest containers first, ties by host number; non-members never tried', () => {
  const hosts = new FewestContainersFirst([2, 0, 1, 0, 5], (host) => host !== 3);
  assert.equal(hosts.size, 4);
  assert.deepEqual(order(hosts), [1, 2, 0, 4]);
  assert.equal(hosts.includes(3), false);
  assert.ok(hosts.before(1, 2));
  assert.ok(hosts.before(2, 0));
});

test('host order: follows placements and their rollback', () => {
  const hosts = new FewestContainersFirst([0, 0, 0], () => true);
  hosts.add(0, 2);
  assert.deepEqual(order(hosts), [1, 2, 0]);
  hosts.add(1, 1);
  assert.deepEqual(order(hosts), [2, 1, 0]);
  hosts.add(2, 2);
  assert.deepEqual(order(hosts), [1, 0, 2]);
  hosts.add(2, -2);
  hosts.add(0, -2);
  assert.deepEqual(order(hosts), [0, 2, 1]);
  assert.equal(hosts.containersOn(1), 1);
});

test('host order: first stops at the first host accepted', () => {
  const hosts = new FewestContainersFirst([3, 1, 2], () => true);
  const asked: number[] = [];
  const found = hosts.first((host) => {
    asked.push(host);
    return host === 2;
  });
  assert.equal(found, 2);
  assert.deepEqual(asked, [1, 2]);
  assert.equal(
    hosts.first(() => false),
    undefined,
  );
});

test('host order: the same as sorting by (containers, host) after any placements, across 32-host words', () => {
  const hostCount = 100;
  const member = (host: number) => host % 7 !== 3;
  const counts = Array.from({ length: hostCount }, (_, host) => (host * 37) % 5);
  const hosts = new FewestContainersFirst(counts, member);
  const expected = () =>
    counts
      .map((count, host) => ({ count, host }))
      .filter(({ host }) => member(host))
      .sort((a, b) => a.count - b.count || a.host - b.host)
      .map(({ host }) => host);
  let seed = 7;
  for (let step = 0; step < 500; step++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const host = seed % hostCount;
    const delta = step % 5 === 4 && (counts[host] ?? 0) > 0 ? -1 : 1 + (seed % 3);
    counts[host] = (counts[host] ?? 0) + delta;
    hosts.add(host, delta);
    if (step % 50 === 0 || host === 31 || host === 63) assert.deepEqual(order(hosts), expected(), `after step ${step}`);
  }
  assert.deepEqual(order(hosts), expected());
});
