// Profiling Jobs that lose their node or never finish, on two edge nodes whose kubelet the test plays (TestNode:
// it marks profiler pods Running and takes nodes NotReady). The verifier's class has no nodes, so only the
// DraftProfile is measured (alignment profiling waits for a ready verifier).
//   - node lost: the node of the running Job goes NotReady; the operator starts the next attempt at once on the
//     other, Ready node and deletes the stranded Job; when that node goes too, with --profiling-attempts 2 it is
//     the last attempt: Profiled=False, ProfilingFailed, "NodeLost … (attempt 2 of 2)".
//   - time-out: profiler pods run and never finish; each Job's activeDeadlineSeconds (--profiling-timeout 20)
//     ends it (DeadlineExceeded, enforced by the real Job controller), the operator waits the backoff
//     (--profiling-retry-backoff 5) and starts attempt 2, which times out too: ProfilingFailed,
//     "DeadlineExceeded … (attempt 2 of 2)", no Job left active, no third attempt.
import { randomBytes } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import type { Quantization } from '../../src/api/types.js';
import { profileName, profilingJobName, profilingJobNode } from '../../src/planner/profiling-jobs.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  batch,
  condition,
  core,
  createDeviceClasses,
  custom,
  deleteClasses,
  LABEL,
  operatorConfig,
  readSdd,
  sampleDeployment,
  sddRef,
  stopOperator,
} from '../support/operator.js';
import { assertFaultCluster, sleep, TestNode } from './support.js';
import { GROUP, VERSION } from '../../src/api/types.js';

