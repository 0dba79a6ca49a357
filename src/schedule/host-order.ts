/**
 * The order in which the allocator tries hosts, as Cattle did: fewest containers first, ties in
 * host name order. Kept up to date as containers are placed (a host moves between count buckets)
 * instead of sorting every host for every instance. Pure, mutable.
 *
 * Hosts are numbers given in name order (see fleet.ts), so within a count the lower number comes
 * first. A bucket is a bit set over the host numbers: a host enters or leaves it in constant time
 * (a sorted array shifted every host after it, about a thousand at 1,000 hosts, on every placement),
 * and its hosts are read in number order a 32-bit word at a time.
 */
export class FewestContainersFirst {
  /** Container count → the member hosts with that count. */
  private readonly buckets = new Map<number, Bucket>();
  /** Every count that has a member host, ascending. */
  private readonly countsInUse: number[] = [];
  private readonly counts: number[];
  private readonly members: boolean[];
  /** Words in a bucket's bit set. */
  private readonly words: number;

  /** `counts[host]`: containers on each host; only hosts for which `member(host)` holds are ever tried. */
  constructor(counts: readonly number[], member: (host: number) => boolean) {
    this.counts = [...counts];
    this.members = this.counts.map((_, host) => member(host));
    this.size = this.members.filter(Boolean).length;
    this.words = Math.ceil(this.counts.length / 32);
    this.counts.forEach((count, host) => {
      if (this.members[host]) this.enter(host, count);
    });
  }

  /** How many hosts are tried. */
  readonly size: number;

  includes(host: number): boolean {
    return this.members[host] === true;
  }

  containersOn(host: number): number {
    return this.counts[host] ?? 0;
  }

  /** `delta` containers more (or fewer, when negative) on the host. */
  add(host: number, delta: number): void {
    const before = this.containersOn(host);
    this.counts[host] = before + delta;
    if (!this.members[host] || delta === 0) return;
    this.leave(host, before);
    this.enter(host, before + delta);
  }

  /** Is `a` tried before `b`? */
  before(a: number, b: number): boolean {
    const difference = this.containersOn(a) - this.containersOn(b);
    return difference < 0 || (difference === 0 && a < b);
  }

  /** The first member host, in order, that `accept` takes (given `arg`); it is not called for the hosts after it. */
  first<T = undefined>(accept: (host: number, arg: T) => boolean, arg?: T): number | undefined {
    for (const count of this.countsInUse) {
      const bucket = this.buckets.get(count) as Bucket;
      const bits = bucket.bits;
      for (let word = bucket.lowestWord; word < bits.length; word++) {
        let remaining = bits[word] as number;
        while (remaining !== 0) {
          const lowest = remaining & -remaining;
          const host = word * 32 + 31 - Math.clz32(lowest);
          if (accept(host, arg as T)) return host;
          remaining ^= lowest;
        }
      }
    }
    return undefined;
  }

  private enter(host: number, count: number): void {
    let bucket = this.buckets.get(count);
    if (!bucket) {
      bucket = { bits: new Int32Array(this.words), size: 0, lowestWord: this.words };
      this.buckets.set(count, bucket);
      insertSorted(this.countsInUse, count);
    }
    const word = host >>> 5;
    bucket.bits[word] = (bucket.bits[word] as number) | (1 << (host & 31));
    bucket.size++;
    if (word < bucket.lowestWord) bucket.lowestWord = word;
  }

  private leave(host: number, count: number): void {
    const bucket = this.buckets.get(count);
    if (!bucket) return;
    const word = host >>> 5;
    bucket.bits[word] = (bucket.bits[word] as number) & ~(1 << (host & 31));
    bucket.size--;
    if (bucket.size === 0) {
      this.buckets.delete(count);
      removeSorted(this.countsInUse, count);
      return;
    }
    while (bucket.bits[bucket.lowestWord] === 0) bucket.lowestWord++;
  }
}

/** The member hosts with one container count, as bits of host numbers. */
interface Bucket {
  bits: Int32Array;
  size: number;
  /** No bit is set in the words before this one. */
  lowestWord: number;
}

/** Index of the first element ≥ value in an ascending array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

// Shifting by hand: splice would make an array of the removed elements on every call.
function insertSorted(sorted: number[], value: number): void {
  let at = sorted.length;
  sorted.push(value);
  for (; at > 0 && (sorted[at - 1] as number) > value; at--) sorted[at] = sorted[at - 1] as number;
  sorted[at] = value;
}

function removeSorted(sorted: number[], value: number): void {
  const at = lowerBound(sorted, value);
  if (sorted[at] !== value) return;
  for (let from = at + 1; from < sorted.length; from++) sorted[from - 1] = sorted[from] as number;
  sorted.length--;
}
