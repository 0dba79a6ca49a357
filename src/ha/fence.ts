/**
 * Fencing: until when a leader may change hosts, from its etcd lease. Pure: times in, verdicts out.
 *
 * etcd counts a lease's TTL from the moment it handles the grant or keep-alive, which is after
 * the request left this process; so the lease cannot expire before `sent + TTL`, on the clock
 * of whoever measured `sent`. The leader changes hosts only until that moment minus a safety
 * margin, which covers the difference between clock rates, a request still on its way to a
 * Docker daemon, and etcd's lease checks. Times come from a monotonic clock (performance.now),
 * never from the wall clock, which can jump.
 */

export class LeaseFence {
  private deadlineMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly safetyMarginMs: number) {}

  /**
   * A grant or keep-alive sent at `sentAtMs` was answered with `ttlSeconds` (0 or less: the lease
   * is gone). An answer never moves the deadline back: a late answer to an older keep-alive
   * says less than the newer one already did.
   */
  renewed(sentAtMs: number, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return this.revoke();
    this.deadlineMs = Math.max(this.deadlineMs, sentAtMs + ttlSeconds * 1000 - this.safetyMarginMs);
  }

  /** The lease is gone, or no longer ours: no more changes from this replica until a new one. */
  revoke(): void {
    this.deadlineMs = Number.NEGATIVE_INFINITY;
  }

  /** True while the lease is certainly still valid (deadline included the margin). */
  holds(nowMs: number): boolean {
    return nowMs < this.deadlineMs;
  }

  /** Milliseconds left before the fence closes; 0 once it has. */
  remainingMs(nowMs: number): number {
    return Math.max(0, this.deadlineMs - nowMs);
  }
}

/** How often a lease of `ttlSeconds` is renewed: three keep-alives per TTL, so that one lost answer is not fatal. */
export function keepAliveIntervalMs(ttlSeconds: number): number {
  return (ttlSeconds * 1000) / 3;
}

/** How long one etcd request may take before it is given up and the next endpoint is tried. */
export function requestTimeoutMs(ttlSeconds: number): number {
  return Math.max(500, (ttlSeconds * 1000) / 4);
}
