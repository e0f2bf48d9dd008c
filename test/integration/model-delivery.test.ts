// Model delivery on the local control plane (real apiserver, Pod Security admission, DaemonSet controller, kwok
// running the pods): the node cache agent is admitted in its own privileged namespace; the workloads the operator
// creates in a restricted namespace carry the fetch init container and the model volume and are admitted; a
// change of quantisation first pre-fetches the new file on the class's nodes and rolls the drafters only once
// every node is ready (held back here with a ResourceQuota that keeps the pre-fetch pods from being created).
import type { V1DaemonSet } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { buildModelCacheObjects } from '../../src/planner/model-cache.js';
import { MODEL_ANNOTATION } from '../../src/planner/model-delivery.js';
import { kubectl } from '../support/cluster.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  apps as appsApi,
  classNames,
  core as coreApi,
  createClasses,
  custom as customApi,
  deleteClasses,
  LABEL,
  operatorConfig,
  readSdd as readDeployment,
  sampleDeployment,
  sddRef,
  stopOperator,
  TEST_IMAGE as IMAGE,
} from '../support/operator.js';

const SLOW = 240_000;
const core = coreApi();
const apps = appsApi();
const custom = customApi();
const namespace = useTestNamespace('model-delivery', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const { pi5, gpu } = classNames('md');
const classes = { pi5, gpu };
const suffix = pi5.split('-')[1]!;
const cacheNamespace = `md-cache-${suffix}`;

const cacheObjects = () =>
  buildModelCacheObjects({ image: IMAGE, namespace: cacheNamespace }).map((o) => {
    // Cluster-scoped names carry the suffix so parallel runs do not share them.
    const object = structuredClone(o) as { kind: string; metadata: { name: string }; roleRef?: { name: string } };
    if (object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding') object.metadata.name += `-${suffix}`;
    if (object.roleRef) object.roleRef.name += `-${suffix}`;
    return object;
  });

const sddApi = () => sddRef(namespace.name, 'md');
const readSdd = () => readDeployment(namespace.name, 'md');
const modelStatus = async () => (await readSdd()).status?.deviceClasses?.find((c) => c.name === classes.pi5)?.model;
const daemonSet = (name: string): Promise<V1DaemonSet> =>
  apps.readNamespacedDaemonSet({ name, namespace: namespace.name });

describe('model delivery on the local control plane', () => {
  let operator: RunningOperator;

  beforeAll(async () => {
    await createClasses(classes);
    operator = await startOperator(operatorConfig(namespace.name));
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await deleteClasses(classes);
    kubectl(
      ['delete', '--ignore-not-found', '--wait=false', '-f', '-'],
      cacheObjects()
        .map((o) => stringify(o))
        .join('---\n'),
    );
  }, SLOW);

  it(
    'admits the node cache agent (hostPath) in its own privileged namespace, on every node',
    async () => {
      const yaml = cacheObjects()
        .map((o) => stringify(o))
        .join('---\n');
      const applied = kubectl(['apply', '--server-side', '--field-manager=configspec-tests', '-f', '-'], yaml);
      // Admitted under "privileged"; the namespace's warn=restricted label names exactly what needs the exemption.
      expect(applied.stderr).toMatch(
        /would violate PodSecurity "restricted:latest": restricted volume types \(volume "models" uses restricted volume type "hostPath"\)/,
      );
      expect(applied.status).toBe(0);
      const pods = await eventually(
        'node cache agent pods',
        async () => {
          const found = (await core.listNamespacedPod({ namespace: cacheNamespace })).items;
          return found.length >= 4 && found.every((p) => p.spec?.nodeName) ? found : undefined;
        },
        120_000,
      );
      expect(pods[0]!.spec!.volumes!.some((v) => v.hostPath?.path === '/var/lib/configspec/models')).toBe(true);
      const service = await core.readNamespacedService({ name: 'configspec-model-cache', namespace: cacheNamespace });
      expect(service.spec?.internalTrafficPolicy).toBe('Local');
      // The same pod is refused in the workloads' restricted namespace: hostPath is why the agent lives apart.
      const refused = kubectl(
        ['create', '--dry-run=server', '-n', namespace.name, '-f', '-'],
        stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'hostpath-probe' },
          spec: { ...pods[0]!.spec, serviceAccountName: undefined, serviceAccount: undefined, nodeName: undefined },
        }),
      );
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/violates PodSecurity "restricted:latest".*hostPath/);
    },
    SLOW,
  );

  it(
    'gives drafters and the verifier the fetch init container and model volume, admitted under restricted',
    async () => {
      await custom.createNamespacedCustomObject({
        ...sddApi(),
        body: sampleDeployment(namespace.name, 'md', { gpu: classes.gpu, edge: [classes.pi5] }),
      });
      const drafter = await eventually('the drafter DaemonSet', () => daemonSet(`md-draft-${classes.pi5}`), 60_000);
      const pod = drafter.spec!.template.spec!;
      const init = pod.initContainers![0]!;
      expect(init.name).toBe('fetch-model');
      expect(init.args).toEqual([
        'fetch',
        '--uri',
        'hf://bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
        '--output',
        '/var/cache/configspec/models/model.gguf',
        '--via',
        'http://configspec-model-cache.configspec-cache.svc:8090',
      ]);
      expect(init.volumeMounts).toContainEqual({ name: 'models', mountPath: '/var/cache/configspec/models' });
      expect(pod.volumes!.find((v) => v.name === 'models')?.emptyDir).toBeDefined();
      expect(pod.containers[0]!.args).toEqual(
        expect.arrayContaining(['--model-source', 'file:///var/cache/configspec/models/model.gguf']),
      );
      expect(drafter.metadata!.annotations![MODEL_ANNOTATION]).toBe('qwen2.5-0.5b-instruct/Q4_K_M');
      const verifier = await eventually('the verifier', () =>
        apps.readNamespacedDeployment({ name: 'md-verifier', namespace: namespace.name }),
      );
      expect(verifier.spec!.template.spec!.initContainers![0]!.args).toEqual(
        expect.arrayContaining(['--uri', 'hf://bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf']),
      );
      // Pods exist, so Pod Security admission (restricted) accepted the fetch step. A first rollout has drafters
      // only: their own fetch steps bring the file, no pre-fetch DaemonSet.
      await eventually(
        'drafter pods on both pi5 nodes',
        async () => {
          const pods = (
            await core.listNamespacedPod({ namespace: namespace.name, labelSelector: `${LABEL}=${classes.pi5}` })
          ).items;
          return pods.length === 2 && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
        },
        120_000,
      );
      expect(
        await eventually(
          'model ready on both nodes',
          async () => {
            const model = await modelStatus();
            return model?.readyNodes === 2 ? model : undefined;
          },
          120_000,
        ),
      ).toEqual({ draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', readyNodes: 2, state: 'Serving' });
      await expect(daemonSet(`md-prefetch-${classes.pi5}`)).rejects.toMatchObject({ code: 404 });
    },
    SLOW,
  );

  it(
    'a quantisation change pre-fetches on the class nodes first and rolls the drafters only when every node has the file',
    async () => {
      const drafterName = `md-draft-${classes.pi5}`;
      const generationBefore = (await daemonSet(drafterName)).metadata!.generation;
      // Hold the pre-fetch back: no room for more pods than run now.
      const pods = (await core.listNamespacedPod({ namespace: namespace.name })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
      await core.createNamespacedResourceQuota({
        namespace: namespace.name,
        body: { metadata: { name: 'hold-prefetch' }, spec: { hard: { pods: String(pods.length) } } },
      });
      await custom.patchNamespacedCustomObject({
        ...sddApi(),
        body: [{ op: 'replace', path: '/spec/policy/pinned/quantization', value: 'Q8_0' }],
      });
      await eventually(
        'the pre-fetch DaemonSet on Q8_0',
        async () =>
          (await daemonSet(`md-prefetch-${classes.pi5}`)).metadata?.annotations?.[MODEL_ANNOTATION] ===
          'qwen2.5-0.5b-instruct/Q8_0',
        60_000,
      );
      expect(
        await eventually('status Prefetching', async () => {
          const model = await modelStatus();
          return model?.state === 'Prefetching' ? model : undefined;
        }),
      ).toEqual({ draft: 'qwen2.5-0.5b-instruct', quantization: 'Q8_0', readyNodes: 0, state: 'Prefetching' });
      // While no node has the new file, the drafters keep the old one (and their pods).
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      const held = await daemonSet(drafterName);
      expect(held.metadata!.annotations![MODEL_ANNOTATION]).toBe('qwen2.5-0.5b-instruct/Q4_K_M');
      expect(held.metadata!.generation).toBe(generationBefore);
      expect((await modelStatus())?.state).toBe('Prefetching');

      await core.deleteNamespacedResourceQuota({ name: 'hold-prefetch', namespace: namespace.name });
      // Read the drafters first, then the pre-fetch: a switch seen in the first read happened before the second,
      // and the pre-fetch lives until the switched drafters are ready everywhere (seconds later).
      const { rolled, prefetchAtSwitch } = await eventually(
        'the drafters on Q8_0',
        async () => {
          const ds = await daemonSet(drafterName);
          if (ds.metadata?.annotations?.[MODEL_ANNOTATION] !== 'qwen2.5-0.5b-instruct/Q8_0') return undefined;
          return { rolled: ds, prefetchAtSwitch: await daemonSet(`md-prefetch-${classes.pi5}`) };
        },
        180_000,
      );
      // The switch happened with the pre-fetch ready on every node of the class.
      expect(prefetchAtSwitch.status?.numberReady).toBe(2);
      expect(rolled.spec!.template.spec!.initContainers![0]!.args).toContain(
        'hf://bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q8_0.gguf',
      );
      expect(
        await eventually('status Serving', async () => {
          const model = await modelStatus();
          return model?.state === 'Serving' && model.quantization === 'Q8_0' ? model : undefined;
        }),
      ).toEqual({ draft: 'qwen2.5-0.5b-instruct', quantization: 'Q8_0', readyNodes: 2, state: 'Serving' });
      // Delivered: once the drafters serve the new file on every node, the pre-fetch DaemonSet goes.
      await eventually(
        'the pre-fetch DaemonSet removed',
        () =>
          daemonSet(`md-prefetch-${classes.pi5}`).then(
            () => undefined,
            (err: { code?: number }) => {
              if (err.code === 404) return true;
              throw err;
            },
          ),
        60_000,
      );
    },
    SLOW,
  );
});
