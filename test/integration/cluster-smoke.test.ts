// Proves the local control plane is a real Kubernetes: the pinned apiserver validates our CRDs (schema, enum,
// bounds, CEL), the real scheduler places pods on kwok nodes by device class and GPU taint, the controller-manager
// collects garbage, Pod Security and RBAC are enforced, service-account tokens are signed, and the Helm chart
// applies. Runs against the cluster that test/support/global-setup.ts reuses or starts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { API_VERSION, GROUP, VERSION } from '../../src/api/types.js';
import { DEVICE_CLASS_LABEL, GPU_RESOURCE, parseFleet, renderFleet } from '../../src/fleet/render.js';
import { kubectl, pinnedKubernetesVersion, repoRoot, runTool } from '../support/cluster.js';
import { crdNames, installCrds } from '../support/crds.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';

const SLOW = 120_000;
const config = testKubeConfig();
const core = config.makeApiClient(CoreV1Api);
const apps = config.makeApiClient(AppsV1Api);
const custom = config.makeApiClient(CustomObjectsApi);

/** The apiserver's Status message of a failed call. */
function statusMessage(error: unknown): { code: number; message: string } {
  if (!(error instanceof ApiException)) throw error;
  const body = typeof error.body === 'string' ? (JSON.parse(error.body) as { message?: string }) : error.body;
  return { code: error.code, message: String((body as { message?: string } | undefined)?.message ?? error.message) };
}

async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    return statusMessage(error);
  }
  throw new Error('the apiserver accepted the request');
}

const defaultFleet = renderFleet(parseFleet(parse(readFileSync(join(repoRoot, 'config/fleet/default.yaml'), 'utf8'))));

