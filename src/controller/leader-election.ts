// Leader election on a coordination.k8s.io Lease, with client-go's semantics and defaults:
//   - a candidate takes the Lease when it is free, released, or not renewed for leaseDuration as observed on
//     the candidate's own clock (so clocks need not agree, only run at the same rate);
//   - the leader renews every retryPeriod; if no renewal succeeds for renewDeadline it stops leading at once,
//     before its Lease can lapse for others (renewDeadline < leaseDuration), and the process should exit;
//   - on shutdown the leader releases the Lease so a successor need not wait out leaseDuration.
// Races between candidates are settled by the apiserver: updates carry the resourceVersion read, and the loser
// gets a Conflict. Like client-go, this does not fence: keep writes idempotent.
import type { Logger } from '../observability/log.js';
import { silentLogger } from '../observability/log.js';
import { sleep, systemClock, type Clock } from '../util/clock.js';
import type { LeaseRecord, LeaseStore } from './ports.js';

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION_TIMINGS: LeaderElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** client-go's JitterFactor: waits between acquire attempts are retryPeriod × [1, 2.2). */
const JITTER_FACTOR = 1.2;

export interface LeaderElectorOptions extends Partial<LeaderElectionTimings> {
  /** Unique per replica; the pod name. */
  identity: string;
  store: LeaseStore;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
  /** Called once leadership is won; the signal aborts the moment it is lost or given up. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called once when leadership ends, for whatever reason. */
  onStoppedLeading?(): void;
  /** Called when another identity is seen holding the Lease. */
  onNewLeader?(identity: string): void;
  /** Release the Lease when run()'s signal aborts while leading (default true). */
  releaseOnCancel?: boolean;
}

/** Why run() returned: stopped before winning, released on shutdown, or lost. */
export type LeaderElectionOutcome = 'stopped' | 'released' | 'lost';

export function validateTimings(t: LeaderElectionTimings): void {
  if (!(t.retryPeriodMs > 0 && t.renewDeadlineMs > 0 && t.leaseDurationMs > 0)) {
    throw new Error('Leader election timings must be positive');
  }
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    throw new Error(
      `leaseDuration (${t.leaseDurationMs} ms) must be greater than renewDeadline (${t.renewDeadlineMs} ms)`,
    );
  }
  if (t.renewDeadlineMs <= JITTER_FACTOR * t.retryPeriodMs) {
    throw new Error(
      `renewDeadline (${t.renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × retryPeriod (${t.retryPeriodMs} ms)`,
    );
  }
}

