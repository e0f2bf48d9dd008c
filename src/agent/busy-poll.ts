// Busy polling while an answer is due, to skip the wake-up of an idle core.
//
// A process that waits in epoll lets its core go idle; the write that ends the wait must then wake that core,
// which costs microseconds on bare metal but 0.05–0.2 ms on a virtual machine (the idle vCPU has halted and the
// sender's kernel must kick it through the hypervisor), twice per speculative round. While polling, the event
// loop runs on setImmediate — libuv polls for I/O without blocking on every turn — so the core never idles and
// the answer is picked up within a few microseconds. The price is a core kept busy for up to `windowMs` per
// wait, so it is off by default and meant for latency-bound pairs on a fast link; see README "Busy polling (--busy-poll-ms)".
export class BusyPoller {
  private immediate: NodeJS.Immediate | undefined;
  private until = 0;
  /** A spell is on: something is due, until stop() or the window runs out. */
  private armed = false;
  /** The process computes (a model evaluation on a worker thread): sleep instead of spinning beside it. */
  private held = false;
  private spinningSince = 0;
  private spunMs = 0;

  /**
   * @param windowMs longest a wait is polled before the process falls back to sleeping in epoll (0 = never poll)
   * @param onPolled told how long each spell spun, ms (the CPU it cost, for a metric)
   */
  constructor(
    readonly windowMs: number,
    private readonly onPolled?: (ms: number) => void,
  ) {
    if (!(windowMs >= 0) || !Number.isFinite(windowMs)) {
      throw new Error(`the busy-poll window must be a non-negative number of ms, got ${windowMs}`);
    }
  }

  /** Spinning right now. */
  get polling(): boolean {
    return this.immediate !== undefined;
  }

  /** Something is due for the next `windowMs` (extends a spell already on). */
  start(): void {
    if (this.windowMs === 0) return;
    this.until = performance.now() + this.windowMs;
    if (!this.armed) {
      this.armed = true;
      this.spunMs = 0;
    }
    this.spin();
  }

  /** Ends the spell: what was awaited has arrived. */
  stop(): void {
    if (!this.armed) return;
    this.pause();
    this.armed = false;
    this.onPolled?.(this.spunMs);
  }

  /**
   * While the process computes, a spinning event loop would take a core from the computation (on a small
   * device, the very core it runs on): hold(true) sleeps until hold(false), which spins again if the spell is
   * still on. Its wake-up is the computation's own end, not a message from an idle peer.
   */
  hold(held: boolean): void {
    this.held = held;
    if (held) this.pause();
    else if (this.armed) this.spin();
  }

  private spin(): void {
    if (this.held || this.immediate) return;
    const now = performance.now();
    if (now >= this.until) {
      this.stop();
      return;
    }
    this.spinningSince = now;
    this.immediate = setImmediate(this.turn);
  }

  private pause(): void {
    if (!this.immediate) return;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    this.spunMs += performance.now() - this.spinningSince;
  }

  private readonly turn = (): void => {
    if (performance.now() >= this.until) {
      this.stop();
      return;
    }
    this.immediate = setImmediate(this.turn);
  };
}
