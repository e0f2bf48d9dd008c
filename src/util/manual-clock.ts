// A clock that only moves when told to: deterministic tests of timers, leases and backoff.
import type { Clock } from './clock.js';

interface Timer {
  at: number;
  sequence: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private sequence = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.current + Math.max(0, ms), sequence: this.sequence++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Milliseconds until the earliest pending timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    if (this.timers.length === 0) return undefined;
    return Math.min(...this.timers.map((t) => t.at)) - this.current;
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by ms, firing due timers in time order; after each, pending promise callbacks run, so
   * async code woken by a timer proceeds before the next timer fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.sequence - b.sequence)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Lets every queued promise callback (and those they queue) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