describe('the local control plane', () => {
  it('reports the pinned Kubernetes version', async () => {
    const version = await config.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(`v${pinnedKubernetesVersion()}`);
  });

  it('keeps the fleet nodes Ready under kwok with their labels, taints, capacity and allocatable', async () => {
    for (const expected of defaultFleet) {
      const node = await core.readNode({ name: expected.metadata.name });
      expect(node.metadata?.labels).toMatchObject(expected.metadata.labels);
      expect(node.status?.capacity).toEqual(expected.status.capacity);
      expect(node.status?.allocatable).toEqual(expected.status.allocatable);
      expect(node.status?.nodeInfo?.architecture).toBe(expected.status.nodeInfo.architecture);
      expect(node.spec?.taints ?? []).toEqual(expected.spec.taints ?? []);
      expect(node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');
    }
  });
});

describe('CRDs from crds/', () => {
  beforeAll(() => installCrds(), SLOW);

  it('install and become Established', async () => {
    const names = crdNames();
    expect(names).toContain(`specdecodedeployments.${GROUP}`);
    for (const name of names) {
      const crd = kubectl(['get', 'crd', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      expect(crd.stdout).toBe('True');
    }
  });

  describe('the apiserver rejects invalid SpecDecodeDeployments with the field path', () => {
    const namespace = useTestNamespace('smoke-validation');
    type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const validSpec = (): Spec => ({
      target: {
        model: { name: 'qwen2.5-7b-instruct', family: 'qwen2.5' },
        verifier: { deviceClass: 'nvidia-l4' },
      },
      drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] }],
    });
    const create = (spec: Spec | undefined) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: namespace.name,
        plural: 'specdecodedeployments',
        body: { apiVersion: API_VERSION, kind: 'SpecDecodeDeployment', metadata: { name: 'invalid' }, spec },
        dryRun: 'All',
        fieldValidation: 'Strict',
      });
    const withSpec = (change: (spec: Spec) => void): Spec => {
      const spec = validSpec();
      change(spec);
      return spec;
    };
    const pinned = (spec: Spec, pin: Spec) => {
      spec.policy = { mode: 'Pinned', pinned: pin };
    };

    it('accepts the valid base object (so each rejection below is due to its one change)', async () => {
      await expect(create(validSpec())).resolves.toBeDefined();
    });

    // [kind of check, field path in the message, part of the message, the invalid spec]
    const cases: [string, string, string, Spec | undefined][] = [
      ['schema: required', 'spec', 'Required value', undefined],
      ['schema: required', 'spec.target', 'Required value', withSpec((s) => delete s.target)],
      [
        'schema: required',
        'spec.target.verifier.deviceClass',
        'Required value',
        withSpec((s) => delete s.target.verifier.deviceClass),
      ],
      [
        'schema: type',
        'spec.target.verifier.replicas',
        'must be of type integer',
        withSpec((s) => (s.target.verifier.replicas = 'two')),
      ],
      ['schema: pattern', 'spec.target.model.name', 'should match', withSpec((s) => (s.target.model.name = 'Qwen 7B'))],
      [
        'schema: pattern',
        'spec.target.model.source.uri',
        'should match',
        withSpec((s) => (s.target.model.source = { uri: 'ftp://models/x.gguf' })),
      ],
      [
        'schema: length',
        'spec.drafts[0].model.source.sha256',
        'at least 64 chars long',
        withSpec((s) => (s.drafts[0].model.source = { uri: 'https://x/y.gguf', sha256: 'abc' })),
      ],
      [
        'enum',
        'spec.target.verifier.engine',
        'Unsupported value: "vLLM"',
        withSpec((s) => (s.target.verifier.engine = 'vLLM')),
      ],
      [
        'enum',
        'spec.drafts[0].quantizations[0]',
        'Unsupported value: "Q3_K"',
        withSpec((s) => (s.drafts[0].quantizations = ['Q3_K'])),
      ],
      [
        'enum',
        'spec.objective.maximize',
        'Unsupported value: "Latency"',
        withSpec((s) => (s.objective = { maximize: 'Latency' })),
      ],
      ['enum', 'spec.policy.mode', 'Unsupported value: "Manual"', withSpec((s) => (s.policy = { mode: 'Manual' }))],
      ['enum', 'spec.accounting', 'Unsupported value: "Partial"', withSpec((s) => (s.accounting = 'Partial'))],
      [
        'bounds',
        'spec.target.verifier.replicas',
        'less than or equal to 64',
        withSpec((s) => (s.target.verifier.replicas = 65)),
      ],
      [
        'bounds',
        'spec.target.verifier.gpusPerReplica',
        'greater than or equal to 0',
        withSpec((s) => (s.target.verifier.gpusPerReplica = -1)),
      ],
      [
        'bounds',
        'spec.speculation.k.max',
        'less than or equal to 32',
        withSpec((s) => (s.speculation = { k: { max: 33 } })),
      ],
      [
        'bounds',
        'spec.target.model.parametersBillions',
        'greater than 0',
        withSpec((s) => (s.target.model.parametersBillions = 0)),
      ],
      [
        'bounds',
        'spec.drafts',
        'must have at most 10 items',
        withSpec(
          (s) =>
            (s.drafts = Array.from({ length: 11 }, (_, i) => ({
              model: { name: `draft-${i}` },
              quantizations: ['Q4_K_M'],
            }))),
        ),
      ],
      ['bounds', 'spec.drafts', 'should have at least 1 items', withSpec((s) => (s.drafts = []))],
      [
        'bounds',
        'spec.profiling.maxAgeSeconds',
        'greater than or equal to 60',
        withSpec((s) => (s.profiling = { maxAgeSeconds: 59 })),
      ],
      [
        'bounds: set',
        'spec.drafts[0].quantizations[1]',
        'Duplicate value',
        withSpec((s) => (s.drafts[0].quantizations = ['Q8_0', 'Q8_0'])),
      ],
      [
        'CEL',
        'spec.drafts',
        'must not contain the target model',
        withSpec((s) => (s.drafts[0].model.name = 'qwen2.5-7b-instruct')),
      ],
      [
        'CEL',
        'spec.drafts',
        "every draft's model.family must equal",
        withSpec((s) => (s.drafts[0].model.family = 'llama3')),
      ],
      ['CEL', 'spec.drafts', 'draft model names must be unique', withSpec((s) => s.drafts.push({ ...s.drafts[0] }))],
      [
        'CEL',
        'spec.edge.deviceClasses',
        "must not contain the verifier's device class",
        withSpec((s) => (s.edge = { deviceClasses: ['nvidia-l4'] })),
      ],
      [
        'CEL',
        'spec.speculation.k.min',
        'must be ≤ spec.speculation.k.max',
        withSpec((s) => (s.speculation = { k: { min: 5, max: 4 } })),
      ],
      [
        'CEL',
        'spec.policy.pinned',
        'is required when spec.policy.mode is Pinned',
        withSpec((s) => (s.policy = { mode: 'Pinned' })),
      ],
      [
        'CEL',
        'spec.policy.pinned',
        'must be unset unless spec.policy.mode is Pinned',
        withSpec(
          (s) => (s.policy = { mode: 'Auto', pinned: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q8_0', k: 4 } }),
        ),
      ],
      [
        'CEL',
        'spec.policy.pinned.draft',
        'must name one of spec.drafts',
        withSpec((s) => pinned(s, { draft: 'other', quantization: 'Q8_0', k: 4 })),
      ],
      [
        'CEL',
        'spec.policy.pinned.quantization',
        "must be one of the pinned draft's quantizations",
        withSpec((s) => pinned(s, { draft: 'qwen2.5-0.5b-instruct', quantization: 'F16', k: 4 })),
      ],
      [
        'CEL',
        'spec.policy.pinned.k',
        'must lie within spec.speculation.k',
        withSpec((s) => pinned(s, { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q8_0', k: 20 })),
      ],
      [
        'CEL',
        'spec.target.model',
        'must also give family and parametersBillions',
        withSpec((s) => (s.target.model = { name: 'my-model', source: { uri: 'https://x/y.gguf' } })),
      ],
    ];

    it('covers at least 20 cases across schema, enum, bounds and CEL', () => {
      expect(cases.length).toBeGreaterThanOrEqual(20);
      const kinds = new Set(cases.map(([kind]) => kind.split(':')[0]));
      expect([...kinds].sort()).toEqual(['CEL', 'bounds', 'enum', 'schema']);
    });

    it('rejects an unknown field under strict field validation, naming its path', async () => {
      const { code, message } = await rejection(create(withSpec((s) => (s.target.verifier.gpuType = 'a100'))));
      expect(code).toBe(400);
      expect(message).toContain('unknown field "spec.target.verifier.gpuType"');
    });

    it.each(cases)('%s: %s (%s)', async (_kind, path, fragment, spec) => {
      const { code, message } = await rejection(create(spec));
      expect(code).toBe(422);
      expect(message).toContain(`${path}: `);
      expect(message).toContain(fragment);
    });
  });
});

describe('scheduling onto the fake fleet', () => {
  const namespace = useTestNamespace('smoke-scheduling');

  const deployment = (name: string, deviceClass: string, gpu: boolean): V1Deployment => ({
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { [DEVICE_CLASS_LABEL]: deviceClass },
          tolerations: gpu ? [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }] : [],
          containers: [
            {
              name: 'main',
              image: 'registry.invalid/never-pulled:1',
              resources: gpu ? { limits: { [GPU_RESOURCE]: '1' } } : { requests: { cpu: '100m' } },
            },
          ],
        },
      },
    },
  });

  const runningPodsOf = async (app: string): Promise<V1Pod[] | undefined> => {
    const pods = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: `app=${app}` });
    return pods.items.length === 2 && pods.items.every((pod) => pod.status?.phase === 'Running')
      ? pods.items
      : undefined;
  };

  it(
    'runs a Deployment selecting a device class on nodes of that class (real scheduler, kwok kubelet)',
    async () => {
      await apps.createNamespacedDeployment({
        namespace: namespace.name,
        body: deployment('drafter', 'jetson-orin-nano', false),
      });
      const pods = await eventually('2 drafter pods Running', () => runningPodsOf('drafter'), 60_000);
      for (const pod of pods) {
        const node = await core.readNode({ name: pod.spec!.nodeName! });
        expect(node.metadata?.labels?.[DEVICE_CLASS_LABEL]).toBe('jetson-orin-nano');
        expect(node.metadata?.labels?.['kubernetes.io/arch']).toBe('arm64');
        expect(pod.status?.podIP).toMatch(/^10\.244\./);
      }
      const scheduled = await core.listNamespacedEvent({
        namespace: namespace.name,
        fieldSelector: 'reason=Scheduled',
      });
      expect(
        scheduled.items.some(
          (event) =>
            event.source?.component === 'default-scheduler' || event.reportingComponent === 'default-scheduler',
        ),
      ).toBe(true);
    },
    SLOW,
  );

  it(
    'places GPU pods that tolerate the GPU taint on GPU nodes, one GPU each, and leaves the rest Pending',
    async () => {
      // The default fleet has one nvidia-l4 node with one GPU: one replica fits, the other cannot be scheduled.
      await apps.createNamespacedDeployment({
        namespace: namespace.name,
        body: deployment('verifier', 'nvidia-l4', true),
      });
      const pods = await eventually(
        'one verifier pod Running and one Unschedulable',
        async () => {
          const list = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: 'app=verifier' });
          const running = list.items.filter((pod) => pod.status?.phase === 'Running');
          const unschedulable = list.items.filter((pod) =>
            pod.status?.conditions?.some(
              (condition) => condition.type === 'PodScheduled' && condition.reason === 'Unschedulable',
            ),
          );
          return running.length === 1 && unschedulable.length === 1 ? { running, unschedulable } : undefined;
        },
        60_000,
      );
      expect(pods.running[0]!.spec!.nodeName).toBe('nvidia-l4-0');
      const reason = pods.unschedulable[0]!.status!.conditions!.find(
        (condition) => condition.type === 'PodScheduled',
      )!.message;
      expect(reason).toContain(`Insufficient ${GPU_RESOURCE}`);
    },
    SLOW,
  );

  it(
    'keeps pods without the GPU toleration off GPU nodes',
    async () => {
      const pod = await core.createNamespacedPod({
        namespace: namespace.name,
        body: {
          metadata: { name: 'no-toleration' },
          spec: {
            nodeSelector: { [DEVICE_CLASS_LABEL]: 'nvidia-a100-80gb' },
            containers: [{ name: 'main', image: 'registry.invalid/never-pulled:1' }],
          },
        },
      });
      const message = await eventually(
        'the scheduler to report the untolerated taint',
        async () => {
          const current = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace: namespace.name });
          return current.status?.conditions?.find((condition) => condition.reason === 'Unschedulable')?.message;
        },
        60_000,
      );
      expect(message).toMatch(/\d+ node\(s\) had untolerated taint/);
      const current = await core.readNamespacedPod({ name: 'no-toleration', namespace: namespace.name });
      expect(current.spec?.nodeName).toBeUndefined();
    },
    SLOW,
  );
});

