// A work queue of object keys with client-go semantics:
//   - a key waits in the queue at most once, however often it is added (deduplication);
//   - a key is never handed to two workers at once; a key added while being processed is queued again when
//     its worker calls done();
//   - addRateLimited delays a key exponentially per key (5 ms doubling to 1000 s) until forget() resets it;
//   - addAfter schedules a key for later (RequeueAfter); an earlier schedule for the same key wins;
//   - shutDown stops handing out keys; shutDownWithDrain also waits for keys being processed.
// runWorkers drives a handler with a configurable number of concurrent workers.
import type { Logger } from '../observability/log.js';
import { silentLogger } from '../observability/log.js';
import { delayAfter, type BackoffOptions } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';

export interface WorkQueueMetrics {
  /** The number of keys waiting (not counting those being processed or scheduled for later). */
  depth(depth: number): void;
  /** A key entered the queue (deduplicated adds do not count). */
  added(): void;
  /** A key was scheduled again after a failure. */
  retried(): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffOptions;
  metrics?: WorkQueueMetrics;
}

export const DEFAULT_KEY_BACKOFF: BackoffOptions = { initialMs: 5, maxMs: 1_000_000 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while processing; re-queued on done(). */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly scheduled = new Map<string, { at: number; cancel: () => void }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? DEFAULT_KEY_BACKOFF;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.options.metrics?.added();
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    this.reportDepth();
  }

  /** Adds key after delayMs; if the key is already scheduled sooner, the sooner time stands. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.scheduled.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.clock.setTimer(() => {
      this.scheduled.delete(key);
      this.add(key);
    }, delayMs);
    this.scheduled.set(key, { at, cancel });
  }

  /** Adds key after its per-key exponential backoff, counting one more failure. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.options.metrics?.retried();
    this.addAfter(key, delayAfter(failures, this.backoff));
  }

  /** Clears the key's failure count (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, waiting if none; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.reportDepth();
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key processed; if it was added meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    if (this.processing.size === 0) this.drainWaiters.splice(0).forEach((resolve) => resolve());
  }

  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys and drops scheduled ones; workers waiting in get() receive undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { cancel } of this.scheduled.values()) cancel();
    this.scheduled.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.waiters.splice(0).forEach((resolve) => resolve(undefined));
    this.reportDepth();
  }

  /** shutDown, then waits until every key being processed is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private reportDepth(): void {
    this.options.metrics?.depth(this.queue.length);
  }
}

/** What a reconcile asks of the queue: nothing, or to come back after a while. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type KeyHandler = (key: string) => Promise<ReconcileResult | void>;

export interface RunWorkersOptions {
  concurrency: number;
  log?: Logger;
  /** Called with each error a handler threw (before the key is retried). */
  onError?(key: string, error: unknown): void;
}

/**
 * Runs `concurrency` workers until the queue shuts down. A handler that throws has its key retried with
 * backoff; one that succeeds has its backoff forgotten and, if it asks, its key requeued after a delay.
 * Resolves when every worker has stopped.
 */
export async function runWorkers(queue: WorkQueue, handler: KeyHandler, options: RunWorkersOptions): Promise<void> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new Error(`Worker concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const log = options.log ?? silentLogger;
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await handler(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        options.onError?.(key, err);
        log.warn('Reconcile failed; retrying with backoff', { key, err, requeues: queue.numRequeues(key) });
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}
