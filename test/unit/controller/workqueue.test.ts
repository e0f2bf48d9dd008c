import { runWorkers, WorkQueue, type WorkQueueMetrics } from '../../../src/controller/workqueue.js';
import { ManualClock, settle } from '../../../src/util/manual-clock.js';

function recordingMetrics() {
  const seen = { depth: [] as number[], added: 0, retried: 0 };
  const metrics: WorkQueueMetrics = {
    depth: (d) => seen.depth.push(d),
    added: () => (seen.added += 1),
    retried: () => (seen.retried += 1),
  };
  return { seen, metrics };
}

/** A handler whose calls the test resolves or rejects by hand. */
function controllableHandler() {
  const calls: { key: string; resolve: (r?: { requeueAfterMs?: number }) => void; reject: (e: Error) => void }[] = [];
  const active = new Set<string>();
  let maxParallel = 0;
  let overlapping = false;
  const handler = (key: string) =>
    new Promise<{ requeueAfterMs?: number } | void>((resolve, reject) => {
      if (active.has(key)) overlapping = true;
      active.add(key);
      maxParallel = Math.max(maxParallel, active.size);
      const finish = () => active.delete(key);
      calls.push({
        key,
        resolve: (r) => {
          finish();
          resolve(r);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      });
    });
  return {
    handler,
    calls,
    get maxParallel() {
      return maxParallel;
    },
    get overlapping() {
      return overlapping;
    },
  };
}

describe('WorkQueue', () => {
  it('holds a key once however often it is added, in first-added order', async () => {
    const { seen, metrics } = recordingMetrics();
    const queue = new WorkQueue({ metrics });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(seen.added).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(seen.depth.at(-1)).toBe(0);
  });

  it('never hands out a key being processed; a key added meanwhile comes back after done', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await settle();
    expect(second).toBeUndefined();
    queue.done(first!);
    await settle();
    expect(second).toBe('a');
  });

  it('backs a failing key off exponentially from 5 ms to a 1000 s cap, and forget resets it', async () => {
    const clock = new ManualClock();
    const { seen, metrics } = recordingMetrics();
    const queue = new WorkQueue({ clock, metrics });
    const delays: number[] = [];
    for (let failure = 0; failure < 20; failure += 1) {
      queue.addRateLimited('a');
      const delay = clock.nextTimerIn()!;
      delays.push(delay);
      await clock.advance(delay - 1);
      expect(queue.length).toBe(0);
      await clock.advance(1);
      expect(queue.length).toBe(1);
      queue.done((await queue.get())!);
    }
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays.at(-1)).toBe(1_000_000);
    expect(Math.max(...delays)).toBe(1_000_000);
    expect(queue.numRequeues('a')).toBe(20);
    expect(seen.retried).toBe(20);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    queue.addRateLimited('a');
    await clock.advance(5);
    expect(queue.length).toBe(1);
  });

  it('keeps the earliest of several addAfter schedules for a key', async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('a', 10_000);
    queue.addAfter('a', 2_000);
    queue.addAfter('a', 5_000);
    await clock.advance(1_999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    await clock.advance(20_000);
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('shutDown wakes waiting workers with undefined and drops scheduled keys', async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    const pending = queue.get();
    queue.addAfter('later', 1000);
    queue.shutDown();
    expect(await pending).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    queue.add('x');
    expect(await queue.get()).toBeUndefined();
  });
});

describe('runWorkers', () => {
  it('runs up to the configured concurrency, never the same key twice at once', async () => {
    const queue = new WorkQueue();
    const h = controllableHandler();
    const running = runWorkers(queue, h.handler, { concurrency: 2 });
    ['a', 'b', 'c', 'a', 'b'].forEach((k) => queue.add(k));
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b']);
    queue.add('a'); // while a is processing
    h.calls[0]!.resolve();
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b', 'c']);
    h.calls[1]!.resolve();
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b', 'c', 'a']);
    // b was also added while processing, so it runs once more after a.
    h.calls[2]!.resolve();
    h.calls[3]!.resolve();
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b', 'c', 'a', 'b']);
    h.calls[4]!.resolve();
    await settle();
    expect(h.calls).toHaveLength(5);
    expect(h.maxParallel).toBe(2);
    expect(h.overlapping).toBe(false);
    queue.shutDown();
    await running;
  });

  it('retries a failing key with backoff, forgets the backoff on success and honours requeueAfter', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const queue = new WorkQueue({ clock });
    const h = controllableHandler();
    const running = runWorkers(queue, h.handler, { concurrency: 1, onError: (k) => errors.push(k) });
    queue.add('a');
    await settle();
    h.calls[0]!.reject(new Error('conflict'));
    await settle();
    expect(queue.numRequeues('a')).toBe(1);
    await clock.advance(5);
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.reject(new Error('again'));
    await clock.advance(9);
    expect(h.calls).toHaveLength(2);
    await clock.advance(1);
    expect(h.calls).toHaveLength(3);
    h.calls[2]!.resolve({ requeueAfterMs: 30_000 });
    await settle();
    expect(queue.numRequeues('a')).toBe(0);
    expect(errors).toEqual(['a', 'a']);
    await clock.advance(29_999);
    expect(h.calls).toHaveLength(3);
    await clock.advance(1);
    expect(h.calls).toHaveLength(4);
    h.calls[3]!.resolve();
    queue.shutDown();
    await running;
  });

  it('shutDownWithDrain waits for keys in flight and starts no new ones', async () => {
    const queue = new WorkQueue();
    const h = controllableHandler();
    const running = runWorkers(queue, h.handler, { concurrency: 1 });
    queue.add('a');
    queue.add('b');
    await settle();
    let drained = false;
    const draining = queue.shutDownWithDrain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    h.calls[0]!.resolve();
    await draining;
    await running;
    expect(drained).toBe(true);
    expect(h.calls.map((c) => c.key)).toEqual(['a']);
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    await expect(runWorkers(new WorkQueue(), async () => {}, { concurrency: 0 })).rejects.toThrow('positive integer');
  });
});
