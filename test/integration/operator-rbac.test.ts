// The operator with the chart's permissions and nothing more: the chart is installed into a namespace that
// enforces Pod Security "restricted" (watching that namespace only), and the operator runs in-process with a
// token of the chart's ServiceAccount (TokenRequest API), the profiler's results are written with a token of
// the chart's profiler ServiceAccount. Access reviews show what the operator cannot do; the rest of the suite
// shows what it must do works with these rights: bounded profiling, a selection per class once profiles exist,
// objectives, Recommend, Pinned, Infeasible and a new device class.
import { randomBytes } from 'node:crypto';
import { AuthorizationV1Api, KubeConfig, type V1DaemonSet } from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  VERSION,
  type AlignmentProfile,
  type Configuration,
  type DeviceClass,
  type DraftProfile,
  type SpecDecodeDeployment,
} from '../../src/api/types.js';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { connect } from '../../src/k8s/client.js';
import { writeProfileStatus } from '../../src/k8s/profile-status.js';
import { planDeployment } from '../../src/planner/plan.js';
import { helmInstall, helmUninstall, serviceAccountKubeconfig } from '../support/chart.js';
import { kubectl } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';
import { deviceClass } from '../support/device-classes.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  apps as appsApi,
  batch as batchApi,
  condition,
  core as coreApi,
  createClasses,
  custom as customApi,
  deleteClasses,
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
const batch = batchApi();
const custom = customApi();
const namespace = useTestNamespace('operator-rbac', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const suffix = randomBytes(3).toString('hex');
const release = `rbac-${suffix}`;
const classes = {
  pi5: `rb-${suffix}-pi5`,
  orin: `rb-${suffix}-orin`,
  gpu: `rb-${suffix}-a100`,
  added: `rb-${suffix}-new`,
};
const DRAFT = 'qwen2.5-0.5b-instruct';
const TARGET = 'qwen2.5-7b-instruct';
/** Label of the fake nodes this suite adds (the "new class"), so the second deployment sees only them. */
const FLEET_LABEL = 'configspec.io/test-fleet';
const addedNodes = [`rb-${suffix}-new-0`, `rb-${suffix}-new-1`];

function sdd(name: string, edge: object, extra: { policy?: object; profiling?: object } = {}) {
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name, namespace: namespace.name },
    spec: {
      target: { model: { name: TARGET }, verifier: { deviceClass: classes.gpu, replicas: 1, gpusPerReplica: 1 } },
      drafts: [{ model: { name: DRAFT }, quantizations: ['Q4_K_M', 'Q8_0'] }],
      speculation: { k: { min: 1, max: 8 } },
      edge,
      objective: { maximize: 'Goodput' },
      // No hysteresis: every change of objective takes effect at once, as the model predicts it.
      policy: { mode: 'Auto', minImprovementPercent: 0, cooldownSeconds: 0, ...extra.policy },
      profiling: { mode: 'IfMissing', maxConcurrentJobs: 1, ...extra.profiling },
    },
  };
}

const sddApi = (name: string) => sddRef(namespace.name, name);
const readSdd = (name = 'chat') => readDeployment(namespace.name, name);
const patchSpec = (name: string, ops: object[]) => custom.patchNamespacedCustomObject({ ...sddApi(name), body: ops });
const listCluster = async <T>(plural: string) =>
  ((await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items: T[] }).items;
const selections = (s: SpecDecodeDeployment) =>
  Object.fromEntries((s.status?.deviceClasses ?? []).map((c) => [c.name, c.selected]));
const drafter = (cls: string) => apps.readNamespacedDaemonSet({ name: `chat-draft-${cls}`, namespace: namespace.name });
const drafterArgs = (ds: V1DaemonSet) => ds.spec?.template.spec?.containers[0]?.args ?? [];
const kOf = async (cls: string) =>
  (await core.readNamespacedConfigMap({ name: `chat-k-${cls}`, namespace: namespace.name })).data?.k;

/** What the planner picks for the stored deployment with the cluster's classes and profiles right now. */
async function predictedSelections(name: string): Promise<Record<string, Configuration | undefined>> {
  const stored = await readSdd(name);
  const plan = planDeployment({
    deployment: stored,
    deviceClasses: (await listCluster<DeviceClass>('deviceclasses')).filter((dc) =>
      Object.values(classes).includes(dc.metadata.name),
    ),
    draftProfiles: await listCluster<DraftProfile>('draftprofiles'),
    alignmentProfiles: await listCluster<AlignmentProfile>('alignmentprofiles'),
    now: Date.now(),
  });
  return Object.fromEntries(
    plan.classes.filter((c) => [classes.pi5, classes.orin].includes(c.name)).map((c) => [c.name, c.selected]),
  );
}

