import { LeaderElector, validateTimings, type LeaderElectionOutcome } from '../../../src/controller/leader-election.js';
import { ApiError, type LeaseRecord, type LeaseStore } from '../../../src/controller/ports.js';
import { ManualClock, settle } from '../../../src/util/manual-clock.js';

/** One Lease with apiserver semantics: resourceVersion checks on update, AlreadyExists on a second create. */
class InMemoryLease {
  record: LeaseRecord | undefined;
  private version = 0;
  writes = 0;

  /** A candidate's view; `down()` makes its calls fail as if the apiserver were unreachable from it. */
  client() {
    let reachable = true;
    const store: LeaseStore = {
      get: async () => {
        if (!reachable) throw new ApiError('Unavailable', 503, 'unreachable');
        return this.record && { ...this.record };
      },
      create: async (record) => {
        if (!reachable) throw new ApiError('Unavailable', 503, 'unreachable');
        if (this.record) throw new ApiError('AlreadyExists', 409, 'exists');
        return this.write(record);
      },
      update: async (record) => {
        if (!reachable) throw new ApiError('Unavailable', 503, 'unreachable');
        if (record.resourceVersion !== this.record?.resourceVersion) throw new ApiError('Conflict', 409, 'stale');
        return this.write(record);
      },
    };
    return { store, down: () => (reachable = false), up: () => (reachable = true) };
  }

  private write(record: LeaseRecord): LeaseRecord {
    this.writes += 1;
    this.version += 1;
    this.record = { ...record, resourceVersion: String(this.version) };
    return { ...this.record };
  }
}

function candidate(identity: string, lease: InMemoryLease, clock: ManualClock, random: () => number = () => 0) {
  const view = lease.client();
  const events: string[] = [];
  let leadership: AbortSignal | undefined;
  const elector = new LeaderElector({
    identity,
    store: view.store,
    clock,
    random,
    onStartedLeading: (signal) => {
      leadership = signal;
      events.push(`started@${clock.now()}`);
    },
    onStoppedLeading: () => events.push(`stopped@${clock.now()}`),
    onNewLeader: (who) => events.push(`leader=${who}`),
  });
  const stop = new AbortController();
  let outcome: LeaderElectionOutcome | undefined;
  const done = elector.run(stop.signal).then((o) => (outcome = o));
  return {
    elector,
    events,
    view,
    stop: () => stop.abort(),
    done,
    get outcome() {
      return outcome;
    },
    get leadership() {
      return leadership;
    },
  };
}

describe('validateTimings', () => {
  it('accepts the client-go defaults 15 s / 10 s / 2 s', () => {
    expect(() =>
      validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).not.toThrow();
  });
  it('rejects leaseDuration <= renewDeadline', () => {
    expect(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(
      'leaseDuration',
    );
  });
  it('rejects renewDeadline <= 1.2 × retryPeriod', () => {
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 })).toThrow(
      'renewDeadline',
    );
  });
  it('rejects non-positive values', () => {
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })).toThrow(
      'positive',
    );
  });
});

