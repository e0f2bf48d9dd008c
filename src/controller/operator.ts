// The composition root of `configspec operator`: connection, informers, reconcilers, work queues, leader
// election, the probe/metrics server and signal handling. Everything it wires is tested on its own; this file
// only connects the parts.
import type { KubeObject } from './ports.js';
import { connect, type ConnectionOptions } from '../k8s/client.js';
import { KubeAccessReviewer } from '../k8s/access-review.js';
import { ServerSideApplier } from '../k8s/apply.js';
import { AggregatingEventRecorder } from '../k8s/events.js';
import { makeInformer } from '../k8s/informers.js';
import { KubeLeaseStore } from '../k8s/lease.js';
import { makeServingPodInformer } from '../k8s/pods.js';
import { RESOURCES } from '../k8s/resources.js';
import type { Logger } from '../observability/log.js';
import { OperatorMetrics } from '../observability/metrics.js';
import { startProbeServer } from '../observability/server.js';
import { MANAGED_BY } from '../planner/metadata.js';
import { planDeployment } from '../planner/plan.js';
import { systemClock } from '../util/clock.js';
import type { ClusterCache } from './cache.js';
import { DeviceClassStatusReconciler } from './device-class-reconciler.js';
import { LeaderElector, type LeaderElectionTimings } from './leader-election.js';
import { Manager, type InformerSet } from './manager.js';
import { SpecDecodeReconciler } from './reconciler.js';
import type { ProfilingJobOptions } from '../planner/profiling-jobs.js';
import type { SpecDecodeDeployment } from '../api/types.js';
import { ServingObserver } from './serving-observer.js';
import {
  createScrapeMetrics,
  DEFAULT_SCRAPE_CONCURRENCY,
  httpMetricsReader,
  SERVING_POD_SELECTOR,
  ServingScrapeLoop,
} from './serving-scraper.js';

export interface OperatorConfig {
  connection: ConnectionOptions;
  /** Watch SpecDecodeDeployments and owned objects in this namespace only; all namespaces when absent. */
  watchNamespace?: string;
  /** Where the operator runs: its Lease and the profiling Jobs live here. */
  operatorNamespace: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  httpHost: string;
  httpPort: number;
  /** Require a bearer token allowed to `get` /metrics (TokenReview + SubjectAccessReview). */
  metricsAuth?: boolean;
  concurrency: number;
  resyncIntervalMs: number;
  leaderElection:
    (LeaderElectionTimings & { enabled: boolean; leaseName: string; identity: string }) | { enabled: false };
  /** Profiling Jobs' time-out and attempts (src/planner/profiling-jobs.ts); the defaults when absent. */
  profilingJobs?: ProfilingJobOptions;
  /**
   * The closed loop's observer (src/controller/serving-scraper.ts): read the drafter and verifier pods' /metrics
   * every intervalMs and re-plan on what they measure. Absent or disabled: the planner sees profiles only, and no
   * Pod is read.
   */
  servingObserver?: { enabled: true; intervalMs: number; timeoutMs?: number; maxBytes?: number } | { enabled: false };
  log: Logger;
}

export interface RunningOperator {
  /** Resolves with the process exit code: 0 after a clean shutdown, 1 when leadership was lost. */
  done: Promise<number>;
  /** Begins a graceful shutdown (as SIGTERM does). */
  shutdown(): void;
  /** The port of /metrics, /healthz and /readyz (useful with httpPort 0). */
  port: number;
  metrics: OperatorMetrics;
}

