/**
 * Leader election among `corral run` replicas on etcd. I/O: etcd requests (./etcd.ts) and timers.
 *
 * Each replica holds a lease of `lease_ttl` seconds, renewed three times per TTL by a keeper
 * (./lease-keeper.ts; for `corral run`, on a worker thread that the main thread's work cannot
 * stall, so a busy leader keeps its lease and leads on; a main thread stuck for good lets it go
 * after max(3 × TTL, 30 s) without a heartbeat). The leader is the replica whose lease holds the
 * election key: a replica that finds the key absent creates it under its lease in one
 * transaction, so at most one holds it; when the leader's lease expires (it died, or lost etcd),
 * etcd deletes the key and the standbys, watching it, try at once.
 *
 * Fencing: the leader changes hosts only while its lease certainly holds (./fence.ts): `fence()`
 * is checked before each Docker operation, so a leader cut off from etcd stops before the lease
 * could expire and a standby take over. A leader that steps down forgets its lease and takes a new
 * one; the old key stays until etcd expires it, so nobody leads twice at once.
 *
 * One exception: a leader whose fence closed only because no renewal was confirmed in time keeps
 * its lease. On a loaded machine an event loop stalls for seconds (measured at load 12 to 20 on
 * 2 CPUs: 2 to 3.5 s often, up to 15 to 20 s), so a keep-alive leaves late, or its answer comes late
 * (renewals from this thread, or a slow etcd), while the lease is still alive in etcd. The
 * replica steps down (its fence is closed), renews at once, and leads again as soon as etcd
 * renews that same lease (the key read meanwhile does not make it lead): etcd never renews an
 * expired lease, so a renewal proves the key stayed under it and nobody else led meanwhile. If
 * etcd answers that the lease is gone (the stall outlasted it), it is forgotten as above; if no
 * renewal has reopened the fence within a TTL (renewals that keep coming back just too late), it
 * is given up (revoked), so that the key never stays held with nobody leading.
 */
import type winston from 'winston';
import type { HaConfig } from '../config/ha.js';
import { type CreateResult, EtcdAnswerError, type EtcdGateway, type WatchEvent } from './etcd.js';
import { keepAliveIntervalMs, LeaseFence } from './fence.js';
import type { Leadership, LeadershipChange, Role } from './leadership.js';
import { type HeldLease, type KeeperReport, type KeepLease, keepOnThisThread, type LeaseKeeper, monotonicMs } from './lease-keeper.js';

export interface ElectionOptions {
  config: HaConfig;
  /** This replica's name, written as the key's value for people to read. */
  replica: string;
  etcd: EtcdGateway;
  logger: winston.Logger;
  /** A monotonic clock in milliseconds (default monotonicMs); a worker keeper reads monotonicMs, so only keepers on this thread may be given another. */
  now?: () => number;
  /**
   * Keeps each lease alive once granted (./lease-keeper.ts). Default: renewals on this thread;
   * `corral run` renews from a worker thread (./index.ts).
   */
  keepLease?: KeepLease;
}

/** Retries after an etcd failure start here and double up to a third of the TTL. */
const FIRST_RETRY_MS = 250;
/** How long resigning may take on shutdown before the process goes anyway. */
const RESIGN_TIMEOUT_MS = 2000;

export class LeaderElection implements Leadership {
  readonly replica: string;
  private current: Role = 'standby';
  private holder?: string;
  private leaseId?: string;
  /** The held lease's fence (its deadline moved by the keeper); a closed one without a lease. */
  private fenceState: LeaseFence;
  private readonly listeners: ((change: LeadershipChange) => void)[] = [];
  private readonly now: () => number;
  private stopped = false;
  private loopDone?: Promise<void>;
  private wake?: () => void;
  /** Set by a wake-up that came while the loop was not asleep: the next sleep returns at once. */
  private woken = false;
  private keepLease: KeepLease;
  private keeper?: LeaseKeeper;
  /**
   * Stepped down at the deadline with the lease kept: until this time (this.now()), a renewal that
   * reopens the fence makes this replica lead again. After it, the lease is given up, so that
   * renewals that keep coming back late cannot hold the key with nobody leading.
   */
  private leadAgainUntil?: number;
  private deadlineTimer?: NodeJS.Timeout;
  private cancelWatch?: () => void;
  private lastProblem?: string;
  private refused = 0;
  private changes: Record<Role, number> = { leader: 0, standby: 0 };

