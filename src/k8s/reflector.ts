// A supervised list-and-watch cache (an informer). client-node's ListWatch stops for good on any error other
// than 410 and has no periodic relist; watches are known to stall silently. This loop:
//   - lists, then watches from the list's resourceVersion, resuming from the last seen version after a
//     stream ends;
//   - on 410 Gone (HTTP or an ERROR event) relists at once, emitting deletes for objects that vanished;
//   - on any other failure retries with exponential backoff (1 s doubling to 30 s), reset once a stream has
//     stayed healthy for a while;
//   - relists periodically, and when no event or bookmark has arrived for too long (the staleness watchdog);
//   - reports hasSynced() once the first list has been applied.
// The transport is injected (ReflectorSource), so the loop is unit-tested without a server.
import { isApiError, type ApiError, type CacheReader, type KubeObject } from '../controller/ports.js';
import type { Logger } from '../observability/log.js';
import { silentLogger } from '../observability/log.js';
import { ExponentialBackoff } from '../util/backoff.js';
import { sleep, systemClock, type Clock } from '../util/clock.js';
import { toApiError } from './errors.js';

export interface ListSnapshot<T> {
  items: T[];
  resourceVersion: string;
}

export interface ReflectorWatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object:
    T | { kind?: string; code?: number; reason?: string; message?: string; metadata?: { resourceVersion?: string } };
}

export interface ReflectorSource<T> {
  list(signal: AbortSignal): Promise<ListSnapshot<T>>;
  /** Streams events from resourceVersion until the server ends the stream (resolve) or it fails (reject). */
  watch(resourceVersion: string, onEvent: (event: ReflectorWatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

export interface InformerHandlers<T> {
  onAdd?(object: T): void;
  onUpdate?(object: T, previous: T): void;
  onDelete?(object: T): void;
}

export interface ReflectorOptions {
  /** Names the informer in logs and metrics (e.g. the plural). */
  name: string;
  clock?: Clock;
  log?: Logger;
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** A stream that stayed up this long resets the restart backoff (default 30 s). */
  healthyAfterMs?: number;
  /** Full relist period against silent divergence (default 30 min; 0 disables). */
  relistIntervalMs?: number;
  /** Relist when nothing, not even a bookmark, arrived for this long (default 5 min; 0 disables). */
  staleAfterMs?: number;
  /** How often the watchdog looks (default 5 s). */
  watchdogIntervalMs?: number;
  /** Called for each failure, e.g. to count it. */
  onError?(error: ApiError): void;
}

type StreamEnd = 'ended' | 'relist' | 'stopped';

export class Reflector<T extends KubeObject> implements CacheReader<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: ExponentialBackoff;
  private resourceVersion = '';
  private synced = false;
  private running: Promise<void> | undefined;
  private stopController = new AbortController();
  private lastListAt = 0;
  private lastActivityAt = 0;

  constructor(
    private readonly source: ReflectorSource<T>,
    private readonly options: ReflectorOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ informer: options.name });
    this.backoff = new ExponentialBackoff({
      initialMs: options.restartInitialMs ?? 1000,
      maxMs: options.restartMaxMs ?? 30_000,
    });
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(cacheKey(namespace, name));
  }

  list(namespace?: string): readonly T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds since the last list or watch event; the staleness the watchdog acts on. */
  silenceMs(): number {
    return this.clock.now() - this.lastActivityAt;
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run(this.stopController.signal).finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
  }

  private async run(stopSignal: AbortSignal): Promise<void> {
    let needsList = true;
    while (!stopSignal.aborted) {
      try {
        if (needsList) {
          await this.relist(stopSignal);
          needsList = false;
        }
        const startedAt = this.clock.now();
        const end = await this.watchOnce(stopSignal);
        if (end === 'stopped') break;
        if (end === 'relist') needsList = true;
        if (this.clock.now() - startedAt >= (this.options.healthyAfterMs ?? 30_000)) {
          this.backoff.reset();
        } else if (end === 'ended') {
          // A stream that closes at once without error, again and again, must not become a tight loop.
          await sleep(this.clock, this.backoff.next(), stopSignal);
        }
      } catch (thrown) {
        if (stopSignal.aborted) break;
        const error = toApiError(thrown);
        this.options.onError?.(error);
        if (isApiError(error, 'Gone')) {
          this.log.info('Watch expired; relisting', { resourceVersion: this.resourceVersion });
          needsList = true;
          continue;
        }
        const delay = this.backoff.next();
        this.log.warn('Informer failed; retrying', { err: error, retryInMs: delay, attempt: this.backoff.attempts });
        await sleep(this.clock, delay, stopSignal);
      }
    }
  }

