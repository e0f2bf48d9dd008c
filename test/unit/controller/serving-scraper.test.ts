// The closed loop's scrape pass: which pods it reads (ready drafters grouped by class and the configuration each
// runs, verifier replicas), the HTTP reader's bounds (timeout, size, status), and the loop's behaviour around
// failures (counted, logged once per pod, never thrown) and new evidence (the deployment is queued).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import { ServingObserver } from '../../../src/controller/serving-observer.js';
import {
  createScrapeMetrics,
  discoverTargets,
  drafterConfiguration,
  httpMetricsReader,
  ScrapeError,
  ServingScrapeLoop,
  type PodView,
} from '../../../src/controller/serving-scraper.js';
import type { Logger } from '../../../src/observability/log.js';

function sdd(name: string, namespace: string, classes: string[]): SpecDecodeDeployment {
  return {
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'SpecDecodeDeployment',
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: {} as SpecDecodeDeployment['spec'],
    status: { deviceClasses: classes.map((c) => ({ name: c, nodes: 1, readyNodes: 1 })) },
  } as SpecDecodeDeployment;
}

function pod(
  name: string,
  options: {
    namespace?: string;
    deployment?: string;
    component?: 'drafter' | 'verifier';
    deviceClass?: string;
    draft?: string;
    quantization?: string;
    ip?: string;
    ready?: boolean;
  } = {},
): PodView {
  const component = options.component ?? 'drafter';
  return {
    metadata: {
      name,
      namespace: options.namespace ?? 'ns',
      uid: `uid-${name}`,
      labels: {
        'app.kubernetes.io/managed-by': 'configspec-operator',
        'app.kubernetes.io/component': component,
        'configspec.io/deployment': options.deployment ?? 'chat',
        ...(options.deviceClass ? { 'configspec.io/device-class': options.deviceClass } : {}),
      },
    },
    spec: {
      containers: [
        {
          name: component,
          args:
            component === 'drafter'
              ? [
                  'draft',
                  '--model',
                  options.draft ?? 'd1',
                  '--model-source',
                  'file:///m.gguf',
                  '--quantization',
                  options.quantization ?? 'Q4_K_M',
                ]
              : ['verify'],
          ports: [{ name: 'http', containerPort: 8080 }],
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: options.ip ?? '10.0.0.1',
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

function drafterText(rounds: number, alpha = 0.5): string {
  return [
    `configspec_drafter_rounds_total ${rounds}`,
    `configspec_drafter_drafted_tokens_total{position="1"} ${rounds}`,
    `configspec_drafter_accepted_tokens_total{position="1"} ${rounds * alpha}`,
    `configspec_drafter_generated_tokens_total ${rounds * (1 + alpha)}`,
    `configspec_drafter_draft_seconds_sum ${rounds * 0.01}`,
    `configspec_drafter_verify_seconds_sum ${rounds * 0.02}`,
    `configspec_drafter_network_seconds_sum ${rounds * 0.005}`,
    'configspec_drafter_speculation_length 1',
  ].join('\n');
}

function recordingLogger(): Logger & { warnings: { msg: string; fields?: Record<string, unknown> }[] } {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = {
    warnings,
    debug() {},
    info() {},
    warn(msg: string, fields?: Record<string, unknown>) {
      warnings.push({ msg, fields });
    },
    error() {},
    child: () => log,
  };
  return log;
}

describe('discoverTargets', () => {
  it('groups ready drafters by class and the configuration each runs, and finds the verifier replicas', () => {
    const targets = discoverTargets(
      [sdd('chat', 'ns', ['pi5', 'orin'])],
      [
        pod('a', { deviceClass: 'pi5', draft: 'd1', ip: '10.0.0.1' }),
        pod('b', { deviceClass: 'pi5', draft: 'd2', ip: '10.0.0.2' }), // mid-rollout: another configuration
        pod('c', { deviceClass: 'orin', draft: 'd1', ip: 'fd00::3' }),
        pod('d', { deviceClass: 'orin', ready: false }),
        pod('e', { deviceClass: 'unknown-class' }),
        pod('f', { deviceClass: 'pi5', deployment: 'other' }),
        pod('g', { deviceClass: 'pi5', namespace: 'elsewhere' }),
        pod('v', { component: 'verifier', ip: '10.0.1.1' }),
      ],
    );
    expect(targets).toHaveLength(1);
    const [target] = targets;
    expect(target!.key).toBe('ns/chat');
    expect(target!.drafters).toBe(3);
    expect(target!.verifiers).toEqual([{ id: 'uid-v', url: 'http://10.0.1.1:8080/metrics' }]);
    expect(
      target!.classes.map((c) => [c.deviceClass, c.draft, c.quantization, c.pods.map((p) => p.url)]).sort(),
    ).toEqual([
      ['orin', 'd1', 'Q4_K_M', ['http://[fd00::3]:8080/metrics']],
      ['pi5', 'd1', 'Q4_K_M', ['http://10.0.0.1:8080/metrics']],
      ['pi5', 'd2', 'Q4_K_M', ['http://10.0.0.2:8080/metrics']],
    ]);
  });

  it('reads the configuration from the drafter container arguments, in either flag form', () => {
    expect(drafterConfiguration(pod('a', { draft: 'qwen', quantization: 'Q8_0' }))).toEqual({
      draft: 'qwen',
      quantization: 'Q8_0',
    });
    const equals = pod('b');
    equals.spec!.containers![0]!.args = ['draft', '--model=m', '--quantization=F16'];
    expect(drafterConfiguration(equals)).toEqual({ draft: 'm', quantization: 'F16' });
    const bare = pod('c');
    bare.spec!.containers![0]!.args = ['draft'];
    expect(drafterConfiguration(bare)).toBeUndefined();
  });
});

describe('httpMetricsReader', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') return res.end(drafterText(10));
      if (req.url === '/big') {
        res.write('x'.repeat(4096));
        // An endless body: the reader must stop at its bound, not wait for the end.
        const timer = setInterval(() => res.write('y'.repeat(4096)), 5);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (req.url === '/slow') return; // never answers
      res.statusCode = 503;
      res.end('no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the text of a good answer', async () => {
    await expect(httpMetricsReader()(`${base}/metrics`)).resolves.toContain('configspec_drafter_rounds_total 10');
  });

  it('fails with a reason on a bad status, an oversized body, a timeout and a refused connection', async () => {
    const read = httpMetricsReader({ timeoutMs: 300, maxBytes: 16 * 1024 });
    const reason = (url: string) =>
      read(url).then(
        () => 'ok',
        (err: unknown) => (err instanceof ScrapeError ? err.reason : `not a ScrapeError: ${String(err)}`),
      );
    expect(await reason(`${base}/missing`)).toBe('status');
    expect(await reason(`${base}/big`)).toBe('too_large');
    expect(await reason(`${base}/slow`)).toBe('timeout');
    expect(await reason('http://127.0.0.1:1/metrics')).toBe('network');
  });
});

describe('ServingScrapeLoop', () => {
  const clock = () => {
    let now = 1_000_000;
    return {
      now: () => now,
      advance: (ms: number) => (now += ms),
      setTimer: () => () => {},
    };
  };

  it('queues a deployment when new rounds come in, and only then', async () => {
    const rounds = new Map<string, number>([['http://10.0.0.1:8080/metrics', 100]]);
    const read = async (url: string) => {
      const value = rounds.get(url);
      if (value === undefined) throw new ScrapeError('network', 'refused');
      return drafterText(value);
    };
    const time = clock();
    const queued: string[] = [];
    const registry = new Registry();
    const observer = new ServingObserver(read);
    const loop = new ServingScrapeLoop({
      observer,
      read,
      deployments: () => [sdd('chat', 'ns', ['pi5'])],
      pods: () => [pod('a', { deviceClass: 'pi5' })],
      enqueue: (key) => queued.push(key),
      clock: time,
      log: recordingLogger(),
      intervalMs: 5000,
      metrics: createScrapeMetrics(registry),
    });
    // The first read sets the baseline: no evidence, nothing queued.
    expect(await loop.scrapeOnce()).toEqual([]);
    time.advance(5000);
    expect(await loop.scrapeOnce()).toEqual([]); // no new rounds
    rounds.set('http://10.0.0.1:8080/metrics', 300);
    time.advance(5000);
    expect(await loop.scrapeOnce()).toEqual(['ns/chat']);
    expect(queued).toEqual(['ns/chat']);
    const observed = observer.observations('ns/chat').pi5!.candidates[0]!;
    expect(observed).toMatchObject({ draft: 'd1', quantization: 'Q4_K_M', k: 1 });
    expect(observed.counters.rounds).toBe(200);
    expect(await registry.getSingleMetricAsString('configspec_serving_scrapes_total')).toContain(
      'configspec_serving_scrapes_total{component="drafter"} 3',
    );
  });

  it('counts every failed read, logs it once per pod, never throws, and forgets deleted deployments', async () => {
    const read = async (url: string): Promise<string> => {
      throw new ScrapeError(url.includes('10.0.0.9') ? 'timeout' : 'status', 'failed');
    };
    const log = recordingLogger();
    const registry = new Registry();
    let deployments = [sdd('chat', 'ns', ['pi5'])];
    const observer = new ServingObserver(read);
    const loop = new ServingScrapeLoop({
      observer,
      read,
      deployments: () => deployments,
      pods: () => [
        pod('a', { deviceClass: 'pi5', ip: '10.0.0.9' }),
        pod('b', { deviceClass: 'pi5', ip: '10.0.0.8' }),
        pod('v', { component: 'verifier', ip: '10.0.1.1' }),
      ],
      enqueue: () => {
        throw new Error('nothing to queue');
      },
      clock: clock(),
      log,
      intervalMs: 5000,
      metrics: createScrapeMetrics(registry),
    });
    for (let i = 0; i < 3; i++) await expect(loop.scrapeOnce()).resolves.toEqual([]);
    const errors = await registry.getSingleMetricAsString('configspec_serving_scrape_errors_total');
    expect(errors).toContain('configspec_serving_scrape_errors_total{component="drafter",reason="timeout"} 3');
    expect(errors).toContain('configspec_serving_scrape_errors_total{component="drafter",reason="status"} 3');
    expect(errors).toContain('configspec_serving_scrape_errors_total{component="verifier",reason="status"} 3');
    expect(log.warnings.map((w) => w.fields?.pod).sort()).toEqual(['uid-a', 'uid-b', 'uid-v']);
    // A deployment that is gone leaves nothing behind in the observer.
    deployments = [];
    await loop.scrapeOnce();
    expect(observer.deployments()).toEqual([]);
  });

  it('runs a pass every interval until stopped', async () => {
    const timers: (() => void)[] = [];
    let reads = 0;
    const read = async () => {
      reads += 1;
      return drafterText(reads * 10);
    };
    const loop = new ServingScrapeLoop({
      observer: new ServingObserver(read),
      read,
      deployments: () => [sdd('chat', 'ns', ['pi5'])],
      pods: () => [pod('a', { deviceClass: 'pi5' })],
      enqueue: () => {},
      clock: {
        now: () => Date.now(),
        setTimer: (fn) => {
          timers.push(fn);
          return () => {};
        },
      },
      log: recordingLogger(),
      intervalMs: 1000,
    });
    const stop = new AbortController();
    const running = loop.run(stop.signal);
    for (let i = 0; i < 3; i++) {
      timers.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(reads).toBe(3);
    stop.abort();
    await running;
  });
});