  constructor(private readonly options: ElectionOptions) {
    this.replica = options.replica;
    this.fenceState = new LeaseFence(options.config.safetyMarginMs);
    this.now = options.now ?? monotonicMs;
    this.keepLease = options.keepLease ?? keepOnThisThread(options.etcd, this.now);
  }

  // --- Leadership -----------------------------------------------------------

  role(): Role {
    return this.current;
  }

  leader(): string | undefined {
    return this.holder;
  }

  fence(): string | undefined {
    const refusal = this.refusal();
    if (refusal) this.refused += 1;
    return refusal;
  }

  onChange(listener: (change: LeadershipChange) => void): void {
    this.listeners.push(listener);
  }

  /** Operations the fence refused, and role changes so far (for metrics). */
  counts(): { refusedOperations: number; changes: Record<Role, number> } {
    return { refusedOperations: this.refused, changes: { ...this.changes } };
  }

  /** Milliseconds left before the fence closes (0 for a standby). */
  leaseRemainingMs(): number {
    return this.current === 'leader' ? this.fenceState.remainingMs(this.now()) : 0;
  }

  // --- life -----------------------------------------------------------------

  start(): void {
    this.loopDone ??= this.campaignLoop();
  }

  /** Stops campaigning; a leader resigns (revokes its lease) so that a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    this.keeper?.stop();
    clearTimeout(this.deadlineTimer);
    this.cancelWatch?.();
    await this.loopDone;
    const leaseId = this.leaseId;
    this.forgetLease();
    this.stepDown('this replica is stopping');
    if (leaseId) await this.resign(leaseId);
    this.options.etcd.close();
  }

  /** Revokes the lease: etcd deletes the election key at once, and a standby takes it. */
  private async resign(leaseId: string): Promise<void> {
    try {
      await Promise.race([this.options.etcd.revoke(leaseId), delay(RESIGN_TIMEOUT_MS)]);
      this.options.logger.info('resigned: lease revoked', { replica: this.replica });
    } catch (err) {
      this.options.logger.warn('could not revoke the lease; it expires by itself', { replica: this.replica, error: message(err) });
    }
  }

  // --- campaign -------------------------------------------------------------

  private async campaignLoop(): Promise<void> {
    const { leaseTtlSeconds } = this.options.config;
    const maxRetryMs = keepAliveIntervalMs(leaseTtlSeconds);
    let retryMs = 0;
    while (!this.stopped) {
      try {
        await this.campaign();
        if (this.lastProblem) this.options.logger.info('etcd reachable again', { replica: this.replica });
        this.lastProblem = undefined;
        retryMs = 0;
      } catch (err) {
        this.reportProblem(message(err));
        retryMs = Math.min(maxRetryMs, Math.max(FIRST_RETRY_MS, retryMs * 2));
      }
      // A watch event wakes the loop at once; otherwise it looks again every TTL.
      await this.sleep(retryMs || leaseTtlSeconds * 1000);
    }
  }

  /** One look at the key: take it when it is free; then watch it until something changes. */
  private async campaign(): Promise<void> {
    const { etcd, config } = this.options;
    this.woken = false;
    const leaseId = this.leaseId ?? (await this.newLease());
    if (this.stopped) return;
    const read = await etcd.get(config.electionKey);
    let revision = read.revision;
    let holder = read.kv;
    if (!holder) {
      const created = await this.createUnderLease(leaseId);
      if (!created) return;
      revision = created.revision;
      holder = created.created ? { value: this.replica, lease: leaseId, createRevision: created.revision } : created.holder;
    }
    if (this.stopped || leaseId !== this.leaseId) return;
    if (holder && holder.lease === leaseId) this.leadUnderLease(holder.createRevision);
    else {
      this.holder = holder?.value;
      this.leadAgainUntil = undefined;
      this.stepDown(holder ? `${holder.value} holds the election key` : 'the election key changed hands');
    }
    this.watchKey(revision);
  }

