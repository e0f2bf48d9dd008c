// The operator's Prometheus metrics, named by Prometheus conventions: one `configspec_` prefix, base units
// (seconds, joules), `_total` on counters only, no label names inside metric names. Names that mirror
// controller-runtime/client-go (reconcile, workqueue, leader election) keep their shape so dashboards carry over.
// Each OperatorMetrics owns its own Registry, so tests and several operators in one process do not collide.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Figures } from '../api/types.js';
import type { ApiRequestObserver } from '../controller/ports.js';
import type { WorkQueueMetrics } from '../controller/workqueue.js';

export type ReconcileResultLabel = 'success' | 'error' | 'requeue_after';
export type ProfilingJobState = 'pending' | 'running' | 'succeeded' | 'failed';

/** controller-runtime's reconcile buckets, trimmed: 5 ms to 60 s. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'apply', 'delete']);

export interface OperatorMetricsOptions {
  /** Also export Node.js process metrics (default true). */
  processMetrics?: boolean;
}

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'configspec_reconcile_total',
    help: 'Reconciliations by controller and result (success, error, requeue_after).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'configspec_reconcile_duration_seconds',
    help: 'Time spent in one reconciliation, by controller and result.',
    labelNames: ['controller', 'result'] as const,
    buckets: RECONCILE_BUCKETS,
    registers: [this.registry],
  });

  readonly workqueueDepth = new Gauge({
    name: 'configspec_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly workqueueAdds = new Counter({
    name: 'configspec_workqueue_adds_total',
    help: 'Keys added to the work queue (after deduplication).',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly workqueueRetries = new Counter({
    name: 'configspec_workqueue_retries_total',
    help: 'Keys scheduled again with backoff after a failed reconciliation.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly apiserverRequests = new Counter({
    name: 'configspec_apiserver_requests_total',
    help: 'Requests the operator sent to the Kubernetes API server, by verb, resource and HTTP code (0: no response).',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly informerErrors = new Counter({
    name: 'configspec_informer_errors_total',
    help: 'List or watch failures by resource and reason (a Gone triggers a relist).',
    labelNames: ['resource', 'reason'] as const,
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'configspec_leader_election_master_status',
    help: '1 while this replica holds the leader Lease, else 0.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly selectedK = new Gauge({
    name: 'configspec_selected_k',
    help: 'Draft length K selected per deployment and device class.',
    labelNames: ['namespace', 'deployment', 'device_class'] as const,
    registers: [this.registry],
  });

  readonly predictedGoodput = new Gauge({
    name: 'configspec_predicted_goodput_tokens_per_second',
    help: 'Predicted goodput of the selected configuration per deployment and device class.',
    labelNames: ['namespace', 'deployment', 'device_class'] as const,
    registers: [this.registry],
  });

  readonly predictedCost = new Gauge({
    name: 'configspec_predicted_cost_usd_per_million_tokens',
    help: 'Predicted cost in US dollars per million tokens of the selected configuration.',
    labelNames: ['namespace', 'deployment', 'device_class'] as const,
    registers: [this.registry],
  });

  readonly predictedEnergy = new Gauge({
    name: 'configspec_predicted_energy_joules_per_token',
    help: 'Predicted energy in joules per token of the selected configuration.',
    labelNames: ['namespace', 'deployment', 'device_class'] as const,
    registers: [this.registry],
  });

  readonly profilingJobs = new Gauge({
    name: 'configspec_profiling_jobs',
    help: 'Profiling Jobs owned by a deployment, by state.',
    labelNames: ['namespace', 'deployment', 'state'] as const,
    registers: [this.registry],
  });

  /** Label sets currently exported per deployment, so a deleted class or deployment leaves no stale series. */
  private readonly classSeries = new Map<string, Set<string>>();

  constructor(options: OperatorMetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Observer for the k8s layer: counts every request. */
  readonly observeRequest: ApiRequestObserver = (verb, resource, code) => {
    this.apiserverRequests.inc({ verb, resource, code: String(code) });
  };

  /** Hooks for one work queue. */
  workQueueHooks(name: string): WorkQueueMetrics {
    return {
      depth: (depth) => this.workqueueDepth.set({ name }, depth),
      added: () => this.workqueueAdds.inc({ name }),
      retried: () => this.workqueueRetries.inc({ name }),
    };
  }

  observeReconcile(controller: string, result: ReconcileResultLabel, seconds: number): void {
    this.reconcileTotal.inc({ controller, result });
    this.reconcileDuration.observe({ controller, result }, seconds);
  }

  /** Replaces the per-class selection series of one deployment. */
  setSelections(
    namespace: string,
    deployment: string,
    selections: readonly { deviceClass: string; k: number; predicted?: Figures }[],
  ): void {
    const key = `${namespace}/${deployment}`;
    const previous = this.classSeries.get(key) ?? new Set<string>();
    const current = new Set<string>();
    for (const selection of selections) {
      const labels = { namespace, deployment, device_class: selection.deviceClass };
      current.add(selection.deviceClass);
      this.selectedK.set(labels, selection.k);
      if (selection.predicted) {
        this.predictedGoodput.set(labels, selection.predicted.goodputTokensPerSecond);
        this.predictedCost.set(labels, selection.predicted.usdPerMillionTokens);
        this.predictedEnergy.set(labels, selection.predicted.joulesPerToken);
      }
    }
    for (const deviceClass of previous) {
      if (!current.has(deviceClass)) this.removeClassSeries(namespace, deployment, deviceClass);
    }
    if (current.size > 0) this.classSeries.set(key, current);
    else this.classSeries.delete(key);
  }

  setProfilingJobs(namespace: string, deployment: string, counts: Record<ProfilingJobState, number>): void {
    for (const [state, count] of Object.entries(counts))
      this.profilingJobs.set({ namespace, deployment, state }, count);
  }

  /** Drops every series of a deleted deployment. */
  forgetDeployment(namespace: string, deployment: string): void {
    this.setSelections(namespace, deployment, []);
    for (const state of ['pending', 'running', 'succeeded', 'failed'] as const) {
      this.profilingJobs.remove({ namespace, deployment, state });
    }
  }

  /** Writes (not reads) counted so far; the idle check asserts this stays flat. */
  async writeRequests(excludeResources: readonly string[] = ['leases', 'events']): Promise<number> {
    const byResource = await this.writeRequestsByResource(excludeResources);
    return Object.values(byResource).reduce((sum, count) => sum + count, 0);
  }

  /** Writes counted so far keyed "verb resource", so a failed idle check says what was written. */
  async writeRequestsByResource(
    excludeResources: readonly string[] = ['leases', 'events'],
  ): Promise<Record<string, number>> {
    const metric = await this.apiserverRequests.get();
    const counts: Record<string, number> = {};
    for (const v of metric.values) {
      const verb = String(v.labels.verb);
      const resource = String(v.labels.resource);
      if (!WRITE_VERBS.has(verb) || excludeResources.includes(resource)) continue;
      const key = `${verb} ${resource}`;
      counts[key] = (counts[key] ?? 0) + v.value;
    }
    return counts;
  }

  private removeClassSeries(namespace: string, deployment: string, deviceClass: string): void {
    const labels = { namespace, deployment, device_class: deviceClass };
    for (const gauge of [this.selectedK, this.predictedGoodput, this.predictedCost, this.predictedEnergy]) {
      gauge.remove(labels);
    }
  }
}
