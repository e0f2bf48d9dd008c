// The closed loop's clock: every interval, find the drafter and verifier pods of each SpecDecodeDeployment (from
// a Pod informer's cache, src/k8s/pods.ts), read their /metrics over HTTP into the ServingObserver
// (src/controller/serving-observer.ts: at most 8 drafters per class, rotating) and queue the deployment for a
// reconcile when new rounds came in, so the planner re-plans on the corrected model.
//
// Bounded at fleet scale: one scrape pass at a time (the next starts an interval after the last ended, so a slow
// pass never piles up), deployments read `concurrency` at a time, each GET with a timeout and a response-size
// bound. A pod that cannot be read counts in configspec_serving_scrape_errors_total{component,reason}, is logged
// once (per pod, by uid) and is simply no evidence: the observer tries it again on the next pass. Nothing here
// throws into the operator.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Quantization, SpecDecodeDeployment } from '../api/types.js';
import type { Logger } from '../observability/log.js';
import { LABELS, MANAGED_BY } from '../planner/metadata.js';
import { labelValue } from '../planner/naming.js';
import type { Clock } from '../util/clock.js';
import type { KubeObjectMeta } from './ports.js';
import type { ClassScrape, DrafterPod, MetricsReader, ServingObserver } from './serving-observer.js';

/** Every drafter and verifier pod the operator made (the Pod informer's label selector). */
export const SERVING_POD_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component} in (drafter,verifier)`;

/** Default seconds between scrape passes (see README, "Closed loop"). */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;
/** Default per-request timeout of a /metrics GET. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 5_000;
/** Largest /metrics response read (a drafter's is ~10 KiB with the process metrics). */
export const DEFAULT_SCRAPE_MAX_BYTES = 1024 * 1024;
/** Deployments scraped at once. */
export const DEFAULT_SCRAPE_CONCURRENCY = 8;

/** The fields of a Pod the scraper reads (src/k8s/pods.ts keeps only these in its cache). */
export interface PodView {
  metadata: Pick<KubeObjectMeta, 'name' | 'namespace' | 'uid' | 'labels' | 'deletionTimestamp' | 'resourceVersion'>;
  spec?: {
    containers?: {
      name: string;
      args?: string[];
      ports?: { name?: string; containerPort: number }[];
    }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
  };
}

/** What one pass reads for one deployment. */
export interface DeploymentTargets {
  key: string;
  classes: ClassScrape[];
  verifiers: DrafterPod[];
  /** Ready drafters of every class: the load on the verifier's replicas. */
  drafters: number;
}

const isReady = (pod: PodView) =>
  !pod.metadata.deletionTimestamp &&
  pod.status?.phase === 'Running' &&
  Boolean(pod.status.podIP) &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function argValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i]!.startsWith(`${flag}=`)) return args[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/** The /metrics URL of a pod's container (its port named http, else its first port). */
export function metricsUrl(pod: PodView, container: string): string | undefined {
  const spec = pod.spec?.containers?.find((c) => c.name === container);
  const port = spec?.ports?.find((p) => p.name === 'http') ?? spec?.ports?.[0];
  const ip = pod.status?.podIP;
  if (!port || !ip) return undefined;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port.containerPort}/metrics`;
}

/**
 * The drafter pod's configuration as its container runs it (`configspec draft --model <draft> --quantization <q>`,
 * src/planner/workloads.ts): during a rollout a class has pods of two configurations, and each pod's counters
 * belong to its own.
 */
export function drafterConfiguration(pod: PodView): { draft: string; quantization: Quantization } | undefined {
  const args = pod.spec?.containers?.find((c) => c.name === 'drafter')?.args ?? [];
  const draft = argValue(args, '--model');
  const quantization = argValue(args, '--quantization');
  return draft && quantization ? { draft, quantization: quantization as Quantization } : undefined;
}

const podId = (pod: PodView) => pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;

/**
 * Pure: the ready drafter pods of each deployment grouped by (device class, draft, quantisation), and its ready
 * verifier replicas. Pods are matched by the labels the builders put on them (namespace, configspec.io/deployment,
 * component, configspec.io/device-class) against the deployment's classes in status.
 */
