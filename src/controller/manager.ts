// Runs the reconcilers: informer events become keys on work queues; workers process the queues only while
// this replica leads (informers run on standbys too, so a new leader starts with warm caches and /readyz
// reflects cache sync, not leadership); every key is re-queued periodically as a safety net for anything
// time-driven or missed.
import type { SpecDecodeDeployment } from '../api/types.js';
import type { Logger } from '../observability/log.js';
import type { OperatorMetrics, ReconcileResultLabel } from '../observability/metrics.js';
import type { Clock } from '../util/clock.js';
import type { ClusterCache } from './cache.js';
import { cachesSynced } from './cache.js';
import {
  controllingDeploymentKey,
  deploymentsSelectingNode,
  deviceClassesSelectingNode,
  objectKey,
} from './enqueue.js';
import type { KubeObject } from './ports.js';
import { runWorkers, WorkQueue, type KeyHandler, type ReconcileResult } from './workqueue.js';

/** An informer as the manager sees it: a cache that can be watched, started and stopped. */
export interface ManagedInformer<T> {
  on(handlers: { onAdd?(o: T): void; onUpdate?(o: T, previous: T): void; onDelete?(o: T): void }): void;
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
}

export type InformerSet = { [K in keyof ClusterCache]: ManagedInformer<KubeObject> };

export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult>;
}

export interface ManagerOptions {
  informers: InformerSet;
  cache: ClusterCache;
  deployments: Reconciler;
  deviceClasses: Reconciler;
  concurrency: number;
  clock: Clock;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Every key is queued again this often (default 10 minutes). */
  resyncIntervalMs?: number;
}

export class Manager {
  readonly deploymentQueue: WorkQueue;
  readonly deviceClassQueue: WorkQueue;
  private workers: Promise<void> | undefined;
  private cancelResync: (() => void) | undefined;

  constructor(private readonly options: ManagerOptions) {
    this.deploymentQueue = new WorkQueue({
      clock: options.clock,
      metrics: options.metrics?.workQueueHooks('specdecodedeployment'),
    });
    this.deviceClassQueue = new WorkQueue({
      clock: options.clock,
      metrics: options.metrics?.workQueueHooks('deviceclass'),
    });
    this.wireEvents();
  }

  /** Starts every informer; cheap to call on standbys. */
  startInformers(): void {
    for (const informer of Object.values(this.options.informers)) informer.start();
  }

  cachesSynced(): boolean {
    return cachesSynced(this.options.cache);
  }

  /** Waits for the caches, then processes queues until stopWorkers(). Call when leadership is won. */
  async startWorkers(signal: AbortSignal): Promise<void> {
    while (!this.cachesSynced()) {
      if (signal.aborted) return;
      await new Promise<void>((resolve) => this.options.clock.setTimer(resolve, 100));
    }
    this.enqueueEverything();
    this.scheduleResync();
    const { deployments, deviceClasses, concurrency, log } = this.options;
    this.workers = Promise.all([
      runWorkers(this.deploymentQueue, this.instrument('specdecodedeployment', deployments), { concurrency, log }),
      runWorkers(this.deviceClassQueue, this.instrument('deviceclass', deviceClasses), { concurrency: 1, log }),
    ]).then(() => undefined);
    log.info('Started workers', { concurrency });
  }

  /** Stops taking keys; with drain, waits for reconciles in flight (graceful shutdown). */
  async stopWorkers(drain: boolean): Promise<void> {
    this.cancelResync?.();
    if (drain) {
      await Promise.all([this.deploymentQueue.shutDownWithDrain(), this.deviceClassQueue.shutDownWithDrain()]);
    } else {
      this.deploymentQueue.shutDown();
      this.deviceClassQueue.shutDown();
    }
    await this.workers;
  }

  async stopInformers(): Promise<void> {
    await Promise.all(Object.values(this.options.informers).map((i) => i.stop()));
  }

