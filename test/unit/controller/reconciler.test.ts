import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import { SpecDecodeReconciler } from '../../../src/controller/reconciler.js';
import type { KubeObject } from '../../../src/controller/ports.js';
import { silentLogger } from '../../../src/observability/log.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import { planDeployment } from '../../../src/planner/plan.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { h100, orin, pi5, sdd } from '../planner/workloads-fixtures.js';
import { FakeCluster, RecordingEvents } from './fake-cluster.js';

const KEY = 'team-a/chat';
const OPERATOR_NAMESPACE = 'configspec-system';

function node(name: string, labels: Record<string, string>, ready = true) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const EDGE = { 'node-role.kubernetes.io/edge': 'true' };

function setup(configure: (s: SpecDecodeDeployment) => void = () => {}) {
  const cluster = new FakeCluster();
  for (const dc of [h100, pi5, orin]) cluster.seed(dc);
  for (const n of ['pi-1', 'pi-2', 'pi-3']) cluster.seed(node(n, { ...EDGE, 'configspec.io/device-class': 'pi5' }));
  for (const n of ['orin-1', 'orin-2'])
    cluster.seed(node(n, { ...EDGE, 'configspec.io/device-class': 'jetson-orin-nano' }));
  cluster.seed(node('rock-1', { ...EDGE, 'configspec.io/device-class': 'rock5' }));
  cluster.seed(node('gpu-1', { 'nvidia.com/gpu.product': 'H100' }));
  const deployment = sdd();
  configure(deployment);
  cluster.seed(deployment);
  const events = new RecordingEvents();
  const metrics = new OperatorMetrics({ processMetrics: false });
  const clock = new ManualClock(Date.parse('2026-11-28T12:00:00Z'));
  const reconciler = new SpecDecodeReconciler({
    cache: cluster.cache(),
    writer: cluster,
    events,
    plan: planDeployment,
    clock,
    log: silentLogger,
    metrics,
    image: 'ghcr.io/configspec/configspec:0.1.0',
    operatorNamespace: OPERATOR_NAMESPACE,
  });
  const pass = async () => {
    const mark = cluster.writes.length;
    const result = await reconciler.reconcile(KEY);
    return { writes: cluster.writesSince(mark), result };
  };
  const current = () => cluster.get<SpecDecodeDeployment>('SpecDecodeDeployment', 'chat', 'team-a')!;
  const condition = (type: string) => current().status?.conditions?.find((c) => c.type === type);
  /** What the Deployment and DaemonSet controllers would report once pods run. */
  const workloadsBecomeReady = () => {
    cluster.update(
      'Deployment',
      'chat-verifier',
      'team-a',
      (d) => (d.status = { readyReplicas: 2, observedGeneration: d.metadata.generation }),
    );
    for (const ds of cluster.list<KubeObject>('DaemonSet')) {
      const count = ds.metadata.name.endsWith('pi5') ? 3 : 2;
      cluster.update('DaemonSet', ds.metadata.name, 'team-a', (d) => {
        d.status = {
          observedGeneration: d.metadata.generation,
          numberReady: count,
          updatedNumberScheduled: count,
          desiredNumberScheduled: count,
        };
      });
    }
  };
  return { cluster, events, metrics, clock, pass, current, condition, workloadsBecomeReady };
}

const noProfiling = (s: SpecDecodeDeployment) => (s.spec.profiling.mode = 'Never');

/** Pinned to Q4_K_M with K = 3, rolled out and ready. */
async function pinnedAndServing() {
  const t = setup((s) => {
    noProfiling(s);
    s.spec.policy.mode = 'Pinned';
    s.spec.policy.pinned = { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 3 };
  });
  await t.pass();
  t.workloadsBecomeReady();
  await t.pass();
  return t;
}