export function discoverTargets(
  deployments: readonly SpecDecodeDeployment[],
  pods: readonly PodView[],
): DeploymentTargets[] {
  const byDeployment = new Map<string, PodView[]>();
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    const owner = labels[LABELS.deployment];
    if (owner === undefined || !isReady(pod)) continue;
    const key = `${pod.metadata.namespace ?? ''}\u0000${owner}`;
    byDeployment.set(key, [...(byDeployment.get(key) ?? []), pod]);
  }
  const targets: DeploymentTargets[] = [];
  for (const sdd of deployments) {
    const namespace = sdd.metadata.namespace ?? '';
    const own = byDeployment.get(`${namespace}\u0000${labelValue(sdd.metadata.name)}`) ?? [];
    const classNames = new Map(
      (sdd.status?.deviceClasses ?? []).map((c) => [labelValue(c.name), c.name] as [string, string]),
    );
    const groups = new Map<string, ClassScrape & { pods: DrafterPod[] }>();
    const verifiers: DrafterPod[] = [];
    let drafters = 0;
    for (const pod of own) {
      const labels = pod.metadata.labels ?? {};
      const component = labels[LABELS.component];
      if (component === 'verifier') {
        const url = metricsUrl(pod, 'verifier');
        if (url) verifiers.push({ id: podId(pod), url });
        continue;
      }
      if (component !== 'drafter') continue;
      const deviceClass = classNames.get(labels[LABELS.deviceClass] ?? '');
      const configuration = drafterConfiguration(pod);
      const url = metricsUrl(pod, 'drafter');
      if (!deviceClass || !configuration || !url) continue;
      drafters += 1;
      const group = `${deviceClass}\u0000${configuration.draft}\u0000${configuration.quantization}`;
      const entry = groups.get(group) ?? { deviceClass, ...configuration, pods: [] };
      entry.pods.push({ id: podId(pod), url });
      groups.set(group, entry);
    }
    if (groups.size === 0 && verifiers.length === 0) continue;
    // A stable order, so rotation through a class's pods is stable between passes.
    for (const entry of groups.values()) entry.pods.sort((a, b) => a.id.localeCompare(b.id));
    targets.push({ key: `${namespace}/${sdd.metadata.name}`, classes: [...groups.values()], verifiers, drafters });
  }
  return targets;
}

export class ScrapeError extends Error {
  constructor(
    readonly reason: 'timeout' | 'status' | 'too_large' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}

/**
 * The operator's MetricsReader: a GET with the global fetch, aborted after `timeoutMs`, refusing a body over
 * `maxBytes` (read as a stream, so a huge or endless answer costs at most that much memory).
 */
export function httpMetricsReader(
  options: { timeoutMs?: number; maxBytes?: number; fetch?: typeof fetch } = {},
): MetricsReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_SCRAPE_MAX_BYTES;
  const get = options.fetch ?? fetch;
  return async (url) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await get(url, { signal, headers: { accept: 'text/plain' }, redirect: 'error' });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new ScrapeError('status', `HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new ScrapeError('too_large', `${declared} bytes declared, more than ${maxBytes}`);
      }
      if (!response.body) return '';
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new ScrapeError('too_large', `more than ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
      return Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof ScrapeError) throw err;
      if (signal.aborted) throw new ScrapeError('timeout', `no answer within ${timeoutMs} ms`);
      throw new ScrapeError('network', (err as Error).message);
    }
  };
}

export interface ScrapeMetrics {
  scrapes: Counter<'component'>;
  errors: Counter<'component' | 'reason'>;
  passSeconds: Histogram;
}

