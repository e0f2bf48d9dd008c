// Fleet scale: the operator, run as its own process (`configspec operator`), against a local control plane with
// the benchmark fleet (1,000 kwok edge nodes in 10 device classes + 20 GPU nodes), DeviceClasses for every
// class, every profile present (written as the profiler writes them), and 100 SpecDecodeDeployments applied at
// once. Prints: time until all are Ready, the operator's peak RSS and CPU time, API requests per deployment
// (from the operator's own request counter on /metrics) and the writes it sends during an idle window.
// Prints figures; asserts nothing. Run: make bench-fleet (slow: starts and stops its own cluster).
//
//   node dist/bench/fleet.js [--deployments 100] [--idle-seconds 120] [--concurrency N] [--node-options=…]
//                            [--keep-cluster] [--json FILE]
//
// Each deployment drafts on two device classes and on one twentieth of their nodes (a `bench.configspec.io/tenant`
// label the script puts on the nodes), so every edge node runs exactly one drafter pod: 1,000 drafter pods (200
// DaemonSets) and 100 verifier pods on the GPU nodes in all.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  API_VERSION,
  type AlignmentProfileStatus,
  type DraftProfileStatus,
  type Quantization,
  type SpecDecodeDeployment,
} from '../src/api/types.js';
import { connect } from '../src/k8s/client.js';
import { writeProfileStatus } from '../src/k8s/profile-status.js';
import { profileName } from '../src/planner/profiling-jobs.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/fleet.js → the repository root is two levels up; bench/fleet.ts (ts-node style) one.
const repo = existsSync(join(here, '..', 'package.json')) ? resolve(here, '..') : resolve(here, '..', '..');