export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const { log } = config;
  const clock = systemClock;
  const metrics = new OperatorMetrics();
  const rest = connect(config.connection, metrics.observeRequest);
  const writer = new ServerSideApplier(rest);
  const events = new AggregatingEventRecorder(rest, { reportingInstance: identityOf(config), log });

  const managed = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  const inform = (type: (typeof RESOURCES)[keyof typeof RESOURCES], scoped: boolean, labelSelector?: string) =>
    makeInformer<KubeObject>(
      rest,
      type,
      { namespace: scoped ? config.watchNamespace : undefined, labelSelector },
      { log, clock, onError: (e) => metrics.informerErrors.inc({ resource: type.plural, reason: e.reason }) },
    );
  const informers: InformerSet = {
    specDecodeDeployments: inform(RESOURCES.specDecodeDeployment, true),
    deviceClasses: inform(RESOURCES.deviceClass, false),
    draftProfiles: inform(RESOURCES.draftProfile, false),
    alignmentProfiles: inform(RESOURCES.alignmentProfile, false),
    nodes: inform(RESOURCES.node, false),
    deployments: inform(RESOURCES.deployment, true, managed),
    daemonSets: inform(RESOURCES.daemonSet, true, managed),
    configMaps: inform(RESOURCES.configMap, true, managed),
    services: inform(RESOURCES.service, true, managed),
    // Profiling Jobs run in the operator's namespace, whatever namespace the deployments are in.
    jobs: makeInformer<KubeObject>(
      rest,
      RESOURCES.job,
      { namespace: config.operatorNamespace, labelSelector: managed },
      { log, clock, onError: (e) => metrics.informerErrors.inc({ resource: 'jobs', reason: e.reason }) },
    ),
  };
  const cache = informers as unknown as ClusterCache;
  const observing = config.servingObserver?.enabled ? config.servingObserver : undefined;
  const observer = observing ? new ServingObserver(httpMetricsReader()) : undefined;
  // Only the pods of our drafters and verifiers, in the watched namespace (all namespaces otherwise).
  const pods = observing
    ? makeServingPodInformer(
        rest,
        { namespace: config.watchNamespace, labelSelector: SERVING_POD_SELECTOR },
        { log, clock, onError: (e) => metrics.informerErrors.inc({ resource: 'pods', reason: e.reason }) },
      )
    : undefined;
  const manager = new Manager({
    informers,
    cache,
    deployments: new SpecDecodeReconciler({
      cache,
      writer,
      events,
      plan: planDeployment,
      clock,
      log: log.child({ controller: 'specdecodedeployment' }),
      metrics,
      image: config.image,
      imagePullPolicy: config.imagePullPolicy,
      operatorNamespace: config.operatorNamespace,
      profilingJobs: config.profilingJobs,
      ...(observer ? { closedLoop: observer } : {}),
    }),
    deviceClasses: new DeviceClassStatusReconciler({ cache, writer }),
    concurrency: config.concurrency,
    clock,
    log,
    metrics,
    resyncIntervalMs: config.resyncIntervalMs,
  });
  const scraper =
    observing && observer && pods
      ? new ServingScrapeLoop({
          observer,
          read: httpMetricsReader({ timeoutMs: observing.timeoutMs, maxBytes: observing.maxBytes }),
          deployments: () => cache.specDecodeDeployments.list() as readonly SpecDecodeDeployment[],
          pods: () => pods.list(),
          enqueue: (key) => manager.deploymentQueue.add(key),
          clock,
          log: log.child({ component: 'serving-observer' }),
          intervalMs: observing.intervalMs,
          concurrency: DEFAULT_SCRAPE_CONCURRENCY,
          metrics: createScrapeMetrics(metrics.registry),
        })
      : undefined;

  const server = await startProbeServer({
    registry: metrics.registry,
    readiness: { informers: () => manager.cachesSynced() },
    ...(config.metricsAuth
      ? {
          metricsAuth: {
            reviewer: new KubeAccessReviewer(rest),
            onReviewError: (err: unknown) => log.warn('Reviewing /metrics credentials failed', { err }),
          },
        }
      : {}),
    host: config.httpHost,
    port: config.httpPort,
  });
  log.info('Serving probes and metrics', { port: server.port });
  manager.startInformers();
  pods?.start();
  if (scraper) log.info('Observing serving metrics', { intervalSeconds: (observing?.intervalMs ?? 0) / 1000 });

  const stop = new AbortController();
  // The scrape loop runs while this replica leads (a standby's observations would go unused), beside the workers.
  let scraping: { abort: AbortController; done: Promise<void> } | undefined;
  const startScraping = (signal: AbortSignal) => {
    if (!scraper || scraping) return;
    const abort = new AbortController();
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    scraping = { abort, done: scraper.run(abort.signal) };
  };
  const stopScraping = async () => {
    const running = scraping;
    scraping = undefined;
    running?.abort.abort();
    await running?.done;
  };
  const leading = runLeadership(config, rest, manager, metrics, stop.signal, {
    started: startScraping,
    stopped: () => void stopScraping(),
  });
  const done = leading.then(async (outcome) => {
    await stopScraping();
    await manager.stopWorkers(outcome !== 'lost');
    await events.close();
    await manager.stopInformers();
    await pods?.stop();
    await server.close();
    log.info('Stopped', { outcome });
    return outcome === 'lost' ? 1 : 0;
  });
  return { done, shutdown: () => stop.abort(), port: server.port, metrics };
}

async function runLeadership(
  config: OperatorConfig,
  rest: ReturnType<typeof connect>,
  manager: Manager,
  metrics: OperatorMetrics,
  stop: AbortSignal,
  hooks: { started(signal: AbortSignal): void; stopped(): void },
): Promise<'stopped' | 'released' | 'lost'> {
  const { log } = config;
  const election = config.leaderElection;
  if (!election.enabled) {
    metrics.leader.set({ name: 'configspec-operator' }, 1);
    void manager.startWorkers(stop);
    hooks.started(stop);
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    return 'stopped';
  }
  const elector = new LeaderElector({
    identity: election.identity,
    store: new KubeLeaseStore(rest, config.operatorNamespace, election.leaseName),
    leaseDurationMs: election.leaseDurationMs,
    renewDeadlineMs: election.renewDeadlineMs,
    retryPeriodMs: election.retryPeriodMs,
    log,
    onStartedLeading: (signal) => {
      metrics.leader.set({ name: election.leaseName }, 1);
      void manager.startWorkers(signal);
      hooks.started(signal);
    },
    onStoppedLeading: () => {
      metrics.leader.set({ name: election.leaseName }, 0);
      // Stop reconciling at once: another replica may already be taking over.
      hooks.stopped();
      void manager.stopWorkers(false);
    },
    onNewLeader: (identity) => log.info('Observed a new leader', { leader: identity }),
  });
  metrics.leader.set({ name: election.leaseName }, 0);
  return elector.run(stop);
}

function identityOf(config: OperatorConfig): string {
  return config.leaderElection.enabled ? config.leaderElection.identity : 'configspec-operator';
}