/** The scraper's own metrics, registered on the operator's registry. */
export function createScrapeMetrics(registry: Registry): ScrapeMetrics {
  const registers = [registry];
  return {
    scrapes: new Counter({
      name: 'configspec_serving_scrapes_total',
      help: 'Reads of drafter and verifier /metrics by the closed loop',
      labelNames: ['component'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'configspec_serving_scrape_errors_total',
      help: 'Reads of drafter and verifier /metrics that failed, by reason (timeout, status, too_large, network)',
      labelNames: ['component', 'reason'] as const,
      registers,
    }),
    passSeconds: new Histogram({
      name: 'configspec_serving_scrape_pass_seconds',
      help: 'Duration of one scrape pass over every deployment',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
  };
}

export interface ServingScrapeLoopOptions {
  observer: ServingObserver;
  /** The raw reader (HTTP in the operator); the loop counts and logs its failures. */
  read: MetricsReader;
  deployments(): readonly SpecDecodeDeployment[];
  pods(): readonly PodView[];
  /** Queue a deployment for a reconcile (the manager's work queue). */
  enqueue(key: string): void;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  concurrency?: number;
  metrics?: ScrapeMetrics;
}

export class ServingScrapeLoop {
  /** Pods whose failure was logged already (by uid), so a dead pod does not fill the log every pass. */
  private readonly logged = new Set<string>();

  constructor(private readonly options: ServingScrapeLoopOptions) {}

  /** One pass over every deployment; resolves with the keys it queued. Never rejects. */
  async scrapeOnce(): Promise<string[]> {
    const { observer, clock, metrics } = this.options;
    const started = clock.now();
    const deployments = this.options.deployments();
    const targets = discoverTargets(deployments, this.options.pods());
    const present = new Set(deployments.map((d) => `${d.metadata.namespace ?? ''}/${d.metadata.name}`));
    for (const key of observer.deployments()) if (!present.has(key)) observer.forget(key);
    const live = new Set(
      targets.flatMap((t) => [...t.classes.flatMap((c) => c.pods), ...t.verifiers]).map((p) => p.id),
    );
    for (const id of [...this.logged]) if (!live.has(id)) this.logged.delete(id);

    const queued: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const target = targets[next++]!;
        try {
          if (await this.scrapeDeployment(target)) {
            this.options.enqueue(target.key);
            queued.push(target.key);
          }
        } catch (err) {
          this.options.log.warn('Scraping serving metrics failed', { sdd: target.key, err });
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, this.options.concurrency ?? DEFAULT_SCRAPE_CONCURRENCY) }, worker),
    );
    metrics?.passSeconds.observe((clock.now() - started) / 1000);
    return queued;
  }

  private async scrapeDeployment(target: DeploymentTargets): Promise<boolean> {
    const { observer, clock } = this.options;
    const podOfUrl = new Map<string, string>();
    for (const pod of [...target.classes.flatMap((c) => c.pods), ...target.verifiers]) podOfUrl.set(pod.url, pod.id);
    const counted =
      (component: 'drafter' | 'verifier'): MetricsReader =>
      async (url) => {
        this.options.metrics?.scrapes.inc({ component });
        try {
          return await this.options.read(url);
        } catch (err) {
          const reason = err instanceof ScrapeError ? err.reason : 'network';
          this.options.metrics?.errors.inc({ component, reason });
          const id = podOfUrl.get(url) ?? url;
          if (!this.logged.has(id)) {
            this.logged.add(id);
            this.options.log.warn('Cannot read serving metrics of a pod; it counts as no evidence until it answers', {
              sdd: target.key,
              component,
              pod: id,
              url,
              reason,
              error: (err as Error).message,
            });
          }
          throw err;
        }
      };
    const drafterRounds = await observer.scrapeDrafters(target.key, target.classes, clock.now(), counted('drafter'));
    const verifierRequests = await observer.scrapeVerifier(
      target.key,
      target.verifiers,
      target.drafters,
      clock.now(),
      counted('verifier'),
    );
    return drafterRounds > 0 || verifierRequests > 0;
  }

  /** Scrapes every interval (measured from the end of the last pass) until the signal aborts. */
  run(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let cancel: (() => void) | undefined;
      const stop = () => {
        cancel?.();
        resolve();
      };
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', stop, { once: true });
      const tick = () => {
        void this.scrapeOnce()
          .catch((err: unknown) => this.options.log.warn('Scrape pass failed', { err }))
          .then(() => {
            if (!signal.aborted) cancel = this.options.clock.setTimer(tick, this.options.intervalMs);
          });
      };
      cancel = this.options.clock.setTimer(tick, this.options.intervalMs);
    });
  }
}
