// Nodes going NotReady and back, with Kubernetes' own rules deciding what happens to the pods (the fault
// cluster runs the real node lifecycle and taint-eviction controllers; kwok stops reporting for a node taken
// away, as a dead kubelet would):
//   - edge nodes: drafters are DaemonSet pods. The DaemonSet controller gives them NoExecute tolerations for
//     node.kubernetes.io/not-ready and /unreachable without tolerationSeconds, so when the node is tainted they
//     stay bound to it (same pod, not evicted, not recreated elsewhere) and serve again when it returns;
//   - verifier nodes: the verifier is a Deployment. Its pods tolerate not-ready/unreachable for as long as the
//     verifier DeviceClass's runtime.tolerations say (10 s here; without them the apiserver's default is 300 s),
//     then the taint manager evicts them and the ReplicaSet recreates them on another Ready node of the class.
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { GROUP, VERSION } from '../../src/api/types.js';
import { kubectl } from '../support/cluster.js';
import { deviceClass } from '../support/device-classes.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  core,
  createDeviceClasses,
  custom,
  deleteClasses,
  operatorConfig,
  sampleDeployment,
  sddRef,
  stopOperator,
  waitForCondition,
} from '../support/operator.js';
import { assertFaultCluster, must, nodeNotReady, nodeRestore } from './support.js';

const SLOW = 240_000;
const namespace = useTestNamespace('faults-resched', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const suffix = randomBytes(3).toString('hex');
const EDGE_CLASS = `f-${suffix}-pi4`;
const GPU_CLASS = `f-${suffix}-gpus`;
const NAME = `resched-${suffix}`;
const EDGE_NODE = 'raspberry-pi-4-0';
const GRACE_SECONDS = 10;

const notReadyToleration = (key: string) => ({
  key,
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: GRACE_SECONDS,
});

async function podsOf(component: 'drafter' | 'verifier'): Promise<V1Pod[]> {
  const pods = await core().listNamespacedPod({
    namespace: namespace.name,
    labelSelector: `app.kubernetes.io/instance=${NAME},app.kubernetes.io/component=${component}`,
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const taints = (node: string) =>
  (
    JSON.parse(must(kubectl(['get', 'node', node, '-o', 'json']))) as {
      spec?: { taints?: { key: string; effect: string }[] };
    }
  ).spec?.taints ?? [];

describe('nodes NotReady and back: pods follow Kubernetes rules', () => {
  let operator: RunningOperator | undefined;
  const away = new Set<string>();

  beforeAll(async () => {
    assertFaultCluster();
    // The edge class on the two Raspberry Pi 4 nodes; the verifier class on both GPU nodes (A100 and L4), with a
    // short not-ready/unreachable grace.
    await createDeviceClasses([[EDGE_CLASS, 'Edge', 'raspberry-pi-4']]);
    const gpu = deviceClass(GPU_CLASS, 'Verifier', { 'node-role.configspec.io/verifier': '' });
    await custom().createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'deviceclasses',
      body: {
        ...gpu,
        spec: {
          ...gpu.spec,
          runtime: {
            tolerations: [
              notReadyToleration('node.kubernetes.io/not-ready'),
              notReadyToleration('node.kubernetes.io/unreachable'),
            ],
          },
        },
      },
    });
    operator = await startOperator(operatorConfig(namespace.name));
    await custom().createNamespacedCustomObject({
      ...sddRef(namespace.name, NAME),
      body: sampleDeployment(namespace.name, NAME, { gpu: GPU_CLASS, edge: [EDGE_CLASS] }),
    });
    await waitForCondition(namespace.name, NAME, 'Ready', 'True', 180_000);
  }, SLOW);

  afterAll(async () => {
    for (const node of away) nodeRestore(node);
    await stopOperator(operator);
    await deleteClasses([EDGE_CLASS, GPU_CLASS]);
  }, SLOW);

  it(
    'an edge node NotReady: its drafter pod stays bound (tolerated, not evicted, not recreated) and is there when it returns',
    async () => {
      const before = await podsOf('drafter');
      expect(before.map((p) => p.spec?.nodeName).sort()).toEqual(['raspberry-pi-4-0', 'raspberry-pi-4-1']);
      const onNode = before.find((p) => p.spec?.nodeName === EDGE_NODE)!;
      // What the DaemonSet controller adds: tolerated without limit.
      for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
        expect(onNode.spec?.tolerations).toContainEqual({ key, operator: 'Exists', effect: 'NoExecute' });
      }

      away.add(EDGE_NODE);
      nodeNotReady(EDGE_NODE);
      await eventually(
        `the node lifecycle controller's NoExecute taint on ${EDGE_NODE}`,
        async () => taints(EDGE_NODE).some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute'),
        90_000,
      );
      // Longer than a Deployment pod's grace here: a pod without the toleration would have been evicted by now.
      await new Promise((resolve) => setTimeout(resolve, (GRACE_SECONDS + 10) * 1000));
      const during = await podsOf('drafter');
      expect(during.map((p) => p.metadata?.uid).sort()).toEqual(before.map((p) => p.metadata?.uid).sort());

      nodeRestore(EDGE_NODE);
      away.delete(EDGE_NODE);
      await eventually(
        `${EDGE_NODE} Ready and untainted`,
        async () => !taints(EDGE_NODE).some((t) => t.key.startsWith('node.kubernetes.io/')),
        90_000,
      );
      const after = await podsOf('drafter');
      expect(after.map((p) => p.metadata?.uid).sort()).toEqual(before.map((p) => p.metadata?.uid).sort());
      expect(after.find((p) => p.metadata?.uid === onNode.metadata?.uid)?.spec?.nodeName).toBe(EDGE_NODE);
    },
    SLOW,
  );

  it(
    'a verifier node NotReady: after the class toleration the verifier pod is evicted and recreated on another Ready node',
    async () => {
      const [before] = await podsOf('verifier');
      expect(before).toBeDefined();
      const lost = before!.spec!.nodeName!;
      expect(before!.spec?.tolerations).toContainEqual(notReadyToleration('node.kubernetes.io/not-ready'));

      away.add(lost);
      nodeNotReady(lost);
      const replacement = await eventually(
        'a Ready verifier pod on another node',
        async () => {
          const pods = await podsOf('verifier');
          return pods.find((p) => p.spec?.nodeName && p.spec.nodeName !== lost && isReady(p));
        },
        120_000,
      );
      expect(replacement.metadata?.uid).not.toBe(before!.metadata?.uid);
      const events = JSON.parse(must(kubectl(['get', 'events', '-n', namespace.name, '-o', 'json']))) as {
        items: { reason?: string; involvedObject?: { name?: string } }[];
      };
      expect(
        events.items.some(
          (e) => e.reason === 'TaintManagerEviction' && e.involvedObject?.name === before!.metadata?.name,
        ),
      ).toBe(true);
      await waitForCondition(namespace.name, NAME, 'VerifierAvailable', 'True', 90_000);

      // The node returns; Kubernetes does not move the pod back.
      nodeRestore(lost);
      away.delete(lost);
      await eventually(
        `${lost} untainted`,
        async () => !taints(lost).some((t) => t.key.startsWith('node.kubernetes.io/')),
        90_000,
      );
      const after = await podsOf('verifier');
      expect(after.map((p) => p.metadata?.uid)).toEqual([replacement.metadata?.uid]);
    },
    SLOW,
  );
});
