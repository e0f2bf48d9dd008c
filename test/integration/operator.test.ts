// The operator against the local control plane (real apiserver, scheduler, garbage collector, Pod Security
// admission; kwok runs the pods): it places the verifier on a GPU node and one drafter per device class on
// that class's nodes only, reaches Ready, changes only the ConfigMap when only K changes, writes nothing while
// idle, and leaves nothing behind when the deployment is deleted. The operator runs in-process with leader
// election on a Lease in the suite's namespace.
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type SpecDecodeDeployment } from '../../src/api/types.js';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { silentLogger } from '../../src/observability/log.js';
import { kubeconfigPath } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';
import { deviceClass } from '../support/device-classes.js';

const SLOW = 240_000;
const config = testKubeConfig();
const core = config.makeApiClient(CoreV1Api);
const apps = config.makeApiClient(AppsV1Api);
const custom = config.makeApiClient(CustomObjectsApi);
const namespace = useTestNamespace('operator', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const suffix = randomBytes(3).toString('hex');
const classes = { pi5: `it-${suffix}-pi5`, orin: `it-${suffix}-orin`, gpu: `it-${suffix}-a100` };
const LABEL = 'configspec.io/device-class';

function deployment(): object {
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'chat', namespace: namespace.name },
    spec: {
      target: {
        model: { name: 'qwen2.5-7b-instruct' },
        verifier: { deviceClass: classes.gpu, replicas: 1, gpusPerReplica: 1 },
      },
      drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] }],
      speculation: { k: { min: 1, max: 8 } },
      edge: { deviceClasses: [classes.pi5, classes.orin] },
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Pinned', pinned: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 3 } },
      profiling: { mode: 'Never' },
    },
  };
}

const sddApi = () => ({
  group: GROUP,
  version: VERSION,
  namespace: namespace.name,
  plural: 'specdecodedeployments',
  name: 'chat',
});
const readSdd = async () => (await custom.getNamespacedCustomObject(sddApi())) as SpecDecodeDeployment;
const podsOf = async (selector: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: namespace.name, labelSelector: selector })).items;