  private async relist(stopSignal: AbortSignal): Promise<void> {
    const snapshot = await this.source.list(stopSignal);
    const fresh = new Map(snapshot.items.map((o) => [keyOf(o), o]));
    for (const [key, old] of [...this.objects]) {
      if (!fresh.has(key)) {
        this.objects.delete(key);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    for (const [key, object] of fresh) this.upsert(key, object);
    this.resourceVersion = snapshot.resourceVersion;
    this.lastListAt = this.lastActivityAt = this.clock.now();
    this.synced = true;
  }

  /** One watch stream; resolves with why it ended. Throws on stream failure or a watch ERROR event. */
  private async watchOnce(stopSignal: AbortSignal): Promise<StreamEnd> {
    const streamController = new AbortController();
    const abortStream = () => streamController.abort();
    stopSignal.addEventListener('abort', abortStream, { once: true });
    let relistWanted = false;
    let eventError: ApiError | undefined;
    const cancelWatchdog = this.startWatchdog(() => {
      relistWanted = true;
      streamController.abort();
    });
    try {
      await this.source.watch(
        this.resourceVersion,
        (event) => {
          if (eventError) return;
          this.lastActivityAt = this.clock.now();
          if (event.type === 'ERROR') {
            // The server reports 410 Gone inside the stream as an ERROR event carrying a Status.
            const status = event.object as { code?: number; message?: string };
            eventError = toApiError({ code: status.code ?? 500, body: status, message: status.message });
            streamController.abort();
            return;
          }
          this.applyEvent(event as ReflectorWatchEvent<T> & { object: T });
        },
        streamController.signal,
      );
    } catch (err) {
      if (eventError) throw eventError;
      if (stopSignal.aborted) return 'stopped';
      if (relistWanted) return 'relist';
      throw err;
    } finally {
      cancelWatchdog();
      stopSignal.removeEventListener('abort', abortStream);
    }
    if (eventError) throw eventError;
    if (stopSignal.aborted) return 'stopped';
    return relistWanted ? 'relist' : 'ended';
  }

  private startWatchdog(onTrip: () => void): () => void {
    const relistEvery = this.options.relistIntervalMs ?? 30 * 60_000;
    const staleAfter = this.options.staleAfterMs ?? 5 * 60_000;
    if (relistEvery <= 0 && staleAfter <= 0) return () => {};
    const interval = this.options.watchdogIntervalMs ?? 5000;
    let cancel = () => {};
    const check = () => {
      const now = this.clock.now();
      if (relistEvery > 0 && now - this.lastListAt >= relistEvery) {
        this.log.debug('Periodic relist');
        return onTrip();
      }
      if (staleAfter > 0 && now - this.lastActivityAt >= staleAfter) {
        this.log.warn('Watch silent for too long; relisting', { silentMs: now - this.lastActivityAt });
        return onTrip();
      }
      cancel = this.clock.setTimer(check, interval);
    };
    cancel = this.clock.setTimer(check, interval);
    return () => cancel();
  }

  private applyEvent(event: ReflectorWatchEvent<T> & { object: T }): void {
    const version = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (version) this.resourceVersion = version;
      return;
    }
    const key = keyOf(event.object);
    if (event.type === 'DELETED') {
      const old = this.objects.get(key);
      this.objects.delete(key);
      this.emit((h) => h.onDelete?.(old ?? event.object));
    } else {
      this.upsert(key, event.object);
    }
    if (version) this.resourceVersion = version;
  }

  private upsert(key: string, object: T): void {
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    if (!previous) {
      this.emit((h) => h.onAdd?.(object));
    } else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
      this.emit((h) => h.onUpdate?.(object, previous));
    }
  }

  private emit(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.handlers) {
      try {
        call(handlers);
      } catch (err) {
        // A faulty handler must not break the cache for the others.
        this.log.error('Informer handler threw', { err });
      }
    }
  }
}

function cacheKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function keyOf(object: KubeObject): string {
  return cacheKey(object.metadata.namespace, object.metadata.name);
}
