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
  private startedAt = 0;

  /**
   * @param windowMs longest a wait is polled before the process falls back to sleeping in epoll (0 = never poll)
   * @param onPolled told how long each polling spell lasted, ms (for a CPU-cost metric)
   */
  constructor(
    readonly windowMs: number,
    private readonly onPolled?: (ms: number) => void,
  ) {
    if (!(windowMs >= 0) || !Number.isFinite(windowMs)) {
      throw new Error(`the busy-poll window must be a non-negative number of ms, got ${windowMs}`);
    }
  }

  get polling(): boolean {
    return this.immediate !== undefined;
  }

  /** Polls for the next `windowMs` (extends a spell already running). */
  start(): void {
    if (this.windowMs === 0) return;
    const now = performance.now();
    this.until = now + this.windowMs;
    if (this.immediate) return;
    this.startedAt = now;
    this.immediate = setImmediate(this.turn);
  }

  /** Ends the spell: what was awaited has arrived. */
  stop(): void {
    if (!this.immediate) return;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    this.onPolled?.(performance.now() - this.startedAt);
  }

  private readonly turn = (): void => {
    if (performance.now() >= this.until) {
      this.stop();
      return;
    }
    this.immediate = setImmediate(this.turn);
  };
}