  private wireEvents(): void {
    const { informers, cache } = this.options;
    const deploymentKeys = () => cache.specDecodeDeployments.list().map((d) => objectKey(d as unknown as KubeObject));
    const everyDeployment = () => deploymentKeys().forEach((k) => this.deploymentQueue.add(k));
    const onAny = (fn: (o: KubeObject) => void) => ({ onAdd: fn, onUpdate: fn, onDelete: fn });

    informers.specDecodeDeployments.on(onAny((o) => this.deploymentQueue.add(objectKey(o))));
    for (const owned of ['deployments', 'daemonSets', 'configMaps', 'services'] as const) {
      informers[owned].on(
        onAny((o) => {
          const key = controllingDeploymentKey(o);
          if (key) this.deploymentQueue.add(key);
        }),
      );
    }
    // Shared inputs: any deployment may depend on them.
    for (const shared of ['draftProfiles', 'alignmentProfiles', 'jobs'] as const) {
      informers[shared].on(onAny(everyDeployment));
    }
    const onDeviceClass = (o: KubeObject) => {
      this.deviceClassQueue.add(o.metadata.name);
      everyDeployment();
    };
    informers.deviceClasses.on({
      onAdd: onDeviceClass,
      onDelete: onDeviceClass,
      // Deployments read a DeviceClass's spec and labels, not its status: a status write (the node counts this
      // operator keeps there, on every node flap) would otherwise reconcile every deployment again.
      onUpdate: (o, previous) => {
        if (
          o.metadata.generation !== undefined &&
          o.metadata.generation === previous.metadata.generation &&
          JSON.stringify(o.metadata.labels ?? {}) === JSON.stringify(previous.metadata.labels ?? {})
        ) {
          this.deviceClassQueue.add(o.metadata.name);
          return;
        }
        onDeviceClass(o);
      },
    });
    // A node matters only to the deployments and classes that select it (before or after the change).
    const onNode = (...versions: KubeObject[]) => {
      const sdds = cache.specDecodeDeployments.list() as SpecDecodeDeployment[];
      deploymentsSelectingNode(sdds, versions).forEach((k) => this.deploymentQueue.add(k));
      deviceClassesSelectingNode(cache.deviceClasses.list(), versions).forEach((n) => this.deviceClassQueue.add(n));
    };
    informers.nodes.on({
      onAdd: (node) => onNode(node),
      onDelete: (node) => onNode(node),
      // Node heartbeats update status constantly; only labels and readiness matter here.
      onUpdate: (node, previous) => {
        if (JSON.stringify(nodeFacts(node)) === JSON.stringify(nodeFacts(previous))) return;
        onNode(node, previous);
      },
    });
  }

  private enqueueEverything(): void {
    for (const sdd of this.options.cache.specDecodeDeployments.list() as SpecDecodeDeployment[]) {
      this.deploymentQueue.add(`${sdd.metadata.namespace ?? ''}/${sdd.metadata.name}`);
    }
    for (const dc of this.options.cache.deviceClasses.list()) this.deviceClassQueue.add(dc.metadata.name);
  }

  private scheduleResync(): void {
    const every = this.options.resyncIntervalMs ?? 600_000;
    const tick = () => {
      this.enqueueEverything();
      this.cancelResync = this.options.clock.setTimer(tick, every);
    };
    this.cancelResync = this.options.clock.setTimer(tick, every);
  }

  private instrument(controller: string, reconciler: Reconciler): KeyHandler {
    const { metrics, clock } = this.options;
    return async (key) => {
      const started = clock.now();
      let result: ReconcileResultLabel = 'error';
      try {
        const outcome = await reconciler.reconcile(key);
        result = outcome.requeueAfterMs !== undefined ? 'requeue_after' : 'success';
        return outcome;
      } finally {
        metrics?.observeReconcile(controller, result, (clock.now() - started) / 1000);
      }
    };
  }
}

/** What of a Node affects placement and counts: labels, readiness, schedulability. */
function nodeFacts(node: KubeObject) {
  const status = node.status as { conditions?: { type: string; status: string }[] } | undefined;
  const spec = node.spec as { unschedulable?: boolean } | undefined;
  return {
    labels: node.metadata.labels ?? {},
    ready: status?.conditions?.find((c) => c.type === 'Ready')?.status,
    unschedulable: spec?.unschedulable ?? false,
  };
}
