import { ApiError, type KubeObject } from '../../../src/controller/ports.js';
import { Reflector, type ReflectorOptions } from '../../../src/k8s/reflector.js';
import { ManualClock, settle } from '../../../src/util/manual-clock.js';
import { FakeSource, pod } from './fake-source.js';

function setup(options: Partial<ReflectorOptions> = {}) {
  const clock = new ManualClock();
  const source = new FakeSource();
  const reflector = new Reflector<KubeObject>(source, { name: 'pods', clock, ...options });
  const seen: string[] = [];
  reflector.on({
    onAdd: (o) => seen.push(`add ${o.metadata.name}`),
    onUpdate: (o) => seen.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  return { clock, source, reflector, seen };
}

describe('Reflector', () => {
  it('lists, reports synced, then watches from the list resourceVersion', async () => {
    const { source, reflector, seen } = setup();
    source.snapshot = { items: [pod('a', '5')], resourceVersion: '7' };
    expect(reflector.hasSynced()).toBe(false);
    reflector.start();
    await settle();
    expect(reflector.hasSynced()).toBe(true);
    expect(seen).toEqual(['add a']);
    expect(source.current.resourceVersion).toBe('7');
    source.current.push({ type: 'ADDED', object: pod('b', '8') });
    source.current.push({ type: 'MODIFIED', object: pod('a', '9') });
    source.current.push({ type: 'DELETED', object: pod('b', '10') });
    expect(seen).toEqual(['add a', 'add b', 'update a@9', 'delete b']);
    expect(reflector.get('a', 'ns')?.metadata.resourceVersion).toBe('9');
    expect(reflector.list().map((o) => o.metadata.name)).toEqual(['a']);
    await reflector.stop();
  });

  it('resumes from the last seen resourceVersion (bookmarks included) when a stream ends', async () => {
    const { clock, source, reflector } = setup({ healthyAfterMs: 1000 });
    reflector.start();
    await settle();
    source.current.push({ type: 'ADDED', object: pod('a', '11') });
    source.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
    await clock.advance(2000);
    source.current.end();
    await settle();
    expect(source.streams).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('15');
    expect(source.lists).toBe(1);
    await reflector.stop();
  });

  it('relists at once on 410 Gone, emitting deletes for objects that vanished', async () => {
    const { source, reflector, seen } = setup();
    source.snapshot = { items: [pod('a', '1'), pod('b', '1')], resourceVersion: '3' };
    reflector.start();
    await settle();
    source.snapshot = { items: [pod('a', '4')], resourceVersion: '20' };
    source.current.push({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
    });
    await settle();
    expect(source.lists).toBe(2);
    expect(seen).toEqual(['add a', 'add b', 'delete b', 'update a@4']);
    expect(source.current.resourceVersion).toBe('20');
    // An HTTP 410 on the watch request itself is handled the same way.
    source.current.fail(new ApiError('Gone', 410, 'gone'));
    await settle();
    expect(source.lists).toBe(3);
    await reflector.stop();
  });

  it('retries other failures with exponential backoff capped at 30 s, without relisting', async () => {
    const errors: string[] = [];
    const { clock, source, reflector } = setup({ onError: (e) => errors.push(e.reason) });
    reflector.start();
    await settle();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const before = source.streams.length;
      source.current.fail(new ApiError('Unavailable', 503, 'down'));
      await settle();
      let waited = 0;
      while (source.streams.length === before) {
        await clock.advance(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(source.lists).toBe(1);
    expect(errors).toHaveLength(7);
    await reflector.stop();
  });

  it('resets the backoff after a stream stayed healthy', async () => {
    const { clock, source, reflector } = setup({ healthyAfterMs: 10_000 });
    reflector.start();
    await settle();
    source.current.fail(new ApiError('Unavailable', 503, 'down'));
    await clock.advance(1000);
    source.current.fail(new ApiError('Unavailable', 503, 'down'));
    await clock.advance(2000);
    expect(source.streams).toHaveLength(3);
    await clock.advance(10_000); // healthy long enough
    source.current.end();
    await settle();
    expect(source.streams).toHaveLength(4);
    source.current.fail(new ApiError('Unavailable', 503, 'down'));
    await clock.advance(999);
    expect(source.streams).toHaveLength(4);
    await clock.advance(1);
    expect(source.streams).toHaveLength(5);
    await reflector.stop();
  });

  it('keeps retrying a failing list with backoff and syncs once it succeeds', async () => {
    const { clock, source, reflector } = setup();
    source.listError = new ApiError('Forbidden', 403, 'no');
    reflector.start();
    await settle();
    expect(reflector.hasSynced()).toBe(false);
    await clock.advance(1000);
    await clock.advance(2000);
    expect(source.lists).toBe(3);
    source.listError = undefined;
    await clock.advance(4000);
    expect(reflector.hasSynced()).toBe(true);
    await reflector.stop();
  });

  it('relists when the watch stays silent past the staleness limit', async () => {
    const { clock, source, reflector } = setup({ staleAfterMs: 60_000, relistIntervalMs: 0, watchdogIntervalMs: 1000 });
    reflector.start();
    await settle();
    await clock.advance(30_000);
    source.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '2' } } });
    await clock.advance(59_000);
    expect(source.lists).toBe(1);
    await clock.advance(2000);
    expect(source.streams[0]?.aborted).toBe(true);
    expect(source.lists).toBe(2);
    await reflector.stop();
  });

  it('relists periodically even when events keep flowing', async () => {
    const { clock, source, reflector } = setup({
      relistIntervalMs: 600_000,
      staleAfterMs: 0,
      watchdogIntervalMs: 5000,
    });
    reflector.start();
    await settle();
    for (let i = 0; i < 11; i += 1) {
      source.current.push({ type: 'MODIFIED', object: pod('a', String(10 + i)) });
      await clock.advance(60_000);
    }
    expect(source.lists).toBe(2);
    await reflector.stop();
  });

  it('stops promptly and opens nothing after stop', async () => {
    const { clock, source, reflector } = setup();
    reflector.start();
    await settle();
    await reflector.stop();
    expect(source.current.aborted).toBe(true);
    await clock.advance(120_000);
    expect(source.streams).toHaveLength(1);
  });

  it('keeps the cache working when a handler throws', async () => {
    const { source, reflector } = setup();
    reflector.on({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    reflector.start();
    await settle();
    source.current.push({ type: 'ADDED', object: pod('x', '2') });
    expect(reflector.get('x', 'ns')).toBeDefined();
    await reflector.stop();
  });
});