  /**
   * Creates the key under the lease, unless another holds it. A lease etcd no longer knows (it
   * expired while nothing reported it: a keeper stuck, not dead) is dropped (undefined): the
   * campaign takes a new one, where it would otherwise try the dead one for ever.
   */
  private async createUnderLease(leaseId: string): Promise<CreateResult | undefined> {
    try {
      return await this.options.etcd.createIfAbsent(this.options.config.electionKey, this.replica, leaseId);
    } catch (err) {
      if (!(err instanceof EtcdAnswerError) || !/lease not found/i.test(err.message)) throw err;
      if (leaseId === this.leaseId) this.leaseLost('etcd no longer knows this replica’s lease (it expired)');
      return undefined;
    }
  }

  private async newLease(): Promise<string> {
    const sentAt = this.now();
    const granted = await this.options.etcd.grant(this.options.config.leaseTtlSeconds);
    const fence = new LeaseFence(this.options.config.safetyMarginMs);
    fence.renewed(sentAt, granted.ttlSeconds);
    this.keeper?.stop();
    this.keeper = undefined;
    const lease = { id: granted.id, ttlSeconds: granted.ttlSeconds, fence };
    this.keeper = this.startKeeper(lease);
    this.leaseId = granted.id;
    this.fenceState = fence;
    return granted.id;
  }

  /** Starts renewing the lease; a worker that cannot start (a pids limit, say) leaves the renewals to this thread. */
  private startKeeper(lease: HeldLease): LeaseKeeper {
    const report = (keeperReport: KeeperReport) => this.leaseReported(lease.id, keeperReport);
    try {
      return this.keepLease(lease, report);
    } catch (err) {
      this.options.logger.error('the thread that renews the lease cannot start; leases are renewed from the main thread from now on', {
        replica: this.replica,
        error: message(err),
      });
      this.keepLease = keepOnThisThread(this.options.etcd, this.now);
      return this.keepLease(lease, report);
    }
  }

  private watchKey(afterRevision: string): void {
    this.cancelWatch?.();
    const next = String(BigInt(afterRevision) + 1n);
    this.cancelWatch = this.options.etcd.watch(
      this.options.config.electionKey,
      next,
      (event) => this.keyChanged(event),
      (reason) => {
        if (this.stopped) return;
        this.options.logger.debug('election watch ended; reading the key again', { replica: this.replica, reason });
        setTimeout(() => this.wakeUp(), FIRST_RETRY_MS);
      },
    );
  }

  private keyChanged(event: WatchEvent): void {
    if (event.type === 'put' && event.kv.lease === this.leaseId) return;
    if (event.type === 'put') {
      this.holder = event.kv.value;
      this.stepDown(`${event.kv.value} holds the election key`);
      return;
    }
    this.holder = undefined;
    this.stepDown('the election key was deleted');
    this.wakeUp();
  }

  // --- the lease ------------------------------------------------------------

  /** What the keeper said about the lease `leaseId`, read when this thread gets to it. */
  private leaseReported(leaseId: string, report: KeeperReport): void {
    if (leaseId !== this.leaseId || this.stopped) return;
    switch (report.type) {
      case 'renewed':
        return this.renewed(leaseId);
      case 'gone':
        return this.leaseLost('etcd no longer knows this replica’s lease (it expired)');
      case 'failed':
        this.reportProblem(`cannot renew the lease: ${report.error}`);
        if (report.refused) this.leaseLost(`etcd refused to renew the lease: ${report.error}`);
        return;
      case 'abandoned':
        this.options.logger.error('the main thread showed no sign of life for too long: the lease was left to expire', {
          replica: this.replica,
          silentForMs: Math.round(report.silentForMs),
        });
        return this.leaseLost('this replica’s main thread was stuck: its lease was left to expire');
      case 'crashed':
        this.options.logger.error('the thread that renews the lease died; leases are renewed from the main thread from now on', {
          replica: this.replica,
          error: report.error,
        });
        this.keepLease = keepOnThisThread(this.options.etcd, this.now);
        return this.giveUpLease(leaseId, 'the thread that renewed the lease died');
    }
  }

  /** A renewal was answered: the fence's deadline moved (the keeper did that). */
  private renewed(leaseId: string): void {
    const fenceOpen = this.fenceState.holds(this.now());
    if (!fenceOpen && this.leadAgainUntil !== undefined && this.now() > this.leadAgainUntil) {
      this.options.logger.warn('gave up the lease: its renewals kept coming back too late to lead again', { replica: this.replica });
      return this.giveUpLease(leaseId, 'the lease was given up: its renewals kept coming back too late');
    }
    this.armDeadline();
    if (fenceOpen && this.leadAgainUntil !== undefined) this.wakeUp();
  }

