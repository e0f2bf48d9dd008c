// Exponential backoff: base, doubled on each failure, capped; reset after success.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
}

export class ExponentialBackoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new Error(`Backoff needs 0 < initialMs <= maxMs, got ${options.initialMs} and ${options.maxMs}`);
    }
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const delay = delayAfter(this.failures, this.options);
    this.failures += 1;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

/** The delay after `failures` earlier failures: initial × factor^failures, capped at max. */
export function delayAfter(failures: number, options: BackoffOptions): number {
  const factor = options.factor ?? 2;
  // Cap the exponent so large failure counts cannot overflow to Infinity before the min().
  const exponent = Math.min(failures, 64);
  return Math.min(options.maxMs, options.initialMs * factor ** exponent);
}