describe('LeaderElector', () => {
  const T0 = 1_700_000_000_000;

  it('elects exactly one of two candidates and keeps the other standing by while the leader renews', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await settle();
    const b = candidate('b', lease, clock);
    await clock.advance(60_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(a.events).toEqual([`started@${T0}`]);
    expect(b.events).toEqual(['leader=a']);
    expect(lease.record?.holderIdentity).toBe('a');
    // Renewed every retry period: one create plus ~30 renewals in 60 s.
    expect(lease.writes).toBeGreaterThanOrEqual(30);
    expect(lease.record?.renewTime).toBeGreaterThan(T0 + 57_000);
    a.stop();
    b.stop();
    await Promise.all([a.done, b.done]);
  });

  it('a leader that cannot renew stops before its lease lapses; the standby takes over after expiry', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await settle();
    const b = candidate('b', lease, clock);
    await clock.advance(10_000);
    const lastRenewal = lease.record!.renewTime!;
    a.view.down();
    await clock.advance(30_000);

    expect(a.outcome).toBe('lost');
    expect(a.leadership?.aborted).toBe(true);
    const stoppedAt = Number(a.events.find((e) => e.startsWith('stopped@'))!.split('@')[1]);
    expect(stoppedAt).toBeLessThanOrEqual(lastRenewal + 10_000 + 2_000);
    expect(stoppedAt).toBeLessThan(lastRenewal + 15_000);

    const startedAt = Number(b.events.find((e) => e.startsWith('started@'))!.split('@')[1]);
    expect(startedAt).toBeGreaterThanOrEqual(lastRenewal + 15_000);
    expect(startedAt).toBeLessThanOrEqual(lastRenewal + 15_000 + 2_000);
    expect(stoppedAt).toBeLessThan(startedAt);
    expect(lease.record?.holderIdentity).toBe('b');
    expect(lease.record?.leaseTransitions).toBe(1);
    b.stop();
    await b.done;
  });

  it('a standby takes over when the Lease expires on its clock, not a jittered retry period later', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await settle();
    // The longest jitter: retries 2 s × 2.2 apart.
    const b = candidate('b', lease, clock, () => 0.9999);
    await clock.advance(10_000);
    const lastRenewal = lease.record!.renewTime!;
    a.view.down();
    await clock.advance(30_000);
    const startedAt = Number(b.events.find((e) => e.startsWith('started@'))!.split('@')[1]);
    // b saw the last renewal at most one retry (4.4 s) after it was written, and waited exactly 15 s from then.
    expect(startedAt).toBeGreaterThanOrEqual(lastRenewal + 15_000);
    expect(startedAt).toBeLessThanOrEqual(lastRenewal + 15_000 + 4_400);
    b.stop();
    await b.done;
  });

  it('releases the lease on shutdown so the standby takes over within one retry period', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await settle();
    const b = candidate('b', lease, clock);
    await clock.advance(5_000);
    a.stop();
    await clock.advance(0);
    await a.done;
    expect(a.outcome).toBe('released');
    expect(a.events.at(-1)).toBe(`stopped@${T0 + 5_000}`);
    expect(lease.record?.holderIdentity).toBeUndefined();
    await clock.advance(2_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.events.at(-1)).toBe(`started@${T0 + 6_000}`);
    b.stop();
    await b.done;
  });

  it('survives brief renewal failures shorter than the renew deadline', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advance(4_000);
    a.view.down();
    await clock.advance(6_000);
    a.view.up();
    await clock.advance(20_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual([`started@${T0}`]);
    a.stop();
    await a.done;
  });

  it('does not take a lease whose holder keeps renewing even if the holder clock is far off', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    // A holder whose clock runs an hour behind: its renewTime looks stale, yet it keeps changing.
    const holder = lease.client();
    let rv = (
      await holder.store.create({
        holderIdentity: 'old',
        leaseDurationSeconds: 15,
        acquireTime: T0 - 3_600_000,
        renewTime: T0 - 3_600_000,
        leaseTransitions: 0,
      })
    ).resourceVersion;
    const b = candidate('b', lease, clock);
    for (let i = 1; i <= 20; i += 1) {
      await clock.advance(2_000);
      rv = (await holder.store.update({ ...lease.record!, renewTime: T0 - 3_600_000 + i * 2_000, resourceVersion: rv }))
        .resourceVersion;
    }
    expect(b.elector.isLeader()).toBe(false);
    // The holder stops renewing: b waits a full lease duration on its own clock, then takes over.
    await clock.advance(14_000);
    expect(b.elector.isLeader()).toBe(false);
    await clock.advance(4_000);
    expect(b.elector.isLeader()).toBe(true);
    b.stop();
    await b.done;
  });

  it('returns stopped when shut down before winning', async () => {
    const clock = new ManualClock(T0);
    const lease = new InMemoryLease();
    const a = candidate('a', lease, clock);
    await settle();
    const b = candidate('b', lease, clock);
    await clock.advance(4_000);
    b.stop();
    await clock.advance(0);
    await b.done;
    expect(b.outcome).toBe('stopped');
    expect(b.events).toEqual(['leader=a']);
    a.stop();
    await a.done;
  });
});