export class LeaderElector {
  private readonly timings: LeaderElectionTimings;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  /** The last Lease we read or wrote, and when (on our clock) we first saw that version of it. */
  private observed: { record: LeaseRecord; at: number } | undefined;
  private leading = false;
  private lastLeaderSeen: string | undefined;
  /** When the Lease another identity holds expires on our clock, if one does. */
  private otherHolderExpiresAt: number | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.retryPeriodMs,
    };
    validateTimings(this.timings);
    if (!options.identity) throw new Error('Leader election needs a non-empty identity');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = (options.log ?? silentLogger).child({ identity: options.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until elected, leads until the signal aborts or renewal fails; returns why it ended. */
  async run(signal: AbortSignal): Promise<LeaderElectionOutcome> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      // The next attempt after a jittered retry period, but no later than the moment the holder's Lease expires
      // on our clock: a standby then takes over about leaseDuration after the holder's last renewal it saw,
      // not up to 2.2 retry periods later.
      const jittered = this.timings.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
      const untilExpiry = (this.otherHolderExpiresAt ?? Infinity) - this.clock.now();
      await sleep(this.clock, Math.max(0, Math.min(jittered, untilExpiry)), signal);
    }
    if (signal.aborted) return 'stopped';

    this.leading = true;
    const leadership = new AbortController();
    this.log.info('Became leader');
    this.options.onStartedLeading(leadership.signal);
    let lastRenewal = this.clock.now();
    for (;;) {
      await sleep(this.clock, this.timings.retryPeriodMs, signal);
      if (signal.aborted) {
        this.stopLeading(leadership);
        if (this.options.releaseOnCancel ?? true) await this.release();
        return 'released';
      }
      if (await this.renewBefore(lastRenewal + this.timings.renewDeadlineMs, signal)) {
        lastRenewal = this.clock.now();
      } else if (signal.aborted) {
        this.stopLeading(leadership);
        if (this.options.releaseOnCancel ?? true) await this.release();
        return 'released';
      } else {
        this.log.error('Lost leadership: the Lease was not renewed within the renew deadline', {
          renewDeadlineMs: this.timings.renewDeadlineMs,
        });
        this.stopLeading(leadership);
        return 'lost';
      }
    }
  }

  /** Retries renewal every retryPeriod until it succeeds or the deadline passes (an attempt in flight then loses). */
  private async renewBefore(deadline: number, signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return false;
      const stopWaiting = new AbortController();
      const timedOut = sleep(this.clock, remaining, stopWaiting.signal).then(() => false);
      const renewed = await Promise.race([this.tryAcquireOrRenew(), timedOut]);
      stopWaiting.abort();
      if (renewed && this.clock.now() < deadline) return true;
      if (this.clock.now() >= deadline) return false;
      await sleep(this.clock, Math.min(this.timings.retryPeriodMs, deadline - this.clock.now()), signal);
    }
    return false;
  }

  private stopLeading(leadership: AbortController): void {
    if (!this.leading) return;
    this.leading = false;
    leadership.abort();
    this.options.onStoppedLeading?.();
  }

  /** One attempt; true when we hold the Lease afterwards. Errors count as a failed attempt. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const mine = this.observed?.record.holderIdentity === this.options.identity;
    this.otherHolderExpiresAt = undefined;
    try {
      // Fast path while leading: write over the version we last wrote; a Conflict sends us back to reading.
      const current = mine && this.observed ? this.observed.record : await this.options.store.get();
      if (current === undefined) {
        const created = await this.options.store.create(this.recordFor(now, undefined));
        this.observe(created, this.clock.now());
        return true;
      }
      if (!mine) this.observe(current, now);
      const holder = current.holderIdentity;
      if (holder && holder !== this.options.identity) {
        const expiresAt = (this.observed?.at ?? now) + current.leaseDurationSeconds * 1000;
        if (now < expiresAt) {
          this.otherHolderExpiresAt = expiresAt;
          return false;
        }
        this.log.info('Lease expired; taking over', { previousHolder: holder });
      }
      const updated = await this.options.store.update(this.recordFor(now, current));
      this.observe(updated, this.clock.now());
      return true;
    } catch (err) {
      // A stale fast-path version or a lost race; read afresh next time.
      this.observed = undefined;
      this.log.debug('Lease acquire or renew failed', { err });
      return false;
    }
  }

  private recordFor(now: number, current: LeaseRecord | undefined): LeaseRecord {
    const continuing = current?.holderIdentity === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: continuing ? current?.acquireTime : now,
      renewTime: now,
      leaseTransitions:
        current === undefined ? 0 : continuing ? current.leaseTransitions : current.leaseTransitions + 1,
      resourceVersion: current?.resourceVersion,
    };
  }

  private observe(record: LeaseRecord, at: number): void {
    const previous = this.observed?.record;
    const changed =
      previous === undefined ||
      previous.holderIdentity !== record.holderIdentity ||
      previous.renewTime !== record.renewTime ||
      previous.resourceVersion !== record.resourceVersion;
    if (changed) this.observed = { record, at };
    const holder = record.holderIdentity;
    if (holder && holder !== this.lastLeaderSeen) {
      this.lastLeaderSeen = holder;
      if (holder !== this.options.identity) this.options.onNewLeader?.(holder);
    }
  }

  /** Gives the Lease up so a standby can take it at its next attempt. */
  private async release(): Promise<void> {
    const current = this.observed?.record;
    if (current?.holderIdentity !== this.options.identity) return;
    try {
      await this.options.store.update({
        ...current,
        holderIdentity: undefined,
        leaseDurationSeconds: 1,
        renewTime: this.clock.now(),
      });
      this.log.info('Released the Lease');
    } catch (err) {
      this.log.warn('Failed to release the Lease; a successor will wait for it to expire', { err });
    }
  }
}