describe('controller-manager', () => {
  const namespace = useTestNamespace('smoke-gc');

  it(
    'garbage-collects dependents through ownerReferences',
    async () => {
      const owner = await core.createNamespacedConfigMap({
        namespace: namespace.name,
        body: { metadata: { name: 'owner' } },
      });
      await core.createNamespacedConfigMap({
        namespace: namespace.name,
        body: {
          metadata: {
            name: 'dependent',
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
          },
        },
      });
      await core.deleteNamespacedConfigMap({
        name: 'owner',
        namespace: namespace.name,
        propagationPolicy: 'Background',
      });
      await eventually(
        'the dependent ConfigMap to be deleted',
        async () => {
          const names = (await core.listNamespacedConfigMap({ namespace: namespace.name })).items.map(
            (item) => item.metadata?.name,
          );
          return !names.includes('dependent');
        },
        60_000,
      );
    },
    SLOW,
  );
});

describe('Pod Security admission', () => {
  const namespace = useTestNamespace('smoke-psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });

  const pod = (name: string, privileged: boolean): V1Pod => ({
    metadata: { name },
    spec: {
      securityContext: privileged
        ? {}
        : { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: 'registry.invalid/never-pulled:1',
          securityContext: privileged
            ? { privileged: true }
            : { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  });

  it('rejects a privileged pod in a namespace enforcing restricted', async () => {
    const { code, message } = await rejection(
      core.createNamespacedPod({ namespace: namespace.name, body: pod('privileged', true) }),
    );
    expect(code).toBe(403);
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('privileged');
  });

  it('admits a pod that meets restricted in the same namespace', async () => {
    await expect(
      core.createNamespacedPod({ namespace: namespace.name, body: pod('restricted', false), dryRun: 'All' }),
    ).resolves.toBeDefined();
  });
});

describe('RBAC and service-account tokens', () => {
  const namespace = useTestNamespace('smoke-rbac');

  it(
    'denies a ServiceAccount without a binding and allows it once bound, using a token the apiserver signed',
    async () => {
      const account = 'unbound';
      const user = `system:serviceaccount:${namespace.name}:${account}`;
      await core.createNamespacedServiceAccount({ namespace: namespace.name, body: { metadata: { name: account } } });

      const review = await config.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          spec: {
            user,
            groups: ['system:serviceaccounts'],
            resourceAttributes: { namespace: namespace.name, verb: 'list', resource: 'pods' },
          },
        },
      });
      expect(review.status?.allowed).toBe(false);

      const tokenRequest = await core.createNamespacedServiceAccountToken({
        name: account,
        namespace: namespace.name,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const asAccount = new KubeConfig();
      asAccount.loadFromOptions({
        clusters: [config.getCurrentCluster()!],
        users: [{ name: account, token: tokenRequest.status!.token }],
        contexts: [{ name: account, cluster: config.getCurrentCluster()!.name, user: account }],
        currentContext: account,
      });
      const accountCore = asAccount.makeApiClient(CoreV1Api);
      const denied = await rejection(accountCore.listNamespacedPod({ namespace: namespace.name }));
      expect(denied.code).toBe(403);
      expect(denied.message).toContain(`"${user}" cannot list resource "pods"`);

      const impersonated = kubectl(['get', 'pods', '-n', namespace.name, `--as=${user}`]);
      expect(impersonated.status).not.toBe(0);
      expect(impersonated.stderr).toContain('Forbidden');

      const create = (args: string[]) => expect(kubectl(['create', '-n', namespace.name, ...args]).status).toBe(0);
      create(['role', 'pod-reader', '--verb=list', '--resource=pods']);
      create(['rolebinding', 'pod-reader', '--role=pod-reader', `--serviceaccount=${namespace.name}:${account}`]);
      const allowed = await eventually(
        'the binding to take effect',
        async () => (await accountCore.listNamespacedPod({ namespace: namespace.name })).items,
      );
      expect(allowed).toEqual([]);
    },
    SLOW,
  );
});

describe('the Helm chart', () => {
  const namespace = useTestNamespace('smoke-helm');
  const chart = join(repoRoot, 'charts', 'configspec-operator');

  it('passes helm lint', () => {
    const lint = runTool('helm', ['lint', chart]);
    expect(lint.stderr + lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  it(
    'renders manifests (CRDs included) that the apiserver accepts in a server-side dry run',
    () => {
      const rendered = runTool('helm', ['template', 'smoke', chart, '--namespace', namespace.name, '--include-crds']);
      expect(rendered.status).toBe(0);
      expect(rendered.stdout).toContain('kind: Deployment');
      expect(rendered.stdout).toContain('kind: CustomResourceDefinition');
      const applied = kubectl(['apply', '--dry-run=server', '-f', '-'], rendered.stdout);
      // stderr may hold warnings (the CRDs, installed earlier by server-side apply, lack kubectl's annotation).
      expect(applied.stderr).not.toMatch(/error/i);
      expect(applied.status).toBe(0);
      for (const created of ['deployment.apps/configspec-operator', 'serviceaccount/configspec-operator']) {
        expect(applied.stdout).toContain(`${created} created (server dry run)`);
      }
    },
    SLOW,
  );
});