  /** The lease is gone or no longer renewed: step down, and campaign with a new one. */
  private leaseLost(reason: string): void {
    this.forgetLease();
    this.stepDown(reason);
    this.wakeUp();
  }

  /**
   * A leader steps down when the fence closes, even if no keep-alive answer ever comes back. It
   * keeps the lease and renews it at once (unless a renewal is on its way): see the file's comment.
   */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    if (this.current !== 'leader') return;
    this.deadlineTimer = setTimeout(() => {
      if (this.current !== 'leader') return;
      // A timer may fire a fraction of a millisecond before the clock reaches its time: look again then.
      if (this.fenceState.holds(this.now())) return this.armDeadline();
      // It keeps the key, but leads nothing until a renewal reopens its fence.
      this.holder = undefined;
      this.stepDown('the lease could not be renewed before its deadline');
      this.leadAgainUntil = this.now() + this.leaseTtlMs();
      this.keeper?.renewNow();
    }, this.fenceState.remainingMs(this.now()) + 1);
  }

  /**
   * Renewals kept coming back after the fence had closed for a whole TTL, or nothing renews the
   * lease any more: it is revoked, so that etcd deletes the key and a standby (or this replica,
   * with a new lease) takes it.
   */
  private giveUpLease(leaseId: string, reason: string): void {
    this.forgetLease();
    this.stepDown(reason);
    void this.resign(leaseId).then(() => this.wakeUp());
  }

  private leaseTtlMs(): number {
    return this.options.config.leaseTtlSeconds * 1000;
  }

  /** The lease is no longer used: a new one is taken; etcd expires the old one (and the key it holds). */
  private forgetLease(): void {
    this.leaseId = undefined;
    this.leadAgainUntil = undefined;
    // A new, closed fence: the keeper's thread may still write the old one's deadline.
    this.fenceState = new LeaseFence(this.options.config.safetyMarginMs);
    this.keeper?.stop();
    this.keeper = undefined;
    clearTimeout(this.deadlineTimer);
  }

  // --- roles ----------------------------------------------------------------

  private becomeLeader(term: string): void {
    this.holder = this.replica;
    this.leadAgainUntil = undefined;
    if (this.current === 'leader') return;
    this.current = 'leader';
    this.armDeadline();
    this.changed({ role: 'leader', leader: this.replica, reason: 'this replica holds the election key' }, { term });
  }

  /**
   * The key is under this replica's lease; it leads while the fence holds, else once a renewal
   * reopens it (within a TTL). Meanwhile nobody leads: the holder is not named.
   */
  private leadUnderLease(term: string): void {
    if (this.fenceState.holds(this.now())) return this.becomeLeader(term);
    this.holder = undefined;
    this.stepDown('the lease could not be renewed before its deadline');
    this.leadAgainUntil ??= this.now() + this.leaseTtlMs();
  }

  private stepDown(reason: string): void {
    if (this.current !== 'leader') return;
    this.current = 'standby';
    clearTimeout(this.deadlineTimer);
    this.changed({ role: 'standby', ...(this.holder && this.holder !== this.replica ? { leader: this.holder } : {}), reason }, {});
  }

  private changed(change: LeadershipChange, extra: Record<string, string>): void {
    this.changes[change.role] += 1;
    const { logger, config } = this.options;
    const meta = { replica: this.replica, reason: change.reason, key: config.electionKey, ...extra };
    if (change.role === 'leader') logger.info('leadership acquired: this replica changes the hosts now', meta);
    else logger.warn('leadership lost: this replica no longer changes the hosts', meta);
    for (const listener of this.listeners) listener(change);
  }

  private refusal(): string | undefined {
    if (this.current !== 'leader')
      return `not sent: this replica (${this.replica}) is a standby; ${this.holder ? `${this.holder} leads` : 'no replica leads right now'}`;
    if (!this.fenceState.holds(this.now()))
      return `not sent: the leader lease of ${this.replica} could expire before the operation is done`;
    return undefined;
  }

  private reportProblem(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.options.logger.warn('leader election: etcd problem', { replica: this.replica, role: this.current, error: problem });
  }

  /** Makes the campaign loop look at the key again now. */
  private wakeUp(): void {
    this.woken = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
