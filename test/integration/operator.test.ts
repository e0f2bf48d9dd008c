// The operator against the local control plane (real apiserver, scheduler, garbage collector, Pod Security
// admission; kwok runs the pods): it places the verifier on a GPU node and one drafter per device class on
// that class's nodes only, reaches Ready, changes only the ConfigMap when only K changes, writes nothing while
// idle, and leaves nothing behind when the deployment is deleted. The operator runs in-process with leader
// election on a Lease in the suite's namespace.
import type { V1Pod } from '@kubernetes/client-node';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  apps as appsApi,
  classNames,
  core as coreApi,
  createClasses,
  custom as customApi,
  deleteClasses,
  deployment as sampleDeployment,
  LABEL,
  leaderElection,
  operatorConfig,
  readSdd as readDeployment,
  sddRef,
  stopOperator,
} from '../support/operator.js';

const SLOW = 240_000;
const core = coreApi();
const apps = appsApi();
const custom = customApi();
const namespace = useTestNamespace('operator', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames('it');

const deployment = () => sampleDeployment(namespace.name, 'chat', classes);
const sddApi = () => sddRef(namespace.name, 'chat');
const readSdd = () => readDeployment(namespace.name, 'chat');
const podsOf = async (selector: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: namespace.name, labelSelector: selector })).items;

describe('configspec operator on the local control plane', () => {
  let operator: RunningOperator;

  beforeAll(async () => {
    await createClasses(classes);
    operator = await startOperator(operatorConfig(namespace.name, { leaderElection: leaderElection('integration') }));
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await deleteClasses(classes);
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
