// Events (events.k8s.io/v1) with client-side aggregation: the first occurrence creates an Event; repeats of the
// same (object, type, reason, action, note) within the window only bump its series count, written at most once
// per flush interval. So a reconcile loop that keeps hitting the same problem cannot flood the apiserver.
import type { EventRecorder, EventType, KubeObject } from '../controller/ports.js';
import type { Logger } from '../observability/log.js';
import { silentLogger } from '../observability/log.js';
import { systemClock, type Clock } from '../util/clock.js';
import { RESOURCES, resourcePath } from './resources.js';
import type { RestClient } from './rest.js';

export const REPORTING_CONTROLLER = 'configspec.io/operator';
const NOTE_LIMIT = 1024;

export interface EventRecorderOptions {
  /** Identifies this replica (the pod name). */
  reportingInstance: string;
  /** Repeats within this window join the same Event's series (default 10 minutes). */
  aggregationWindowMs?: number;
  /** At most one series update per Event per this interval (default 60 s). */
  seriesFlushMs?: number;
  /** Remembered events; the oldest is forgotten beyond this (default 4096). */
  maxTracked?: number;
  clock?: Clock;
  log?: Logger;
}

interface Tracked {
  name: string;
  namespace: string;
  firstSeen: number;
  /** Occurrences so far, the first included. */
  count: number;
  /** Count last written to the apiserver (1 after the create). */
  writtenCount: number;
  lastObserved: number;
  lastFlush: number;
  flushScheduled: boolean;
  cancelFlush: () => void;
  created: Promise<boolean>;
}

export class AggregatingEventRecorder implements EventRecorder {
  private readonly tracked = new Map<string, Tracked>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private sequence = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly rest: RestClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
  }

  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    const now = this.clock.now();
    const key = [
      regarding.apiVersion,
      regarding.kind,
      regarding.metadata.namespace ?? '',
      regarding.metadata.name,
      regarding.metadata.uid ?? '',
      type,
      reason,
      action,
      note,
    ].join('\u0000');
    const existing = this.tracked.get(key);
    if (existing && now - existing.firstSeen < (this.options.aggregationWindowMs ?? 600_000)) {
      existing.count += 1;
      existing.lastObserved = now;
      this.scheduleFlush(existing);
      return;
    }
    const namespace = regarding.metadata.namespace ?? 'default';
    const name = `${regarding.metadata.name}.${now.toString(16)}${(this.sequence++ % 4096).toString(16).padStart(3, '0')}`;
    const entry: Tracked = {
      name,
      namespace,
      firstSeen: now,
      count: 1,
      writtenCount: 1,
      lastObserved: now,
      lastFlush: now,
      flushScheduled: false,
      cancelFlush: () => {},
      created: Promise.resolve(false),
    };
    entry.created = this.track(this.create(entry, regarding, type, reason, action, note));
    this.remember(key, entry);
  }

  /** Waits for writes in flight; used in tests. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * On shutdown: writes the series counts still waiting for their interval now (so none is lost and no timer
   * outlives the operator), then waits for every write in flight.
   */
  async close(): Promise<void> {
    for (const entry of this.tracked.values()) {
      if (!entry.flushScheduled) continue;
      entry.cancelFlush();
      entry.flushScheduled = false;
      void this.track(this.writeSeries(entry));
    }
    await this.flush();
  }

  private async create(
    entry: Tracked,
    regarding: KubeObject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<boolean> {
    const { apiVersion, kind } = regarding;
    const { name, namespace, uid, resourceVersion } = regarding.metadata;
    try {
      await this.rest.request({
        method: 'POST',
        path: resourcePath(RESOURCES.event, entry.namespace),
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: entry.name, namespace: entry.namespace },
          eventTime: microTime(entry.firstSeen),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.options.reportingInstance,
          action,
          reason,
          type,
          note: note.length > NOTE_LIMIT ? note.slice(0, NOTE_LIMIT - 1) + '…' : note,
          regarding: { apiVersion, kind, name, namespace, uid, resourceVersion },
        },
        verb: 'create',
        resource: 'events',
      });
      return true;
    } catch (err) {
      // Events are best effort: a failure must never fail a reconcile.
      this.log.warn('Failed to record event', { reason, object: `${namespace ?? ''}/${name}`, err });
      return false;
    }
  }

  private scheduleFlush(entry: Tracked): void {
    if (entry.flushScheduled) return;
    entry.flushScheduled = true;
    const wait = Math.max(0, entry.lastFlush + (this.options.seriesFlushMs ?? 60_000) - this.clock.now());
    entry.cancelFlush = this.clock.setTimer(() => {
      entry.flushScheduled = false;
      void this.track(this.writeSeries(entry));
    }, wait);
  }

  private async writeSeries(entry: Tracked): Promise<void> {
    if (!(await entry.created) || entry.count === entry.writtenCount) return;
    const count = entry.count;
    entry.lastFlush = this.clock.now();
    try {
      await this.rest.request({
        method: 'PATCH',
        path: resourcePath(RESOURCES.event, entry.namespace, entry.name),
        body: { series: { count, lastObservedTime: microTime(entry.lastObserved) } },
        contentType: 'application/merge-patch+json',
        verb: 'patch',
        resource: 'events',
      });
      entry.writtenCount = count;
    } catch (err) {
      this.log.warn('Failed to update event series', { event: `${entry.namespace}/${entry.name}`, err });
    }
  }

  private remember(key: string, entry: Tracked): void {
    this.tracked.delete(key);
    this.tracked.set(key, entry);
    const limit = this.options.maxTracked ?? 4096;
    while (this.tracked.size > limit) {
      const oldest = this.tracked.keys().next().value;
      if (oldest === undefined) break;
      this.tracked.delete(oldest);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }
}

/** RFC 3339 with microseconds, as metav1.MicroTime expects. */
export function microTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