describe('SpecDecodeReconciler', () => {
  it('creates the verifier on the GPU class, one drafter and K ConfigMap per edge class, and writes status once', async () => {
    const t = setup(noProfiling);
    const { writes } = await t.pass();
    const applied = writes.filter((w) => w.verb === 'apply').map((w) => `${w.kind}/${w.name}`);
    expect(applied).toEqual(
      expect.arrayContaining([
        'Deployment/chat-verifier',
        'Service/chat-verifier',
        'DaemonSet/chat-draft-pi5',
        'ConfigMap/chat-k-pi5',
        'DaemonSet/chat-draft-jetson-orin-nano',
        'ConfigMap/chat-k-jetson-orin-nano',
      ]),
    );
    expect(writes.filter((w) => w.verb === 'applyStatus')).toHaveLength(1);
    const verifier = t.cluster.get<{ spec: { template: { spec: { nodeSelector: object } } } }>(
      'Deployment',
      'chat-verifier',
      'team-a',
    )!;
    expect(verifier.spec.template.spec.nodeSelector).toEqual(h100.spec.nodeSelector);
    const status = t.current().status!;
    expect(status.deviceClasses?.map((c) => [c.name, c.nodes, c.selected !== undefined])).toEqual([
      ['jetson-orin-nano', 2, true],
      ['pi5', 3, true],
    ]);
    expect(status.unclassifiedNodes).toEqual({ count: 1, names: ['rock-1'] });
    expect(t.condition('Ready')).toMatchObject({ status: 'False', reason: 'VerifierUnavailable' });
    expect(t.events.events.filter((e) => e.reason === 'ConfigurationSelected')).toHaveLength(2);
  });

  it('applies the objects of a pass concurrently, each drafter DaemonSet after the K ConfigMaps', async () => {
    const t = setup(noProfiling);
    const apply = t.cluster.apply.bind(t.cluster);
    let inFlight = 0;
    let peak = 0;
    const finished: string[] = [];
    t.cluster.apply = (async (object: KubeObject) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      finished.push(object.kind);
      inFlight -= 1;
      return apply(object);
    }) as typeof t.cluster.apply;
    await t.pass();
    expect(peak).toBe(4);
    expect(finished.lastIndexOf('ConfigMap')).toBeLessThan(finished.indexOf('DaemonSet'));
    // Per class a drafter DaemonSet; a first rollout has no pre-fetch DaemonSet (next test).
    expect(finished.filter((kind) => kind === 'DaemonSet')).toHaveLength(2);
  });

  it('a first rollout runs no pre-fetch DaemonSet: the drafters fetch the file and count as having it', async () => {
    const t = setup(noProfiling);
    const first = await t.pass();
    const daemonSets = (pass: typeof first) =>
      pass.writes
        .filter((w) => w.verb === 'apply' && w.kind === 'DaemonSet')
        .map((w) => w.name)
        .sort();
    expect(daemonSets(first)).toEqual(['chat-draft-jetson-orin-nano', 'chat-draft-pi5']);
    expect(t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model).toMatchObject({
      readyNodes: 0,
      state: 'Serving',
    });
    t.workloadsBecomeReady();
    expect(daemonSets(await t.pass())).toEqual([]);
    // A node whose drafter is ready on the selected file has it.
    expect(t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model).toMatchObject({
      readyNodes: 3,
      state: 'Serving',
    });
    expect(t.cluster.get('DaemonSet', 'chat-prefetch-pi5', 'team-a')).toBeUndefined();
  });

  it('becomes Ready once the workloads are ready, then writes nothing while nothing changes', async () => {
    const t = setup(noProfiling);
    await t.pass();
    t.workloadsBecomeReady();
    await t.pass();
    expect(t.condition('Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    for (let i = 0; i < 3; i += 1) {
      await t.clock.advance(60_000);
      expect((await t.pass()).writes).toEqual([]);
    }
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/configspec_selected_k\{namespace="team-a",deployment="chat",device_class="pi5"\} \d/);
  });

  it('changing only K updates only the ConfigMap; changing the quantisation rolls the DaemonSet', async () => {
    const t = await pinnedAndServing();
    const before = t.cluster.get<KubeObject>('DaemonSet', 'chat-draft-pi5', 'team-a')!;
    t.cluster.update('SpecDecodeDeployment', 'chat', 'team-a', (o) => {
      (o as unknown as SpecDecodeDeployment).spec.policy.pinned!.k = 5;
      o.metadata.generation = 4;
    });
    const { writes } = await t.pass();
    expect(
      writes
        .filter((w) => w.verb === 'apply')
        .map((w) => `${w.kind}/${w.name}`)
        .sort(),
    ).toEqual(['ConfigMap/chat-k-jetson-orin-nano', 'ConfigMap/chat-k-pi5']);
    expect(t.cluster.get<{ data: object }>('ConfigMap', 'chat-k-pi5', 'team-a')!.data).toEqual({ k: '5' });
    expect(t.cluster.get<KubeObject>('DaemonSet', 'chat-draft-pi5', 'team-a')!.metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );

    t.cluster.update('SpecDecodeDeployment', 'chat', 'team-a', (o) => {
      (o as unknown as SpecDecodeDeployment).spec.policy.pinned!.quantization = 'Q8_0';
      o.metadata.generation = 5;
    });
    // First every node of the class pre-fetches the new file; the drafters keep the old one meanwhile.
    const gated = await t.pass();
    const gatedWrites = gated.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`);
    expect(gatedWrites).toContain('apply DaemonSet/chat-prefetch-pi5');
    expect(gatedWrites).not.toContain('apply DaemonSet/chat-draft-pi5');
    expect(t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model).toEqual({
      draft: 'qwen2.5-0.5b-instruct',
      quantization: 'Q8_0',
      readyNodes: 0,
      state: 'Prefetching',
    });
    t.workloadsBecomeReady();
    const rolled = await t.pass();
    expect(rolled.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toContain('apply DaemonSet/chat-draft-pi5');
    expect(t.cluster.get<KubeObject>('DaemonSet', 'chat-draft-pi5', 'team-a')!.metadata.generation).toBe(2);
    expect(t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model).toMatchObject({
      quantization: 'Q8_0',
      readyNodes: 3,
      state: 'Serving',
    });
    // The pre-fetch DaemonSet stays until the drafters serve the new file on every node, then goes.
    expect(t.cluster.get('DaemonSet', 'chat-prefetch-pi5', 'team-a')).toBeDefined();
    t.workloadsBecomeReady();
    const delivered = await t.pass();
    expect(delivered.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toContain(
      'delete DaemonSet/chat-prefetch-pi5',
    );
    expect(t.cluster.get('DaemonSet', 'chat-prefetch-pi5', 'team-a')).toBeUndefined();
    expect(t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model).toMatchObject({
      quantization: 'Q8_0',
      readyNodes: 3,
      state: 'Serving',
    });
    t.workloadsBecomeReady();
    expect((await t.pass()).writes).toEqual([]);
  });

  it('a pre-fetch DaemonSet lives from a model change until the drafters serve the new file on every node', async () => {
    const t = await pinnedAndServing();
    const pin = (quantization: 'Q4_K_M' | 'Q8_0', generation: number) =>
      t.cluster.update('SpecDecodeDeployment', 'chat', 'team-a', (o) => {
        (o as unknown as SpecDecodeDeployment).spec.policy.pinned!.quantization = quantization;
        o.metadata.generation = generation;
      });
    const drafterPods = (ready: number, updated: number) =>
      t.cluster.update('DaemonSet', 'chat-draft-pi5', 'team-a', (d) => {
        d.status = {
          observedGeneration: d.metadata.generation,
          numberReady: ready,
          updatedNumberScheduled: updated,
          desiredNumberScheduled: 3,
        };
      });
    const writes = async () => (await t.pass()).writes.map((w) => `${w.verb} ${w.kind}/${w.name}`);
    const pi5Model = () => t.current().status?.deviceClasses?.find((c) => c.name === 'pi5')?.model;

    // A change reverted before the drafters roll: the pre-fetch goes, and comes back at once with the change.
    pin('Q8_0', 4);
    expect(await writes()).toContain('apply DaemonSet/chat-prefetch-pi5');
    pin('Q4_K_M', 5);
    expect(await writes()).toContain('delete DaemonSet/chat-prefetch-pi5');
    await t.clock.advance(5_000);
    pin('Q8_0', 6);
    expect(await writes()).toContain('apply DaemonSet/chat-prefetch-pi5');
    expect(pi5Model()).toMatchObject({ quantization: 'Q8_0', readyNodes: 0, state: 'Prefetching' });

    // Every node has the file: the drafters roll. Two of three updated: the pre-fetch stays, and every node
    // still counts as holding the file.
    t.workloadsBecomeReady();
    expect(await writes()).toContain('apply DaemonSet/chat-draft-pi5');
    drafterPods(3, 2);
    expect(await writes()).not.toContain('delete DaemonSet/chat-prefetch-pi5');
    expect(t.cluster.get('DaemonSet', 'chat-prefetch-pi5', 'team-a')).toBeDefined();
    expect(pi5Model()).toMatchObject({ quantization: 'Q8_0', readyNodes: 3, state: 'Serving' });

    // All updated: delivered, the pre-fetch goes (once: the cache lagging behind the delete is not a reason to
    // delete again).
    drafterPods(3, 3);
    const delivered = await writes();
    expect(delivered.filter((w) => w === 'delete DaemonSet/chat-prefetch-pi5')).toHaveLength(1);
    expect(t.cluster.get('DaemonSet', 'chat-prefetch-pi5', 'team-a')).toBeUndefined();

    // A drafter that goes unready later brings no pre-fetch back; its node no longer counts.
    drafterPods(2, 2);
    expect(await writes()).not.toContain('apply DaemonSet/chat-prefetch-pi5');
    expect(pi5Model()).toMatchObject({ quantization: 'Q8_0', readyNodes: 2, state: 'Serving' });
  });

  it('in Recommend mode writes the selection to status and leaves drafter workloads alone', async () => {
    const t = setup((s) => {
      noProfiling(s);
      s.spec.policy.mode = 'Recommend';
    });
    const { writes } = await t.pass();
    expect(writes.some((w) => w.kind === 'DaemonSet' || w.kind === 'ConfigMap')).toBe(false);
    expect(t.current().status?.deviceClasses?.every((c) => c.selected !== undefined)).toBe(true);
    expect(t.condition('ConfigurationSelected')?.reason).toBe('Recommended');
  });

  it('removes the drafter of a class whose nodes are gone and keeps the others', async () => {
    const t = setup(noProfiling);
    await t.pass();
    t.workloadsBecomeReady();
    await t.pass();
    t.cluster.remove('Node', 'orin-1');
    t.cluster.remove('Node', 'orin-2');
    const { writes } = await t.pass();
    expect(
      writes
        .filter((w) => w.verb === 'delete')
        .map((w) => `${w.kind}/${w.name}`)
        .sort(),
    ).toEqual(['ConfigMap/chat-k-jetson-orin-nano', 'DaemonSet/chat-draft-jetson-orin-nano']);
    expect(t.cluster.get('DaemonSet', 'chat-draft-pi5', 'team-a')).toBeDefined();
  });

  it('profiles missing measurements with at most maxConcurrentJobs Jobs on Ready nodes of the class', async () => {
    const t = setup((s) => (s.spec.profiling.maxConcurrentJobs = 2));
    const first = await t.pass();
    const profiles = first.writes.filter((w) => w.kind === 'DraftProfile' || w.kind === 'AlignmentProfile');
    expect(profiles.length).toBeGreaterThan(2);
    expect(t.condition('Profiled')?.reason).toBe('Profiling');

    const second = await t.pass();
    const jobs = second.writes.filter((w) => w.kind === 'Job');
    expect(jobs).toHaveLength(2);
    expect(jobs.every((j) => j.namespace === OPERATOR_NAMESPACE)).toBe(true);
    expect(t.events.events.filter((e) => e.reason === 'ProfilingStarted')).toHaveLength(2);
    for (const job of t.cluster.list<{
      metadata: { name: string };
      spec: { template: { spec: { affinity: unknown } } };
    }>('Job')) {
      const values = JSON.stringify(job.spec.template.spec.affinity);
      expect(values).toMatch(/pi-\d|orin-\d/);
    }
    expect((await t.pass()).writes.filter((w) => w.kind === 'Job')).toHaveLength(0);

    const failedJob = t.cluster.list<KubeObject>('Job')[0]!;
    t.cluster.update('Job', failedJob.metadata.name, OPERATOR_NAMESPACE, (j) => {
      j.status = {
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      };
    });
    await t.pass();
    expect(t.condition('Profiled')).toMatchObject({ status: 'False', reason: 'ProfilingFailed' });
    expect(t.condition('Profiled')?.message).toContain('BackoffLimitExceeded');
    expect(t.events.events.some((e) => e.type === 'Warning' && e.reason === 'ProfilingFailed')).toBe(true);
    expect(t.current().status?.profiling?.failed).toBe(1);
  });

  it('reports a target it cannot run (no model file) in status instead of failing the pass', async () => {
    const t = setup((s) => {
      noProfiling(s);
      // Valid for the API (family and size given), but neither in the catalog nor with a source to fetch from.
      s.spec.target.model = { name: 'in-house-70b', family: 'qwen2.5', parametersBillions: 70 };
    });
    await t.pass();
    expect(t.condition('ConfigurationSelected')).toMatchObject({ status: 'False', reason: 'PlanningFailed' });
    expect(t.condition('ConfigurationSelected')?.message).toContain('in-house-70b');
    expect(t.cluster.get('Deployment', 'chat-verifier', 'team-a')).toBeUndefined();
  });

  it('does nothing for a deployment that is gone', async () => {
    const t = setup(noProfiling);
    t.cluster.remove('SpecDecodeDeployment', 'chat', 'team-a');
    expect((await t.pass()).writes).toEqual([]);
  });
});

describe('SpecDecodeReconciler with a lagging cache', () => {
  it('does not repeat a status write or its Events while the cache has not caught up with that write', async () => {
    const t = setup(noProfiling);
    const beforeFirstPass = structuredClone(t.cluster.get<KubeObject>('SpecDecodeDeployment', 'chat', 'team-a')!);
    const first = await t.pass();
    expect(first.writes.map((w) => w.verb)).toContain('applyStatus');
    const selections = t.events.events.filter((e) => e.reason === 'ConfigurationSelected').length;
    expect(selections).toBe(2);
    // Woken by something else before the informer delivered our status: the cache still shows the old object.
    t.cluster.restore(beforeFirstPass);
    const second = await t.pass();
    expect(second.writes).toEqual([]);
    expect(t.events.events.filter((e) => e.reason === 'ConfigurationSelected')).toHaveLength(selections);
    // Past the grace period the cache is believed again (a lost write is then written anew).
    await t.clock.advance(31_000);
    const third = await t.pass();
    expect(third.writes.map((w) => w.verb)).toContain('applyStatus');
  });

  it('does not apply the same content again while the cache has not caught up with its write', async () => {
    const t = setup(noProfiling);
    await t.pass();
    // The cache lags: it shows the DaemonSet as it was before our next write.
    t.cluster.update('SpecDecodeDeployment', 'chat', 'team-a', (o) => {
      (o as unknown as SpecDecodeDeployment).spec.policy.mode = 'Pinned';
      (o as unknown as SpecDecodeDeployment).spec.policy.pinned = { draft: 'my-draft', quantization: 'Q4_K_M', k: 2 };
      o.metadata.generation = 4;
    });
    // The new model's file is on every node first (the rollout gate), then the drafter rolls.
    await t.pass();
    t.workloadsBecomeReady();
    const stale = structuredClone(t.cluster.get<KubeObject>('DaemonSet', 'chat-draft-pi5', 'team-a')!);
    const first = await t.pass();
    expect(first.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toContain('apply DaemonSet/chat-draft-pi5');
    t.cluster.restore(stale);
    const second = await t.pass();
    expect(second.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).not.toContain('apply DaemonSet/chat-draft-pi5');
    // Past the grace period a difference is taken at face value again.
    await t.clock.advance(31_000);
    const third = await t.pass();
    expect(third.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toContain('apply DaemonSet/chat-draft-pi5');
  });
});
