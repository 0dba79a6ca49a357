/**
 * The order in which the allocator tries hosts, as Cattle did: fewest containers first, ties in
 * host name order. Kept up to date as containers are placed (a host moves between count buckets)
 * instead of sorting every host for every instance. Pure, mutable.
 *
 * Hosts are numbers given in name order (see fleet.ts), so within a count the lower number comes first.
 */
export class FewestContainersFirst {
  /** Container count → the member hosts with that count, ascending. */
  private readonly buckets = new Map<number, number[]>();
  /** Every count that has a member host, ascending. */
  private readonly countsInUse: number[] = [];
  private readonly counts: number[];
  private readonly members: boolean[];

  /** `counts[host]`: containers on each host; only hosts for which `member(host)` holds are ever tried. */
  constructor(counts: readonly number[], member: (host: number) => boolean) {
    this.counts = [...counts];
    this.members = this.counts.map((_, host) => member(host));
    this.size = this.members.filter(Boolean).length;
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

  /** The first member host, in order, that `accept` takes; it is not called for the hosts after it. */
  first(accept: (host: number) => boolean): number | undefined {
    for (const count of this.countsInUse) {
      for (const host of this.buckets.get(count) ?? []) if (accept(host)) return host;
    }
    return undefined;
  }

  private enter(host: number, count: number): void {
    const bucket = this.buckets.get(count);
    if (bucket) {
      insertSorted(bucket, host);
      return;
    }
    this.buckets.set(count, [host]);
    insertSorted(this.countsInUse, count);
  }

  private leave(host: number, count: number): void {
    const bucket = this.buckets.get(count);
    if (!bucket) return;
    removeSorted(bucket, host);
    if (bucket.length > 0) return;
    this.buckets.delete(count);
    removeSorted(this.countsInUse, count);
  }
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

function insertSorted(sorted: number[], value: number): void {
  sorted.splice(lowerBound(sorted, value), 0, value);
}

function removeSorted(sorted: number[], value: number): void {
  const at = lowerBound(sorted, value);
  if (sorted[at] === value) sorted.splice(at, 1);
}