const { values } = parseArgs({
  options: {
    deployments: { type: 'string', default: '100' },
    'idle-seconds': { type: 'string', default: '120' },
    /** Node.js options of the operator process (space-separated; --node-options=…): the chart's nodeOptions. */
    'node-options': { type: 'string', default: '--max-semi-space-size=2' },
    'keep-cluster': { type: 'boolean', default: false },
    /** Run the operator with --no-leader-elect (a loaded apiserver can make it lose even a 60 s Lease). */
    'no-leader-election': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '600' },
    /** Passed to the operator's --concurrency when given (its default otherwise). */
    concurrency: { type: 'string' },
    'run-dir': { type: 'string', default: process.env.CONFIGSPEC_RUN_DIR ?? join(repo, '.run', 'bench') },
    json: { type: 'string' },
  },
});
const DEPLOYMENTS = Number(values.deployments);
const IDLE_SECONDS = Number(values['idle-seconds']);
const runDir = resolve(values['run-dir']!);
const kubeconfig = join(runDir, 'kubeconfig');
const NAMESPACE = 'bench';
const OPERATOR_NAMESPACE = 'configspec-system';
const TENANT_LABEL = 'bench.configspec.io/tenant';
const TENANTS = 20;
const log = (message: string): void => void process.stderr.write(`bench-fleet: ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ------------------------------------------------------------------------------------------- the fleet's classes

/** The 10 edge classes of config/fleet/benchmark.yaml with approximate datasheet figures (bench inputs only). */
const EDGE_CLASSES = [
  { name: 'raspberry-pi-5', memoryGiB: 8, bandwidth: 17.1, idle: 2.7, max: 9 },
  { name: 'raspberry-pi-5-4gb', memoryGiB: 4, bandwidth: 17.1, idle: 2.7, max: 9 },
  { name: 'raspberry-pi-4', memoryGiB: 4, bandwidth: 12.8, idle: 2.7, max: 6.4 },
  { name: 'raspberry-pi-4-8gb', memoryGiB: 8, bandwidth: 12.8, idle: 2.7, max: 6.4 },
  { name: 'jetson-orin-nano', memoryGiB: 8, bandwidth: 68, idle: 5, max: 15 },
  { name: 'jetson-orin-nano-4gb', memoryGiB: 4, bandwidth: 34, idle: 5, max: 10 },
  { name: 'jetson-orin-nx-16gb', memoryGiB: 16, bandwidth: 102.4, idle: 7, max: 25 },
  { name: 'jetson-orin-nx-8gb', memoryGiB: 8, bandwidth: 102.4, idle: 7, max: 20 },
  { name: 'jetson-agx-orin', memoryGiB: 64, bandwidth: 204.8, idle: 15, max: 60 },
  { name: 'jetson-agx-orin-32gb', memoryGiB: 32, bandwidth: 204.8, idle: 15, max: 40 },
] as const;
const VERIFIER_CLASSES = [
  { name: 'nvidia-a100-80gb', memoryGiB: 80, bandwidth: 2039, tflops: 312, idle: 60, max: 400, usdPerHour: 5.12 },
  { name: 'nvidia-l4', memoryGiB: 24, bandwidth: 300, tflops: 121, idle: 16, max: 72, usdPerHour: 1.67 },
] as const;
const DRAFTS = [
  { name: 'qwen2.5-0.5b-instruct', billions: 0.5, quantizations: ['Q4_K_M', 'Q8_0'] as Quantization[] },
  { name: 'qwen2.5-1.5b-instruct', billions: 1.5, quantizations: ['Q4_K_M', 'Q8_0'] as Quantization[] },
  { name: 'qwen2.5-3b-instruct', billions: 3, quantizations: ['Q4_K_M'] as Quantization[] },
];
const TARGETS = [
  { name: 'qwen2.5-7b-instruct', verifier: 'nvidia-l4' },
  { name: 'qwen2.5-14b-instruct', verifier: 'nvidia-a100-80gb' },
];
const OBJECTIVES = ['Goodput', 'CostEfficiency', 'EnergyEfficiency'] as const;
const BITS: Record<string, number> = { Q4_K_M: 4.85, Q8_0: 8.5 };

function deviceClassObjects(): object[] {
  return [
    ...EDGE_CLASSES.map((c) => ({
      apiVersion: API_VERSION,
      kind: 'DeviceClass',
      metadata: { name: c.name },
      spec: {
        role: 'Edge',
        nodeSelector: { 'configspec.io/device-class': c.name },
        hardware: { arch: 'arm64', memoryGiB: c.memoryGiB, memoryBandwidthGBps: c.bandwidth },
        power: { idleWatts: c.idle, maxWatts: c.max, sensor: 'None' },
        network: { rttMilliseconds: 20 },
      },
    })),
    ...VERIFIER_CLASSES.map((c) => ({
      apiVersion: API_VERSION,
      kind: 'DeviceClass',
      metadata: { name: c.name },
      spec: {
        role: 'Verifier',
        nodeSelector: { 'configspec.io/device-class': c.name },
        hardware: { arch: 'amd64', memoryGiB: c.memoryGiB, memoryBandwidthGBps: c.bandwidth, computeTFLOPS: c.tflops },
        power: { idleWatts: c.idle, maxWatts: c.max, sensor: 'None' },
        price: { usdPerHour: c.usdPerHour },
      },
    })),
  ];
}

/** Every profile the deployments need, with a measured status as the profiler writes it. */
function profileWrites(measuredAt: string) {
  const writes: Parameters<typeof writeProfileStatus>[0][] = [];
  for (const c of EDGE_CLASSES)
    for (const d of DRAFTS)
      for (const q of d.quantizations) {
        const target = { kind: 'DraftProfile' as const, deviceClass: c.name, draft: { name: d.name }, quantization: q };
        const bytes = d.billions * 1e9 * ((BITS[q] ?? 8) / 8);
        const status: DraftProfileStatus = {
          draftSecondsIntercept: 0.004,
          draftSecondsPerToken: bytes / (0.5 * c.bandwidth * 1e9),
          samples: 36,
          powerDraftingWatts: c.max * 0.9,
          powerIdleWatts: c.idle,
          powerSource: 'Estimated',
          rttSeconds: 0.018,
          measuredAt,
          node: `${c.name}-0`,
        };
        writes.push({
          kind: 'DraftProfile',
          name: profileName(target),
          spec: { deviceClass: c.name, draft: d.name, quantization: q },
          status,
        });
      }
  for (const t of TARGETS)
    for (const d of DRAFTS)
      for (const q of d.quantizations) {
        const target = {
          kind: 'AlignmentProfile' as const,
          draft: { name: d.name },
          quantization: q,
          target: { name: t.name },
          promptSet: 'builtin',
        };
        const alpha = Math.min(0.9, 0.55 + 0.08 * Math.log2(d.billions * 2) + (q === 'Q8_0' ? 0.02 : 0));
        const status: AlignmentProfileStatus = {
          acceptanceRate: alpha,
          perPosition: Array.from({ length: 8 }, (_, i) => Math.max(0.3, alpha - 0.02 * i)),
          samples: 512,
          verifySecondsIntercept: t.verifier === 'nvidia-l4' ? 0.045 : 0.03,
          verifySecondsPerToken: 0.001,
          measuredAt,
        };
        writes.push({
          kind: 'AlignmentProfile',
          name: profileName(target),
          spec: { draft: d.name, quantization: q, target: t.name, promptSet: 'builtin' },
          status,
        });
      }
  return writes;
}

/**
 * Deployment i: target and objective rotate; classes i mod 5 and i mod 5 + 5 on tenant ⌊i/5⌋, so 100 deployments
 * cover each (class, tenant) pair once.
 */
function deployment(i: number): SpecDecodeDeployment {
  const target = TARGETS[i % TARGETS.length]!;
  const first = i % 5;
  const tenant = Math.floor(i / 5) % TENANTS;
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: `sdd-${String(i).padStart(3, '0')}`, namespace: NAMESPACE },
    spec: {
      target: {
        model: { name: target.name },
        verifier: { engine: 'ConfigSpec', deviceClass: target.verifier, replicas: 1, gpusPerReplica: 1 },
      },
      drafts: DRAFTS.map((d) => ({ model: { name: d.name }, quantizations: d.quantizations })),
      speculation: { k: { min: 0, max: 10 } },
      edge: {
        nodeSelector: { [TENANT_LABEL]: `t${tenant}` },
        deviceClasses: [EDGE_CLASSES[first]!.name, EDGE_CLASSES[(first + 5) % EDGE_CLASSES.length]!.name],
      },
      objective: { maximize: OBJECTIVES[i % OBJECTIVES.length]! },
      policy: { mode: 'Auto', minImprovementPercent: 5, cooldownSeconds: 300 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 604800, maxConcurrentJobs: 2 },
      accounting: 'Full',
    },
  } as SpecDecodeDeployment;
}

// ------------------------------------------------------------------------------------------------- plumbing

function testbin(): string {
  const out = spawnSync('bash', ['-c', `source ${join(repo, 'hack/testcluster/versions.sh')} && echo $TESTBIN_DIR`], {
    encoding: 'utf8',
  });
  return out.stdout.trim();
}
const kubectlPath = join(testbin(), 'kubectl');
function kubectl(args: string[], input?: string): string {
  const r = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// The DaemonSet controller's workers (kube-controller-manager's default is 2): with 400 DaemonSets of 5 pods on
// 2 cores, 2 workers took a median 47 s from a DaemonSet's creation to its first pod, and all Ready took
// 120–148 s; 10 workers, 89 s. Set CONFIGSPEC_CONTROLLER_MANAGER_ARGS to run another setting.
const CONTROLLER_MANAGER_ARGS = process.env.CONFIGSPEC_CONTROLLER_MANAGER_ARGS ?? '--concurrent-daemonset-syncs=10';

function cluster(command: 'up' | 'down'): string {
  const r = spawnSync('bash', [join(repo, 'hack/cluster.sh'), command], {
    encoding: 'utf8',
    env: {
      ...process.env,
      CONFIGSPEC_RUN_DIR: runDir,
      CONFIGSPEC_FLEET: join(repo, 'config/fleet/benchmark.yaml'),
      CONFIGSPEC_CONTROLLER_MANAGER_ARGS: CONTROLLER_MANAGER_ARGS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stderr.write(r.stderr);
  if (r.status !== 0) throw new Error(`hack/cluster.sh ${command} failed (exit ${r.status})`);
  return r.stderr;
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Peak RSS (VmHWM) and CPU seconds (utime + stime) of a process, from /proc. */
function processFigures(pid: number): { peakRssMiB: number; rssMiB: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { peakRssMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

interface RequestCount {
  verb: string;
  resource: string;
  code: string;
  value: number;
}
async function scrape(port: number): Promise<{ requests: RequestCount[]; reconciles: number }> {
  // A kept-alive connection the server has just closed fails once with ECONNRESET; ask again.
  let text = '';
  for (let attempt = 1; ; attempt++) {
    try {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(500);
    }
  }
  const requests: RequestCount[] = [];
  let reconciles = 0;
  for (const line of text.split('\n')) {
    let m = /^configspec_apiserver_requests_total\{(.*)\} (\S+)$/.exec(line);
    if (m) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      requests.push({
        verb: labels.verb ?? '',
        resource: labels.resource ?? '',
        code: labels.code ?? '',
        value: Number(m[2]),
      });
      continue;
    }
    m = /^configspec_reconcile_total\{.*controller="specdecodedeployment".*\} (\S+)$/.exec(line);
    if (m) reconciles += Number(m[1]);
  }
  return { requests, reconciles };
}
const WRITES = new Set(['create', 'update', 'patch', 'apply', 'delete']);
function diff(after: RequestCount[], before: RequestCount[]): RequestCount[] {
  const key = (r: RequestCount) => `${r.verb} ${r.resource} ${r.code}`;
  const was = new Map(before.map((r) => [key(r), r.value]));
  return after.map((r) => ({ ...r, value: r.value - (was.get(key(r)) ?? 0) })).filter((r) => r.value > 0);
}
const sum = (rs: RequestCount[], pick: (r: RequestCount) => boolean = () => true) =>
  rs.filter(pick).reduce((s, r) => s + r.value, 0);
function byVerbResource(rs: RequestCount[]): string[] {
  const m = new Map<string, number>();
  for (const r of rs) m.set(`${r.verb} ${r.resource}`, (m.get(`${r.verb} ${r.resource}`) ?? 0) + r.value);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
}

/** Nodes whose Ready condition last changed after `sinceMs` (kwok late with heartbeats on a loaded machine). */
function nodeReadiness(sinceMs: number): { changed: number; notReady: number } {
  const list = JSON.parse(kubectl(['get', 'nodes', '-o', 'json'])) as {
    items: { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } }[];
  };
  let changed = 0;
  let notReady = 0;
  for (const node of list.items) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') notReady += 1;
    if (ready?.lastTransitionTime && Date.parse(ready.lastTransitionTime) >= sinceMs - 1000) changed += 1;
  }
  return { changed, notReady };
}

/** The drafter DaemonSets and their pods (what Ready waits for). */
const DRAFTERS = encodeURIComponent('app.kubernetes.io/component=drafter');

/** When the cluster created the drafter DaemonSets' pods, relative to the first create: where the time went. */
async function daemonSetPodTimeline(rest: ReturnType<typeof connect>, t0: number) {
  type Meta = {
    metadata: { name: string; creationTimestamp: string; ownerReferences?: { kind: string; name: string }[] };
  };
  type PodItem = Meta & { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };
  const list = async <T>(path: string, resource: string) =>
    (await rest.request<{ items: T[] }>({ method: 'GET', path, verb: 'list', resource })).items;
  const [daemonSets, pods] = await Promise.all([
    list<Meta>(`/apis/apps/v1/namespaces/${NAMESPACE}/daemonsets?labelSelector=${DRAFTERS}`, 'daemonsets'),
    list<PodItem>(`/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${DRAFTERS}`, 'pods'),
  ]);
  const at = (timestamp: string) => (Date.parse(timestamp) - t0) / 1000;
  const firstPod = new Map<string, number>();
  const created: number[] = [];
  const createdToReady: number[] = [];
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'DaemonSet');
    if (!owner) continue;
    const c = at(pod.metadata.creationTimestamp);
    created.push(c);
    firstPod.set(owner.name, Math.min(firstPod.get(owner.name) ?? Infinity, c));
    const ready = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True')?.lastTransitionTime;
    if (ready) createdToReady.push(at(ready) - c);
  }
  const lags = daemonSets.flatMap((d) => {
    const first = firstPod.get(d.metadata.name);
    return first === undefined ? [] : [first - at(d.metadata.creationTimestamp)];
  });
  const quantiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const q = (f: number) => sorted[Math.round(f * (sorted.length - 1))] ?? NaN;
    return { p10: q(0.1), p50: q(0.5), p90: q(0.9), max: q(1) };
  };
  return {
    daemonSets: daemonSets.length,
    daemonSetPods: created.length,
    lastDaemonSetSeconds:
      daemonSets.length > 0 ? Math.max(...daemonSets.map((d) => at(d.metadata.creationTimestamp))) : NaN,
    firstPodLagSeconds: quantiles(lags),
    podsCreatedSeconds: quantiles(created),
    createdToReadySeconds: quantiles(createdToReady),
  };
}

// ------------------------------------------------------------------------------------------------------ run

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadStart = load();
  log(`cluster: ${runDir} (benchmark fleet)`);
  const upT0 = Date.now();
  const upLog = cluster('up');
  const reused = /already running/.test(upLog);
  const clusterUpSeconds = (Date.now() - upT0) / 1000;
  const rest = connect({ kubeconfig });

  let operator: ChildProcess | undefined;
  try {
    log('CRDs, namespaces, tenant labels, DeviceClasses, profiles');
    kubectl(['apply', '--server-side', '--field-manager=configspec-bench', '-f', join(repo, 'crds')]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    if (reused) {
      // A kept cluster from an earlier run: start from no deployments (their workloads go with them).
      spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, 'delete', 'namespace', NAMESPACE, '--wait=true'], {
        stdio: 'ignore',
      });
    }
    for (const ns of [NAMESPACE, OPERATOR_NAMESPACE]) {
      kubectl(
        ['apply', '--server-side', '--field-manager=configspec-bench', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
        }),
      );
    }
    // Tenant label: node <class>-<i> gets t<i mod 20>.
    const nodes = JSON.parse(kubectl(['get', 'nodes', '-l', 'node-role.configspec.io/edge', '-o', 'json'])) as {
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    };
    const tenantOf = (name: string) => `t${Number(/-(\d+)$/.exec(name)?.[1] ?? 0) % TENANTS}`;
    const unlabelled = nodes.items.filter((n) => n.metadata.labels[TENANT_LABEL] !== tenantOf(n.metadata.name));
    await pool(unlabelled, 16, async (n) => {
      await rest.request({
        method: 'PATCH',
        path: `/api/v1/nodes/${n.metadata.name}`,
        body: { metadata: { labels: { [TENANT_LABEL]: tenantOf(n.metadata.name) } } },
        contentType: 'application/merge-patch+json',
        verb: 'patch',
        resource: 'nodes',
      });
    });
    log(`labelled ${unlabelled.length} of ${nodes.items.length} edge nodes`);
    kubectl(
      ['apply', '--server-side', '--field-manager=configspec-bench', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: deviceClassObjects() }),
    );
    const profiles = profileWrites(new Date().toISOString());
    await pool(profiles, 8, (w) => writeProfileStatus(w, rest));
    log(`${profiles.length} profiles written with status`);

    // The operator as its own process.
    const port = await freePort();
    // Outside the run directory, which `hack/cluster.sh down` removes.
    const operatorLog = join(repo, '.run', 'bench-results', 'fleet-operator.log');
    mkdirSync(dirname(operatorLog), { recursive: true });
    const out = createWriteStream(operatorLog);
    operator = spawn(
      process.execPath,
      [
        ...(values['node-options'] ?? '').split(' ').filter(Boolean),
        join(repo, 'bin/configspec.js'),
        'operator',
        '--kubeconfig',
        kubeconfig,
        '--operator-namespace',
        OPERATOR_NAMESPACE,
        '--image',
        'ghcr.io/configspec/configspec:bench',
        '--http-host',
        '127.0.0.1',
        '--http-port',
        String(port),
        '--log-level',
        'info',
        ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
        // Leader election on, with timings for a machine shared with other work (the defaults, 15/10/2 s,
        // lost the Lease once under a load average of 19 on 2 cores).
        ...(values['no-leader-election']
          ? ['--no-leader-elect']
          : ['--lease-duration', '60', '--renew-deadline', '45', '--retry-period', '5']),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    operator.stdout!.pipe(out);
    operator.stderr!.pipe(out);
    const pid = operator.pid!;
    const operatorStarted = Date.now();
    for (;;) {
      if (operator.exitCode !== null) throw new Error(`the operator exited (${operator.exitCode}); see ${operatorLog}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await sleep(200);
    }
    const syncSeconds = (Date.now() - operatorStarted) / 1000;
    // Let the startup work (DeviceClass status, lease) finish, then take the baseline.
    await sleep(5000);
    const baseline = await scrape(port);
    const atBaseline = processFigures(pid)!;
    log(`operator pid ${pid} synced its caches in ${syncSeconds.toFixed(1)} s; applying ${DEPLOYMENTS} deployments`);

    // Apply all deployments, then watch for Ready.
    let peakRss = atBaseline.peakRssMiB;
    const sampler = setInterval(() => {
      const f = processFigures(pid);
      if (f) peakRss = Math.max(peakRss, f.peakRssMiB);
    }, 500);
    const t0 = Date.now();
    const items = Array.from({ length: DEPLOYMENTS }, (_, i) => deployment(i));
    await pool(items, 8, async (sdd) => {
      await rest.request({
        method: 'POST',
        path: `/apis/configspec.io/v1alpha1/namespaces/${NAMESPACE}/specdecodedeployments`,
        body: sdd,
        verb: 'create',
        resource: 'specdecodedeployments',
      });
    });
    const appliedSeconds = (Date.now() - t0) / 1000;
    let lastWrites = -1;
    let lastWriteChange = t0;
    let readyAt: number | undefined;
    let firstReady: number | undefined;
    let readyCount = 0;
    let lastProgress = t0;
    let workloadsReadyAt: number | undefined;
    const timeoutMs = Number(values['timeout-seconds']) * 1000;
    while (Date.now() - t0 < timeoutMs) {
      const list = await rest.request<{ items: SpecDecodeDeployment[] }>({
        method: 'GET',
        path: `/apis/configspec.io/v1alpha1/namespaces/${NAMESPACE}/specdecodedeployments`,
        verb: 'list',
        resource: 'specdecodedeployments',
      });
      readyCount = list.items.filter(
        (s) =>
          s.status?.observedGeneration === s.metadata.generation &&
          s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      if (readyCount > 0 && firstReady === undefined) firstReady = Date.now();
      if (operator.exitCode !== null) throw new Error(`the operator exited (${operator.exitCode}); see ${operatorLog}`);
      // The cluster's side: every verifier Deployment has a ready replica and every drafter DaemonSet is ready on
      // all its nodes (what the operator then has to notice and report).
      if (workloadsReadyAt === undefined) {
        const [ds, deploy] = await Promise.all(
          [`daemonsets?labelSelector=${DRAFTERS}`, 'deployments'].map((plural) =>
            rest.request<{ items: { status?: Record<string, number> }[] }>({
              method: 'GET',
              path: `/apis/apps/v1/namespaces/${NAMESPACE}/${plural}`,
              verb: 'list',
              resource: plural.replace(/\?.*/, ''),
            }),
          ),
        );
        const dsReady = ds!.items.filter(
          (d) =>
            (d.status?.desiredNumberScheduled ?? 0) > 0 && d.status?.numberReady === d.status?.desiredNumberScheduled,
        ).length;
        const deployReady = deploy!.items.filter((d) => (d.status?.readyReplicas ?? 0) >= 1).length;
        // The drafter DaemonSets (two per deployment; a first rollout has no pre-fetch DaemonSet).
        if (dsReady === ds!.items.length && dsReady >= 2 * DEPLOYMENTS && deployReady === DEPLOYMENTS)
          workloadsReadyAt = Date.now();
      }
      const writes = sum(diff((await scrape(port)).requests, baseline.requests), (r) => WRITES.has(r.verb));
      if (writes !== lastWrites) {
        lastWrites = writes;
        lastWriteChange = Date.now();
      }
      if (readyCount === DEPLOYMENTS) {
        readyAt = Date.now();
        break;
      }
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        log(
          `${((Date.now() - t0) / 1000).toFixed(0)} s: ${readyCount}/${DEPLOYMENTS} Ready, ${writes} operator writes`,
        );
      }
      await sleep(1000);
    }
    const readySeconds = readyAt === undefined ? undefined : (readyAt - t0) / 1000;
    const atReady = await scrape(port);
    const convergence = diff(atReady.requests, baseline.requests);
    const procAtReady = processFigures(pid)!;
    const nodesDuringConvergence = nodeReadiness(t0);

    // Settle, then the idle window.
    log(
      `${readyCount}/${DEPLOYMENTS} Ready after ${readySeconds ?? 'timeout'} s; settling 15 s, idle window ${IDLE_SECONDS} s`,
    );
    await sleep(15_000);
    const idleStartMs = Date.now();
    const idleStart = await scrape(port);
    const procIdleStart = processFigures(pid)!;
    await sleep(IDLE_SECONDS * 1000);
    const idleEnd = await scrape(port);
    const nodesDuringIdle = nodeReadiness(idleStartMs);
    const procIdleEnd = processFigures(pid)!;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, procIdleEnd.peakRssMiB);
    const idle = diff(idleEnd.requests, idleStart.requests);
    const idleWrites = idle.filter((r) => WRITES.has(r.verb));
    const idleWritesNoLease = idleWrites.filter((r) => r.resource !== 'leases');

    const phases = kubectl(['get', 'pods', '-n', NAMESPACE, '-o', 'jsonpath={.items[*].status.phase}']).trim();
    const pods = phases ? phases.split(' ') : [];
    const running = pods.filter((p) => p === 'Running').length;
    const controlPlane = await daemonSetPodTimeline(rest, t0);

    const perDeployment = (n: number) => (n / DEPLOYMENTS).toFixed(1);
    const total = sum(convergence);
    const writes = sum(convergence, (r) => WRITES.has(r.verb));
    const reads = sum(convergence, (r) => r.verb === 'get' || r.verb === 'list');
    const watches = sum(convergence, (r) => r.verb === 'watch');
    const report = {
      deployments: DEPLOYMENTS,
      concurrency: values.concurrency ?? 'default',
      nodeOptions: values['node-options'],
      nodes: nodes.items.length,
      pods: { total: pods.length, running },
      clusterUpSeconds,
      clusterReused: reused,
      operatorCacheSyncSeconds: syncSeconds,
      createSeconds: appliedSeconds,
      allReadySeconds: readySeconds,
      readyCount,
      firstReadySeconds: firstReady === undefined ? undefined : (firstReady - t0) / 1000,
      workloadsReadySeconds: workloadsReadyAt === undefined ? undefined : (workloadsReadyAt - t0) / 1000,
      lastOperatorWriteSeconds: (lastWriteChange - t0) / 1000,
      operatorPeakRssMiB: peakRss,
      operatorRssAtReadyMiB: procAtReady.rssMiB,
      operatorCpuSecondsConvergence: procAtReady.cpuSeconds - atBaseline.cpuSeconds,
      operatorCpuSecondsTotal: procIdleEnd.cpuSeconds,
      operatorCpuSecondsIdleWindow: procIdleEnd.cpuSeconds - procIdleStart.cpuSeconds,
      requestsPerDeployment: total / DEPLOYMENTS,
      writesPerDeployment: writes / DEPLOYMENTS,
      readsPerDeployment: reads / DEPLOYMENTS,
      watchesOpened: watches,
      requestsByVerbResource: byVerbResource(convergence),
      reconcilesConvergence: atReady.reconciles - baseline.reconciles,
      idleSeconds: IDLE_SECONDS,
      idleWrites: sum(idleWrites),
      idleWritesExcludingLeases: sum(idleWritesNoLease),
      idleWritesByResource: byVerbResource(idleWrites),
      idleRequests: sum(idle),
      idleReconciles: idleEnd.reconciles - idleStart.reconciles,
      nodesReadyChangedDuringConvergence: nodesDuringConvergence.changed,
      nodesReadyChangedDuringIdle: nodesDuringIdle.changed,
      nodesNotReadyAtIdleEnd: nodesDuringIdle.notReady,
      controllerManagerArgs: CONTROLLER_MANAGER_ARGS,
      controlPlane,
      loadAverage: { start: loadStart, end: load() },
    };

    const lines = [
      `fleet benchmark (node ${process.version}; 2 shared cores, load average 1/5/15 min: ${report.loadAverage.start} at start, ${report.loadAverage.end} at end)`,
      `  cluster: ${report.nodes} edge nodes + 20 GPU nodes (${reused ? 'reused' : `started in ${clusterUpSeconds.toFixed(0)} s`}), ${DEPLOYMENTS} SpecDecodeDeployments × 2 device classes × 5 nodes (1,000 drafter pods, 100 verifier pods), 5 (draft, quantisation) × K 0..10 each, every profile present`,
      `  operator: own process (node ${values['node-options'] || 'defaults'}, --concurrency ${values.concurrency ?? 'default'}${values['no-leader-election'] ? ', --no-leader-elect' : ', leader election 60/45/5 s'}), caches synced in ${syncSeconds.toFixed(1)} s; ${DEPLOYMENTS} deployments created in ${appliedSeconds.toFixed(1)} s`,
      `  time until all Ready: ${readySeconds === undefined ? `NOT REACHED (${readyCount}/${DEPLOYMENTS} after ${timeoutMs / 1000} s)` : `${readySeconds.toFixed(1)} s`} (first Ready ${report.firstReadySeconds?.toFixed(1) ?? '-'} s; every verifier and drafter workload ready in the cluster at ${report.workloadsReadySeconds?.toFixed(1) ?? '-'} s; last operator write ${report.lastOperatorWriteSeconds.toFixed(1)} s); ${running}/${pods.length} pods Running`,
      `  where the time went: the operator had applied all ${controlPlane.daemonSets} drafter DaemonSets ${controlPlane.lastDaemonSetSeconds.toFixed(1)} s after the first create; the cluster's DaemonSet controller (${CONTROLLER_MANAGER_ARGS || 'defaults'}) then took ${controlPlane.firstPodLagSeconds.p50.toFixed(0)} s (median; p90 ${controlPlane.firstPodLagSeconds.p90.toFixed(0)}, max ${controlPlane.firstPodLagSeconds.max.toFixed(0)} s) from a DaemonSet's creation to its first pod, and created its ${controlPlane.daemonSetPods} pods between ${controlPlane.podsCreatedSeconds.p10.toFixed(0)} and ${controlPlane.podsCreatedSeconds.max.toFixed(0)} s (p10–max; median ${controlPlane.podsCreatedSeconds.p50.toFixed(0)} s); a pod was scheduled and Running ${controlPlane.createdToReadySeconds.p90.toFixed(0)} s (p90) after its creation`,
      `  operator peak RSS: ${peakRss.toFixed(0)} MiB (VmHWM; ${procAtReady.rssMiB.toFixed(0)} MiB at all-Ready)`,
      `  operator CPU: ${report.operatorCpuSecondsConvergence.toFixed(1)} s from first create to all Ready, ${report.operatorCpuSecondsTotal.toFixed(1)} s since start, ${report.operatorCpuSecondsIdleWindow.toFixed(2)} s in the idle window`,
      `  API requests per deployment (operator's configspec_apiserver_requests_total, first create to all Ready): ${report.requestsPerDeployment.toFixed(1)} (writes ${perDeployment(writes)}, get/list ${perDeployment(reads)}, watches opened ${watches}); ${report.reconcilesConvergence} reconciles`,
      `    by verb and resource: ${report.requestsByVerbResource.join(', ')}`,
      `  writes during a ${IDLE_SECONDS} s idle window (operator's request counter, verbs create/update/patch/apply/delete): ${report.idleWritesExcludingLeases} excluding its leader Lease, ${report.idleWrites} including it${report.idleWritesByResource.length ? ` (${report.idleWritesByResource.join(', ')})` : ''}; ${report.idleRequests} requests in all, ${report.idleReconciles} reconciles`,
      `  cluster stability: ${report.nodesReadyChangedDuringConvergence} nodes changed Ready state between the first create and all Ready, ${report.nodesReadyChangedDuringIdle} during the idle window (${report.nodesNotReadyAtIdleEnd} NotReady at its end); every such change is a real input change (node counts in DeviceClass status, drafter readiness in deployment status)`,
      `  targets: all Ready ≤ 60 s → ${readySeconds !== undefined && readySeconds <= 60 ? 'met' : 'MISSED'}; peak RSS ≤ 200 MiB → ${peakRss <= 200 ? 'met' : 'MISSED'}; zero idle writes → ${report.idleWritesExcludingLeases === 0 ? 'met' : 'MISSED'} (Lease renewals aside)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const jsonPath = values.json ?? join(repo, '.run', 'bench-results', 'fleet.json');
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(
      jsonPath,
      `${JSON.stringify({ ...report, startedAt: new Date(startedAt).toISOString() }, null, 2)}\n`,
    );
  } finally {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await new Promise((r) => operator!.once('exit', r));
    }
    if (!values['keep-cluster'] && !reused) {
      cluster('down');
    } else if (!values['keep-cluster']) {
      log(`the cluster in ${runDir} was running before; left running`);
    }
  }
}

await main();
process.exit(0);