const SLOW = 300_000;
const namespace = useTestNamespace('faults-prof-lost', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const suffix = randomBytes(3).toString('hex');
const EDGE_CLASS = `f-${suffix}-lost`;
const GPU_CLASS = `f-${suffix}-nogpu`;
const NODE_LABEL = `f-lost-${suffix}`;
const nodes = [0, 1].map((i) => new TestNode(`f-lost-${suffix}-${i}`, { [LABEL]: NODE_LABEL }));
const DRAFT = 'qwen2.5-0.5b-instruct';

const profile = (quantization: Quantization) =>
  profileName({ kind: 'DraftProfile', deviceClass: EDGE_CLASS, draft: { name: DRAFT }, quantization });
const jobName = (quantization: Quantization, attempt: number) => profilingJobName(profile(quantization), attempt);
const readJob = (name: string) =>
  batch()
    .readNamespacedJob({ name, namespace: namespace.name })
    .catch(() => undefined);
const nodeOf = (job: V1Job) => profilingJobNode(job as Parameters<typeof profilingJobNode>[0]);
const failedCondition = (job: V1Job | undefined) =>
  job?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');

/** A deployment that profiles one draft in one quantisation on the test's edge class. */
async function createDeployment(name: string, quantization: Quantization): Promise<void> {
  await custom().createNamespacedCustomObject({
    ...sddRef(namespace.name, name),
    body: sampleDeployment(namespace.name, name, { gpu: GPU_CLASS, edge: [EDGE_CLASS] }, (spec) => {
      spec.drafts = [{ model: { name: DRAFT }, quantizations: [quantization] }];
      spec.policy = { mode: 'Auto' };
      spec.profiling = { mode: 'IfMissing', maxConcurrentJobs: 1 };
    }),
  });
}

/**
 * Plays the kubelet of our nodes that are up: profiler pods bound to them start running and never finish by
 * themselves; pods the Job controller deletes (at the deadline) stop and are gone. At most every 3 s: kubectl runs
 * synchronously, and the operator and the node Leases share this process's event loop.
 */
let lastKubeletPass = 0;
const runPendingPods = () => {
  if (Date.now() - lastKubeletPass < 3_000) return;
  for (const node of nodes.filter((n) => n.alive)) {
    node.setPendingPods(namespace.name, 'Running');
    node.finishTerminatingPods(namespace.name);
  }
  lastKubeletPass = Date.now();
};

describe('profiling Jobs that lose their node or time out', () => {
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    assertFaultCluster();
    await createDeviceClasses([
      [EDGE_CLASS, 'Edge', NODE_LABEL],
      // No node carries this label: the verifier never becomes ready, so alignment profiling never starts.
      [GPU_CLASS, 'Verifier', `none-${suffix}`],
    ]);
    for (const node of nodes) node.register();
    await core().createNamespacedServiceAccount({
      namespace: namespace.name,
      body: { metadata: { name: 'configspec-profiler' } },
    });
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    for (const node of nodes) await node.remove();
    for (const quantization of ['Q4_K_M', 'Q8_0'] as const) {
      await custom()
        .deleteClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'draftprofiles',
          name: profile(quantization),
        })
        .catch(() => {});
    }
    await deleteClasses([EDGE_CLASS, GPU_CLASS]);
  }, SLOW);

  it(
    'node lost: the next attempt starts on a Ready node, the stranded Job goes; after the last, NodeLost',
    async () => {
      operator = await startOperator(operatorConfig(namespace.name, { profilingJobs: { maxAttempts: 2 } }));
      await createDeployment('lost', 'Q4_K_M');
      const first = await eventually(
        'attempt 1 running on one of our nodes',
        async () => {
          runPendingPods();
          const job = await readJob(jobName('Q4_K_M', 1));
          return job && (job.status?.active ?? 0) > 0 ? job : undefined;
        },
        90_000,
      );
      const lostNode = nodes.find((n) => n.name === nodeOf(first))!;
      const otherNode = nodes.find((n) => n !== lostNode)!;
      expect(lostNode).toBeDefined();
      await lostNode.notReady();

      const second = await eventually(
        'attempt 2 on the other node, attempt 1 deleted',
        async () => {
          runPendingPods();
          const job = await readJob(jobName('Q4_K_M', 2));
          const stranded = await readJob(jobName('Q4_K_M', 1));
          return job && (stranded === undefined || stranded.metadata?.deletionTimestamp) ? job : undefined;
        },
        90_000,
      );
      expect(nodeOf(second)).toBe(otherNode.name);
      expect(second.metadata?.annotations?.['configspec.io/profiling-attempt']).toBe('2');
      expect(condition(await readSdd(namespace.name, 'lost'), 'Profiled')?.reason).toBe('Profiling');

      await otherNode.notReady();
      const failed = await eventually(
        'Profiled=False (ProfilingFailed) after the last attempt',
        async () => {
          const sdd = await readSdd(namespace.name, 'lost');
          return condition(sdd, 'Profiled')?.reason === 'ProfilingFailed' ? sdd : undefined;
        },
        90_000,
      );
      expect(condition(failed, 'Profiled')).toMatchObject({ status: 'False' });
      expect(condition(failed, 'Profiled')?.message).toBe(
        `Profiling ${profile('Q4_K_M')} failed: NodeLost: node ${otherNode.name} of Job ` +
          `${jobName('Q4_K_M', 2)} is not Ready (attempt 2 of 2)`,
      );
      // Bounded: no third Job.
      expect(await readJob(jobName('Q4_K_M', 3))).toBeUndefined();

      await custom().deleteNamespacedCustomObject(sddRef(namespace.name, 'lost'));
      await stopOperator(operator);
      operator = undefined;
      for (const node of nodes) node.ready();
    },
    SLOW,
  );

  it(
    'time-out: the Job deadline ends each attempt, a new one follows after the backoff, then DeadlineExceeded',
    async () => {
      operator = await startOperator(
        operatorConfig(namespace.name, {
          profilingJobs: { activeDeadlineSeconds: 20, maxAttempts: 2, retryBackoffSeconds: 5 },
        }),
      );
      await createDeployment('slow', 'Q8_0');
      const sdd = await eventually(
        'Profiled=False (ProfilingFailed) after two timed-out attempts',
        async () => {
          runPendingPods();
          const current = await readSdd(namespace.name, 'slow');
          return condition(current, 'Profiled')?.reason === 'ProfilingFailed' ? current : undefined;
        },
        240_000,
      );
      expect(condition(sdd, 'Profiled')?.message).toMatch(
        /^Profiling \S+ failed: DeadlineExceeded: .* \(attempt 2 of 2\)$/,
      );

      // The operator reports on FailureTarget; the Job controller sets Failed once the test's kubelet has confirmed
      // the pods' termination, a few seconds later.
      const attempts = await eventually(
        'both attempts Failed',
        async () => {
          runPendingPods();
          const jobs = [await readJob(jobName('Q8_0', 1)), await readJob(jobName('Q8_0', 2))];
          return jobs.every((job) => failedCondition(job)) ? (jobs as V1Job[]) : undefined;
        },
        60_000,
      );
      for (const job of attempts) {
        expect(job).toBeDefined();
        expect(job.spec?.activeDeadlineSeconds).toBe(20);
        expect(failedCondition(job)?.reason).toBe('DeadlineExceeded');
        expect(job.status?.active ?? 0).toBe(0);
      }
      // With backoff: attempt 2 was created no sooner than 5 s after attempt 1 had failed (1 s timestamp precision).
      const failedAt = Date.parse(String(failedCondition(attempts[0])!.lastTransitionTime));
      const secondCreated = Date.parse(String(attempts[1]!.metadata!.creationTimestamp));
      expect(secondCreated - failedAt).toBeGreaterThanOrEqual(4_000);

      // Nothing keeps running and nothing starts again: no third attempt, neither attempt active.
      await sleep(10_000);
      expect(await readJob(jobName('Q8_0', 3))).toBeUndefined();
      for (const attempt of [1, 2]) expect((await readJob(jobName('Q8_0', attempt)))?.status?.active ?? 0).toBe(0);
    },
    SLOW,
  );
});
