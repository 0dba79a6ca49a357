/**
 * Fencing: until when a leader may change hosts, from its etcd lease. Pure: times in, verdicts out.
 *
 * etcd counts a lease's TTL from the moment it handles the grant or keep-alive, which is after
 * the request left this process; so the lease cannot expire before `sent + TTL`, on the clock
 * of whoever measured `sent`. The leader changes hosts only until that moment minus a safety
 * margin, which covers the difference between clock rates, a request still on its way to a
 * Docker daemon, and etcd's lease checks. Times come from a monotonic clock, never from the wall
 * clock, which can jump.
 */

/** The slot's value while no lease holds the fence. */
const CLOSED = -(2n ** 63n);

/**
 * The deadline lives in one 64-bit slot (microseconds, floored, so never later than computed),
 * which may be in a SharedArrayBuffer: the thread that renews the lease writes it, the thread that
 * sends Docker operations reads it (./lease-keeper.ts). Both must then measure times on the same
 * clock (./lease-keeper.ts's monotonicMs).
 */
export class LeaseFence {
  /** A new fence is closed; over an existing slot it keeps the slot's deadline. */
  constructor(
    private readonly safetyMarginMs: number,
    readonly deadlineSlot: BigInt64Array = closedSlot(),
  ) {}

  /**
   * A grant or keep-alive sent at `sentAtMs` was answered with `ttlSeconds` (0 or less: the lease
   * is gone). An answer never moves the deadline back: a late answer to an older keep-alive
   * says less than the newer one already did.
   */
  renewed(sentAtMs: number, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return this.revoke();
    const deadlineUs = BigInt(Math.floor((sentAtMs + ttlSeconds * 1000 - this.safetyMarginMs) * 1000));
    for (let current = Atomics.load(this.deadlineSlot, 0); deadlineUs > current; ) {
      const found = Atomics.compareExchange(this.deadlineSlot, 0, current, deadlineUs);
      if (found === current) return;
      current = found;
    }
  }

  /** The lease is gone, or no longer ours: no more changes from this replica until a new one. */
  revoke(): void {
    Atomics.store(this.deadlineSlot, 0, CLOSED);
  }

  /** True while the lease is certainly still valid (deadline included the margin). */
  holds(nowMs: number): boolean {
    return nowMs < this.deadlineMs();
  }

  /** Milliseconds left before the fence closes; 0 once it has. */
  remainingMs(nowMs: number): number {
    return Math.max(0, this.deadlineMs() - nowMs);
  }

  private deadlineMs(): number {
    const deadlineUs = Atomics.load(this.deadlineSlot, 0);
    return deadlineUs === CLOSED ? Number.NEGATIVE_INFINITY : Number(deadlineUs) / 1000;
  }
}

function closedSlot(): BigInt64Array {
  const slot = new BigInt64Array(new SharedArrayBuffer(8));
  slot[0] = CLOSED;
  return slot;
}

/** How often a lease of `ttlSeconds` is renewed: three keep-alives per TTL, so that one lost answer is not fatal. */
export function keepAliveIntervalMs(ttlSeconds: number): number {
  return (ttlSeconds * 1000) / 3;
}

/** How long one etcd request may take before it is given up and the next endpoint is tried. */
export function requestTimeoutMs(ttlSeconds: number): number {
  return Math.max(500, (ttlSeconds * 1000) / 4);
}