describe('configspec operator on the local control plane', () => {
  let operator: RunningOperator;

  beforeAll(async () => {
    installCrds();
    for (const [name, role, label] of [
      [classes.pi5, 'Edge', 'raspberry-pi-5'],
      [classes.orin, 'Edge', 'jetson-orin-nano'],
      [classes.gpu, 'Verifier', 'nvidia-a100-80gb'],
    ] as const) {
      await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'deviceclasses',
        body: deviceClass(name, role, label),
      });
    }
    operator = await startOperator({
      connection: { kubeconfig: kubeconfigPath() },
      watchNamespace: namespace.name,
      operatorNamespace: namespace.name,
      image: 'ghcr.io/configspec/configspec:test',
      httpHost: '127.0.0.1',
      httpPort: 0,
      concurrency: 2,
      resyncIntervalMs: 15_000,
      leaderElection: {
        enabled: true,
        leaseName: 'configspec-operator',
        identity: 'integration',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      log: silentLogger,
    });
  }, SLOW);

  afterAll(async () => {
    operator?.shutdown();
    await operator?.done;
    for (const name of Object.values(classes)) {
      await custom
        .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'deviceclasses', name })
        .catch(() => {});
    }
  }, SLOW);

  it('serves readiness once its caches are synced', async () => {
    await eventually('readyz', async () => (await fetch(`http://127.0.0.1:${operator.port}/readyz`)).status === 200);
  });

  it(
    'runs the verifier on the GPU class and one drafter per class on that class only, then is Ready',
    async () => {
      await custom.createNamespacedCustomObject({ ...sddApi(), body: deployment() });
      const verifierPods = await eventually(
        'a scheduled verifier pod',
        async () => {
          const pods = await podsOf('app.kubernetes.io/instance=chat,app.kubernetes.io/component=verifier');
          return pods.length > 0 && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
        },
        120_000,
      );
      expect(verifierPods.map((p) => p.spec?.nodeName)).toEqual(['nvidia-a100-80gb-0']);
      for (const [name, nodePrefix] of [
        [classes.pi5, 'raspberry-pi-5-'],
        [classes.orin, 'jetson-orin-nano-'],
      ] as const) {
        const pods = await eventually(
          `drafter pods of ${name}`,
          async () => {
            const found = await podsOf(
              `app.kubernetes.io/instance=chat,${LABEL}=${name},app.kubernetes.io/component=drafter`,
            );
            return found.length === 2 && found.every((p) => p.spec?.nodeName) ? found : undefined;
          },
          120_000,
        );
        expect(pods.every((p) => p.spec!.nodeName!.startsWith(nodePrefix))).toBe(true);
      }
      const ready = await eventually(
        'Ready=True',
        async () => {
          const sdd = await readSdd();
          return sdd.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') ? sdd : undefined;
        },
        120_000,
      );
      const summary = ready.status?.deviceClasses?.map((c) => [c.name, c.nodes, c.readyNodes, c.selected?.k]);
      expect(summary?.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
        [classes.orin, 2, 2, 3],
        [classes.pi5, 2, 2, 3],
      ]);
    },
    SLOW,
  );

  it(
    'changing only K updates the ConfigMap and restarts no pod',
    async () => {
      const drafterName = `chat-draft-${classes.pi5}`;
      const before = await apps.readNamespacedDaemonSet({ name: drafterName, namespace: namespace.name });
      const podsBefore = (await podsOf(`app.kubernetes.io/component=drafter`)).map((p) => p.metadata?.uid).sort();
      await custom.patchNamespacedCustomObject({
        ...sddApi(),
        body: [{ op: 'replace', path: '/spec/policy/pinned/k', value: 6 }],
      });
      await eventually(
        'K=6 in the ConfigMap',
        async () => {
          const cm = await core.readNamespacedConfigMap({ name: `chat-k-${classes.pi5}`, namespace: namespace.name });
          return cm.data?.k === '6';
        },
        60_000,
      );
      const after = await apps.readNamespacedDaemonSet({ name: drafterName, namespace: namespace.name });
      expect(after.metadata?.generation).toBe(before.metadata?.generation);
      expect((await podsOf(`app.kubernetes.io/component=drafter`)).map((p) => p.metadata?.uid).sort()).toEqual(
        podsBefore,
      );
    },
    SLOW,
  );

  it(
    'writes nothing for 60 seconds while nothing changes (Lease renewals aside)',
    async () => {
      // Let the K change settle (status, events), then watch the operator's own request counter.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      // Compared per "verb resource" so that a failure names what was written.
      const before = await operator.metrics.writeRequestsByResource(['leases']);
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      expect(await operator.metrics.writeRequestsByResource(['leases'])).toEqual(before);
      const reconciles = await operator.metrics.reconcileTotal.get();
      expect(reconciles.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(4);
    },
    SLOW,
  );

  it(
    'deleting the deployment removes everything it owns',
    async () => {
      await custom.deleteNamespacedCustomObject(sddApi());
      await eventually(
        'owned objects gone',
        async () => {
          const [deployments, daemonSets, configMaps, services] = await Promise.all([
            apps.listNamespacedDeployment({
              namespace: namespace.name,
              labelSelector: 'app.kubernetes.io/instance=chat',
            }),
            apps.listNamespacedDaemonSet({
              namespace: namespace.name,
              labelSelector: 'app.kubernetes.io/instance=chat',
            }),
            core.listNamespacedConfigMap({
              namespace: namespace.name,
              labelSelector: 'app.kubernetes.io/instance=chat',
            }),
            core.listNamespacedService({ namespace: namespace.name, labelSelector: 'app.kubernetes.io/instance=chat' }),
          ]);
          return [deployments, daemonSets, configMaps, services].every((list) => list.items.length === 0);
        },
        120_000,
      );
    },
    SLOW,
  );
});