describe('the operator with the chart ServiceAccount token', () => {
  let operator: RunningOperator;
  let operatorKubeconfig: string;
  let profilerKubeconfig: string;

  beforeAll(async () => {
    installCrds();
    helmInstall(release, namespace.name, { watchNamespace: namespace.name, replicas: 0 });
    operatorKubeconfig = await serviceAccountKubeconfig(namespace.name, 'configspec-operator');
    profilerKubeconfig = await serviceAccountKubeconfig(namespace.name, 'configspec-profiler');
    await createClasses({ pi5: classes.pi5, orin: classes.orin, gpu: classes.gpu });
    operator = await startOperator(
      operatorConfig(namespace.name, {
        connection: { kubeconfig: operatorKubeconfig },
        leaderElection: leaderElection('rbac-test'),
        // The closed loop's Pod informer needs the chart's pods rule (list, watch).
        servingObserver: { enabled: true, intervalMs: 5_000 },
      }),
    );
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await deleteClasses(classes);
    for (const node of addedNodes) await core.deleteNode({ name: node }).catch(() => {});
    // Profiles of this suite's classes; alignment profiles are shared by draft and target, so they stay.
    for (const profile of await listCluster<DraftProfile>('draftprofiles').catch(() => [])) {
      if (!Object.values(classes).includes(profile.spec.deviceClass)) continue;
      await custom
        .deleteClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'draftprofiles',
          name: profile.metadata.name,
        })
        .catch(() => {});
    }
    helmUninstall(release, namespace.name);
  }, SLOW);

  it('cannot read Secrets, create Pods or write what it does not own (SelfSubjectAccessReview as the operator)', async () => {
    const self = new KubeConfig();
    self.loadFromFile(operatorKubeconfig);
    const authz = self.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, options: { group?: string; ns?: string; sub?: string } = {}) =>
      (
        await authz.createSelfSubjectAccessReview({
          body: {
            spec: {
              resourceAttributes: {
                verb,
                resource,
                group: options.group ?? '',
                namespace: options.ns,
                subresource: options.sub,
              },
            },
          },
        })
      ).status?.allowed ?? false;
    const ns = namespace.name;
    const denied: [string, string, { group?: string; ns?: string; sub?: string }][] = [
      ['get', 'secrets', { ns }],
      ['list', 'secrets', { ns }],
      ['watch', 'secrets', {}],
      ['list', 'secrets', {}],
      ['create', 'pods', { ns }],
      ['create', 'pods', { ns, sub: 'exec' }],
      ['create', 'serviceaccounts', { ns, sub: 'token' }],
      ['create', 'rolebindings', { group: 'rbac.authorization.k8s.io', ns }],
      ['create', 'clusterrolebindings', { group: 'rbac.authorization.k8s.io' }],
      ['patch', 'namespaces', {}],
      ['patch', 'nodes', {}],
      ['update', 'deviceclasses', { group: GROUP }],
      ['patch', 'specdecodedeployments', { group: GROUP, ns }],
      ['delete', 'specdecodedeployments', { group: GROUP, ns }],
      ['patch', 'draftprofiles', { group: GROUP, sub: 'status' }],
      ['delete', 'deployments', { group: 'apps', ns }],
      // Workloads only in the watched namespace (watchNamespace), Jobs and Leases only in its own.
      ['patch', 'daemonsets', { group: 'apps', ns: 'default' }],
      ['create', 'jobs', { group: 'batch', ns: 'default' }],
      ['update', 'leases', { group: 'coordination.k8s.io', ns: 'default' }],
    ];
    const allowed: typeof denied = [
      ['patch', 'daemonsets', { group: 'apps', ns }],
      ['create', 'jobs', { group: 'batch', ns }],
      ['patch', 'specdecodedeployments', { group: GROUP, ns, sub: 'status' }],
      ['list', 'nodes', {}],
      ['watch', 'pods', { ns }],
    ];
    const answers = async (cases: typeof denied) =>
      Promise.all(cases.map(async ([verb, resource, o]) => [verb, resource, o, await can(verb, resource, o)]));
    expect((await answers(denied)).filter((a) => a[3])).toEqual([]);
    expect((await answers(allowed)).filter((a) => !a[3])).toEqual([]);
  });

  it(
    'runs the verifier and a bounded number of profiling Jobs, then selects per class and is Ready once profiles are written',
    async () => {
      await custom.createNamespacedCustomObject({
        ...sddApi('chat'),
        body: sdd('chat', { deviceClasses: [classes.pi5, classes.orin] }),
      });
      await eventually(
        'a verifier pod on the GPU node',
        async () => {
          const pods = await core.listNamespacedPod({
            namespace: namespace.name,
            labelSelector: 'app.kubernetes.io/instance=chat,app.kubernetes.io/component=verifier',
          });
          return pods.items.some((p) => p.spec?.nodeName === 'nvidia-a100-80gb-0');
        },
        120_000,
      );
      // 2 classes × 2 quantisations of draft profiles, 2 alignment profiles; maxConcurrentJobs 1.
      const jobs = await eventually('a profiling Job', async () => {
        const list = await batch.listNamespacedJob({
          namespace: namespace.name,
          labelSelector: 'app.kubernetes.io/component=profiler',
        });
        return list.items.length > 0 ? list.items : undefined;
      });
      const profiles = await eventually('the four draft profiles', async () => {
        const mine = (await listCluster<DraftProfile>('draftprofiles')).filter((p) =>
          [classes.pi5, classes.orin].includes(p.spec.deviceClass),
        );
        return mine.length === 4 ? mine : undefined;
      });
      const profiling = await eventually('profiling progress in status', async () => {
        const s = await readSdd();
        return s.status?.profiling?.total ? s.status.profiling : undefined;
      });
      // Alignment profiles are shared across deployments and may be fresh already (from an earlier run).
      expect(profiling.total).toBe(6);
      expect(profiling.completed).toBeLessThanOrEqual(2);
      expect(condition(await readSdd(), 'Profiled')?.status).toBe('False');
      // kwok completes Job pods at once (without writing a profile), so Jobs come and go; never more than
      // maxConcurrentJobs (1) may be unfinished at once, while one after another gets its turn.
      // A Job has finished once it met its success or failure criteria (the terminal conditions of the Job API).
      const seen = new Set<string>();
      let mostUnfinished = 0;
      // Sampled until three Jobs have had their turn (kwok's pace sets how long that takes; 60 s at most).
      for (const until = Date.now() + 60_000; Date.now() < until && seen.size < 3;) {
        const list = await batch.listNamespacedJob({
          namespace: namespace.name,
          labelSelector: 'app.kubernetes.io/component=profiler',
        });
        for (const job of list.items) seen.add(job.metadata!.name!);
        const unfinished = list.items.filter(
          (job) =>
            !(job.status?.conditions ?? []).some(
              (c) =>
                ['Complete', 'Failed', 'SuccessCriteriaMet', 'FailureTarget'].includes(c.type) && c.status === 'True',
            ),
        );
        mostUnfinished = Math.max(mostUnfinished, unfinished.length);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(mostUnfinished).toBeLessThanOrEqual(1);
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect(jobs[0]!.spec?.template.spec?.serviceAccountName).toBe('configspec-profiler');

      // The profiler's results, written as the profiler writes them, with the profiler's own token.
      const profilerRest = connect({ kubeconfig: profilerKubeconfig });
      const measuredAt = new Date().toISOString();
      for (const profile of profiles) {
        const q8 = profile.spec.quantization === 'Q8_0';
        await writeProfileStatus(
          {
            kind: 'DraftProfile',
            name: profile.metadata.name,
            status: {
              draftSecondsIntercept: 0.002,
              draftSecondsPerToken: (q8 ? 0.07 : 0.04) * (profile.spec.deviceClass === classes.orin ? 0.5 : 1),
              samples: 50,
              powerDraftingWatts: q8 ? 5 : 8,
              powerIdleWatts: 2.5,
              powerSource: 'Sensor',
              rttSeconds: 0.02,
              measuredAt,
              node: 'kwok',
            },
          },
          profilerRest,
        );
      }
      const alignment = await eventually('the two alignment profiles', async () => {
        const found = (await listCluster<AlignmentProfile>('alignmentprofiles')).filter(
          (p) => p.spec.draft === DRAFT && p.spec.target === TARGET && p.spec.promptSet === 'builtin',
        );
        return found.length === 2 ? found : undefined;
      });
      for (const profile of alignment) {
        await writeProfileStatus(
          {
            kind: 'AlignmentProfile',
            name: profile.metadata.name,
            status: {
              acceptanceRate: profile.spec.quantization === 'Q8_0' ? 0.8 : 0.55,
              samples: 100,
              verifySecondsIntercept: 0.03,
              verifySecondsPerToken: 0.002,
              measuredAt,
            },
          },
          profilerRest,
        );
      }

      const ready = await eventually(
        'Profiled=True and Ready=True',
        async () => {
          const s = await readSdd();
          return condition(s, 'Profiled')?.status === 'True' && condition(s, 'Ready')?.status === 'True'
            ? s
            : undefined;
        },
        120_000,
      );
      expect(condition(ready, 'Profiled')).toMatchObject({ status: 'True', reason: 'ProfilesMeasured' });
      expect(ready.status?.profiling).toMatchObject({ total: 6, completed: 6 });
      for (const cls of ready.status?.deviceClasses ?? []) {
        expect(cls.basis).toEqual({
          draftSpeed: 'Measured',
          acceptance: 'Measured',
          power: 'Measured',
          network: 'Measured',
          verification: 'Measured',
        });
      }
      expect(selections(ready)).toEqual(await predictedSelections('chat'));
      for (const cls of [classes.pi5, classes.orin]) {
        expect(drafterArgs(await drafter(cls))).toContain(selections(ready)[cls]!.quantization);
        expect(await kOf(cls)).toBe(String(selections(ready)[cls]!.k));
      }
    },
    SLOW,
  );

  it(
    'changing the objective changes the selection as the model predicts, and the drafters follow',
    async () => {
      const before = selections(await readSdd());
      await patchSpec('chat', [{ op: 'replace', path: '/spec/objective/maximize', value: 'CostEfficiency' }]);
      const after = await eventually('a selection for CostEfficiency', async () => {
        const s = await readSdd();
        return s.status?.observedGeneration === s.metadata.generation && condition(s, 'Ready')?.status === 'True'
          ? s
          : undefined;
      });
      const predicted = await predictedSelections('chat');
      expect(selections(after)).toEqual(predicted);
      expect(selections(after)).not.toEqual(before);
      for (const cls of [classes.pi5, classes.orin]) {
        await eventually(`${cls} drafter and K follow`, async () => {
          const args = drafterArgs(await drafter(cls));
          return args.includes(predicted[cls]!.quantization) && (await kOf(cls)) === String(predicted[cls]!.k);
        });
      }
    },
    SLOW,
  );

  it(
    'in Recommend mode changes status only: the drafter workloads stay as they were',
    async () => {
      const daemonSets = await Promise.all([classes.pi5, classes.orin].map(drafter));
      const ks = await Promise.all([classes.pi5, classes.orin].map(kOf));
      const before = selections(await readSdd());
      await patchSpec('chat', [
        { op: 'replace', path: '/spec/policy/mode', value: 'Recommend' },
        { op: 'replace', path: '/spec/objective/maximize', value: 'Goodput' },
      ]);
      const recommended = await eventually('a recommendation for Goodput', async () => {
        const s = await readSdd();
        return s.status?.observedGeneration === s.metadata.generation &&
          condition(s, 'ConfigurationSelected')?.reason === 'Recommended'
          ? s
          : undefined;
      });
      expect(selections(recommended)).toEqual(await predictedSelections('chat'));
      expect(selections(recommended)).not.toEqual(before);
      expect(condition(recommended, 'DraftsAvailable')?.reason).toBe('RecommendOnly');
      // Let a few passes go by, then the workloads must be untouched.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const after = await Promise.all([classes.pi5, classes.orin].map(drafter));
      // generation counts spec changes (status updates by the DaemonSet controller do not bump it).
      expect(after.map((d) => [d.metadata?.generation, drafterArgs(d)])).toEqual(
        daemonSets.map((d) => [d.metadata?.generation, drafterArgs(d)]),
      );
      expect(await Promise.all([classes.pi5, classes.orin].map(kOf))).toEqual(ks);
    },
    SLOW,
  );

  it(
    'in Pinned mode applies the pin to every class',
    async () => {
      const pin = { draft: DRAFT, quantization: 'Q8_0', k: 5 };
      await patchSpec('chat', [
        { op: 'replace', path: '/spec/policy/mode', value: 'Pinned' },
        { op: 'add', path: '/spec/policy/pinned', value: pin },
      ]);
      for (const cls of [classes.pi5, classes.orin]) {
        await eventually(`${cls} runs the pin`, async () => {
          return drafterArgs(await drafter(cls)).includes('Q8_0') && (await kOf(cls)) === '5';
        });
      }
      const pinned = await eventually('status shows the pin', async () => {
        const s = await readSdd();
        return condition(s, 'ConfigurationSelected')?.reason === 'Pinned' ? s : undefined;
      });
      expect(selections(pinned)).toEqual({ [classes.orin]: pin, [classes.pi5]: pin });
    },
    SLOW,
  );

  it(
    'reports Infeasible with the best achievable numbers when no configuration meets a constraint',
    async () => {
      await patchSpec('chat', [
        { op: 'replace', path: '/spec/policy/mode', value: 'Auto' },
        { op: 'remove', path: '/spec/policy/pinned' },
        { op: 'add', path: '/spec/objective/constraints', value: { minGoodputTokensPerSecond: 100000 } },
      ]);
      const infeasible = await eventually('Infeasible=True', async () => {
        const s = await readSdd();
        return condition(s, 'Infeasible')?.status === 'True' ? s : undefined;
      });
      const message = condition(infeasible, 'Infeasible')!.message;
      expect(condition(infeasible, 'Infeasible')?.reason).toBe('ConstraintsUnmet');
      expect(message).toContain(classes.pi5);
      expect(message).toContain(classes.orin);
      // The best achievable goodput, as a number, next to the 100000 asked for.
      expect(message).toMatch(/no configuration reaches 100000 tok\/s; the best is \d+\.\d+ tok\/s/);
      expect(condition(infeasible, 'Ready')?.status).toBe('False');
    },
    SLOW,
  );

  it(
    'gives nodes of a new device class their drafter DaemonSet',
    async () => {
      // A second deployment whose edge is only this suite's own fake nodes; they match no class at first.
      for (const name of addedNodes) {
        await core.createNode({
          body: {
            metadata: {
              name,
              labels: { [LABEL]: classes.added, [FLEET_LABEL]: suffix, 'kubernetes.io/arch': 'arm64', type: 'kwok' },
              annotations: { 'kwok.x-k8s.io/node': 'fake' },
            },
            status: {
              capacity: { cpu: '4', memory: '8Gi', pods: '110' },
              allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
            },
          },
        });
      }
      await custom.createNamespacedCustomObject({
        ...sddApi('fleet'),
        body: sdd('fleet', { nodeSelector: { [FLEET_LABEL]: suffix } }, { profiling: { mode: 'Never' } }),
      });
      await eventually('the new nodes reported as unclassified', async () => {
        const s = await readSdd('fleet');
        return JSON.stringify(s.status?.unclassifiedNodes?.names) === JSON.stringify(addedNodes);
      });
      await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'deviceclasses',
        body: deviceClass(classes.added, 'Edge', classes.added),
      });
      const pods = await eventually(
        'drafter pods on both new nodes',
        async () => {
          const list = await core.listNamespacedPod({
            namespace: namespace.name,
            labelSelector: `app.kubernetes.io/instance=fleet,app.kubernetes.io/component=drafter`,
          });
          const nodes = list.items.map((p) => p.spec?.nodeName ?? '').sort();
          return JSON.stringify(nodes) === JSON.stringify(addedNodes) ? list.items : undefined;
        },
        120_000,
      );
      expect(pods.every((p) => p.metadata?.labels?.[LABEL] === classes.added)).toBe(true);
      const fleet = await readSdd('fleet');
      expect(fleet.status?.unclassifiedNodes).toBeUndefined();
      expect(fleet.status?.deviceClasses?.map((c) => [c.name, c.nodes])).toEqual([[classes.added, 2]]);
    },
    SLOW,
  );

  it('was never refused by the apiserver: the chart grants all it used', async () => {
    const requests = (await operator.metrics.apiserverRequests.get()).values;
    const refused = requests.filter((v) => ['401', '403'].includes(String(v.labels.code)));
    expect(refused.map((v) => `${v.labels.verb} ${v.labels.resource} ${v.labels.code}`)).toEqual([]);
    // It did write with these rights: status, owned workloads, profiles, Jobs, events, its Lease.
    const written = new Set(Object.keys(await operator.metrics.writeRequestsByResource([])));
    for (const write of [
      'apply specdecodedeployments/status',
      'apply deviceclasses/status',
      'apply daemonsets',
      'apply configmaps',
      'apply deployments',
      'apply services',
      'create draftprofiles',
      'create jobs',
      'create events',
      'update leases',
    ]) {
      expect({ write, done: written.has(write) }).toEqual({ write, done: true });
    }
  });

  it('created only pods that pass Pod Security "restricted"', async () => {
    const pods = (await core.listNamespacedPod({ namespace: namespace.name })).items;
    const components = new Set(pods.map((p) => p.metadata?.labels?.['app.kubernetes.io/component']));
    expect([...components]).toEqual(expect.arrayContaining(['drafter', 'profiler', 'verifier']));
    // The namespace enforces restricted, so these pods were admitted under it; re-checking says so explicitly.
    const check = kubectl([
      'label',
      '--dry-run=server',
      '--overwrite',
      `namespace/${namespace.name}`,
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(check.status).toBe(0);
    expect(check.stderr).not.toMatch(/violate|Warning/i);
  });
});
