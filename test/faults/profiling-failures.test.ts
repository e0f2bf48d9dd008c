// Profiling Jobs whose pods fail: the Job controller retries a bounded number of times with its exponential
// backoff (backoffLimit 2: three pods, ~10 s then ~20 s apart), the Job ends Failed, and the deployment reports
// Profiled=False with reason ProfilingFailed and the Job's own reason in the message. Nothing stays Running: no
// profiling Job is active afterwards, every Job carries an activeDeadlineSeconds (the time-out), and the operator
// does not start the failed profile again by itself.
// The edge node is one this test registers itself (no kwok annotation, so kwok leaves its pods Pending, and a
// node Lease the test renews), so the test decides how each pod ends: it marks them Failed as a crashing
// profiler's kubelet would.
import { randomBytes } from 'node:crypto';
import { BatchV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { kubectl } from '../support/cluster.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';
import {
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
import { assertFaultCluster, must, sleep } from './support.js';
import { API_VERSION, GROUP, VERSION } from '../../src/api/types.js';

const SLOW = 300_000;
const namespace = useTestNamespace('faults-profiling', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames();
const suffix = randomBytes(3).toString('hex');
const NODE = `f-prof-${suffix}-0`;
const NODE_LABEL = `f-prof-${suffix}`;
const EDGE_CLASS = `f-${suffix}-prof`;
const NAME = `prof-${suffix}`;
const batch = () => testKubeConfig().makeApiClient(BatchV1Api);
const coordination = () => testKubeConfig().makeApiClient(CoordinationV1Api);

function registerNode(): void {
  must(
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: NODE,
          labels: { [LABEL]: NODE_LABEL, 'kubernetes.io/arch': 'arm64', 'kubernetes.io/hostname': NODE },
        },
      }),
    ),
  );
  markNodeReady();
}

function markNodeReady(): void {
  const now = new Date().toISOString();
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  must(
    kubectl([
      'patch',
      'node',
      NODE,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          capacity: resources,
          allocatable: resources,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'test',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      }),
    ]),
  );
}

async function renewNodeLease(): Promise<void> {
  const body = {
    metadata: { name: NODE, namespace: 'kube-node-lease' },
    spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: new Date().toISOString() as unknown as Date },
  };
  try {
    const lease = await coordination().readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' });
    await coordination().replaceNamespacedLease({
      name: NODE,
      namespace: 'kube-node-lease',
      body: { ...body, metadata: { ...body.metadata, resourceVersion: lease.metadata?.resourceVersion } },
    });
  } catch {
    await coordination()
      .createNamespacedLease({ namespace: 'kube-node-lease', body })
      .catch(() => {});
  }
}

/** Marks every Pending profiler pod on our node Failed (exit code 1), as a crashing profiler would end. */
function failPendingPods(): string[] {
  const pods = JSON.parse(
    must(kubectl(['get', 'pods', '-n', namespace.name, '--field-selector', `spec.nodeName=${NODE}`, '-o', 'json'])),
  ) as { items: { metadata: { name: string }; status?: { phase?: string } }[] };
  const failed: string[] = [];
  const now = new Date().toISOString();
  for (const pod of pods.items.filter((p) => p.status?.phase === 'Pending')) {
    const patch = {
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'profiler',
            image: 'ghcr.io/configspec/configspec:test',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } },
          },
        ],
      },
    };
    const result = kubectl([
      'patch',
      'pod',
      pod.metadata.name,
      '-n',
      namespace.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(patch),
    ]);
    if (result.status === 0) failed.push(pod.metadata.name);
  }
  return failed;
}

describe('profiling Jobs whose pods fail', () => {
  let operator: RunningOperator | undefined;
  let keepNodeAlive = true;
  let heartbeat: Promise<void> | undefined;

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
    registerNode();
    heartbeat = (async () => {
      while (keepNodeAlive) {
        await renewNodeLease();
        await sleep(5_000);
      }
    })();
    await core().createNamespacedServiceAccount({
      namespace: namespace.name,
      body: { metadata: { name: 'configspec-profiler' } },
    });
    operator = await startOperator(operatorConfig(namespace.name));
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    keepNodeAlive = false;
    await heartbeat;
    kubectl(['delete', 'node', NODE, '--wait=false']);
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
          for (const pod of failPendingPods()) failedPods.set(pod, Date.now());
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
