// Profiling Jobs whose pods fail: the Job controller retries a bounded number of times with its exponential
// backoff (backoffLimit 2: three pods, ~10 s then ~20 s apart), the Job ends Failed, and the deployment reports
// Profiled=False with reason ProfilingFailed and the Job's own reason in the message. Nothing stays Running: no
// profiling Job is active afterwards, every Job carries an activeDeadlineSeconds (the time-out), and the operator
// does not start the failed profile again by itself.
// The edge node is one this test registers itself (no kwok annotation, so kwok leaves its pods Pending, and a
// node Lease the test renews: TestNode), so the test decides how each pod ends: it marks them Failed as a
// crashing profiler's kubelet would.
import { randomBytes } from 'node:crypto';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  batch,
  classNames,
  condition,
  core,
  createClasses,
  custom,
  deleteClasses,
  deployment,
  LABEL,
  operatorConfig,
  readSdd,
  sddRef,
  stopOperator,
} from './fixtures.js';
import { assertFaultCluster, sleep, TestNode } from './support.js';
import { API_VERSION, GROUP, VERSION } from '../../src/api/types.js';

const SLOW = 300_000;
const namespace = useTestNamespace('faults-profiling', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames();
const suffix = randomBytes(3).toString('hex');
const NODE = `f-prof-${suffix}-0`;
const NODE_LABEL = `f-prof-${suffix}`;
const EDGE_CLASS = `f-${suffix}-prof`;
const NAME = `prof-${suffix}`;
const node = new TestNode(NODE, { [LABEL]: NODE_LABEL });

describe('profiling Jobs whose pods fail', () => {
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    assertFaultCluster();
    await createClasses(classes);
    await custom().createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'deviceclasses',
      body: {
        apiVersion: API_VERSION,
        kind: 'DeviceClass',
        metadata: { name: EDGE_CLASS },
        spec: {
          role: 'Edge',
          nodeSelector: { [LABEL]: NODE_LABEL },
          hardware: { arch: 'arm64', memoryGiB: 8, memoryBandwidthGBps: 17.1 },
          power: { idleWatts: 2.7, maxWatts: 9, sensor: 'None' },
        },
      },
    });
    node.register();
    await core().createNamespacedServiceAccount({
      namespace: namespace.name,
      body: { metadata: { name: 'configspec-profiler' } },
    });
    operator = await startOperator(operatorConfig(namespace.name));
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await node.remove();
    await custom()
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'deviceclasses', name: EDGE_CLASS })
      .catch(() => {});
    await deleteClasses(classes);
  }, SLOW);

  it(
    'bounded retries with backoff, then Profiled=False with the reason; nothing left running',
    async () => {
      await custom().createNamespacedCustomObject({
        ...sddRef(namespace.name, NAME),
        body: deployment(namespace.name, NAME, classes, (spec) => {
          spec.edge = { deviceClasses: [EDGE_CLASS] };
          spec.drafts = [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M'] }];
          spec.policy = { mode: 'Auto' };
          spec.profiling = { mode: 'IfMissing', maxConcurrentJobs: 1 };
        }),
      });
      const failedPods = new Map<string, number>();
      const sdd = await eventually(
        'Profiled=False (ProfilingFailed)',
        async () => {
          for (const pod of node.setPendingPods(namespace.name, 'Failed')) failedPods.set(pod, Date.now());
          const current = await readSdd(namespace.name, NAME);
          return condition(current, 'Profiled')?.reason === 'ProfilingFailed' ? current : undefined;
        },
        240_000,
      );
      expect(condition(sdd, 'Profiled')).toMatchObject({ status: 'False' });
      expect(condition(sdd, 'Profiled')?.message).toMatch(/^Profiling \S+ failed: BackoffLimitExceeded: /);
      expect(sdd.status?.profiling?.failed).toBeGreaterThanOrEqual(1);

      const jobs = (await batch().listNamespacedJob({ namespace: namespace.name })).items;
      const failedJob = jobs.find((j) =>
        j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True'),
      )!;
      expect(failedJob).toBeDefined();
      // Bounded: backoffLimit + 1 pods, and a deadline on every Job.
      expect(failedJob.spec?.backoffLimit).toBe(2);
      expect(failedJob.status?.failed).toBe(3);
      for (const job of jobs) {
        expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
        expect(job.spec?.activeDeadlineSeconds).toBeLessThanOrEqual(3600);
      }
      // With backoff: the job controller waited before each new pod (10 s, then 20 s, less its jitter).
      const pods = (
        await core().listNamespacedPod({
          namespace: namespace.name,
          labelSelector: `batch.kubernetes.io/job-name=${failedJob.metadata!.name}`,
        })
      ).items
        .map((p) => Date.parse(String(p.metadata!.creationTimestamp)))
        .sort((a, b) => a - b);
      expect(pods).toHaveLength(3);
      expect(pods[1]! - pods[0]!).toBeGreaterThanOrEqual(5_000);
      expect(pods[2]! - pods[1]!).toBeGreaterThanOrEqual(pods[1]! - pods[0]! - 2_000);

      // Nothing keeps running, and the failed profile is not started again behind the user's back.
      const jobNames = jobs.map((j) => j.metadata!.name).sort();
      await sleep(15_000);
      const later = (await batch().listNamespacedJob({ namespace: namespace.name })).items;
      expect(later.map((j) => j.metadata!.name).sort()).toEqual(jobNames);
      expect(later.find((j) => j.metadata!.name === failedJob.metadata!.name)?.status?.active ?? 0).toBe(0);
    },
    SLOW,
  );
});
