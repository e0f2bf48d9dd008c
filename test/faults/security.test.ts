// Least privilege and hardening, checked on what ships and against the real apiserver:
//   - the rendered chart (helm template, default values and every optional feature on): RBAC without a wildcard
//     verb, resource or API group and without any access to Secrets; the operator pod hardened;
//   - every pod template the operator creates (verifier, drafter, profiling Job) is admitted by Pod Security
//     `restricted` in an enforcing namespace (server-side dry run, so the admission plugin itself judges);
//   - /metrics behind TokenReview + SubjectAccessReview (--metrics-auth, chart value metrics.auth): a
//     ServiceAccount token bound to `get /metrics` gets 200, another ServiceAccount's token 403, garbage 401.
import { randomBytes } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { DeviceClass, SpecDecodeDeployment } from '../../src/api/types.js';
import { applyDefaults } from '../../src/api/validate.js';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { buildProfilingJob } from '../../src/planner/profiling-jobs.js';
import { buildProfileObject } from '../../src/planner/profiling-jobs.js';
import { buildDrafterDaemonSet, buildVerifierDeployment } from '../../src/planner/workloads.js';
import { kubectl, repoRoot, runTool } from '../support/cluster.js';
import { testKubeConfig, useTestNamespace } from '../support/namespace.js';
import { core, operatorConfig, stopOperator } from './fixtures.js';
import { assertFaultCluster, must } from './support.js';

const SLOW = 180_000;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
  resourceNames?: string[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  rules?: Rule[];
  spec?: { template?: { spec?: Record<string, unknown> } };
}

function render(values: string[] = []): Manifest[] {
  const result = runTool('helm', [
    'template',
    'configspec',
    `${repoRoot}/charts/configspec-operator`,
    '--namespace',
    'configspec-system',
    ...values.flatMap((v) => ['--set', v]),
  ]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Manifest)
    .filter(Boolean);
}

function rbacProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  for (const m of manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')) {
    for (const [i, rule] of (m.rules ?? []).entries()) {
      const where = `${m.kind}/${m.metadata.name} rule ${i}`;
      for (const field of ['apiGroups', 'resources', 'verbs', 'nonResourceURLs'] as const) {
        if ((rule[field] ?? []).some((v) => v.includes('*'))) problems.push(`${where}: wildcard in ${field}`);
      }
      if ((rule.resources ?? []).some((r) => r === 'secrets' || r.startsWith('secrets/'))) {
        problems.push(`${where}: grants access to Secrets`);
      }
      if ((rule.verbs ?? []).some((v) => ['escalate', 'bind', 'impersonate'].includes(v))) {
        problems.push(`${where}: grants ${rule.verbs!.join(',')}`);
      }
    }
  }
  return problems;
}

describe('the rendered chart', () => {
  const variants: [string, string[]][] = [
    ['default values', []],
    ['every feature on', ['metrics.auth=true', 'watchNamespace=team-a', 'deviceClasses.install=true', 'replicas=2']],
  ];

  it.each(variants)('%s: RBAC has no wildcard and no Secret access', (_name, values) => {
    const manifests = render(values);
    expect(manifests.some((m) => m.kind === 'ClusterRole')).toBe(true);
    expect(rbacProblems(manifests)).toEqual([]);
  });

  it('the checker itself catches a wildcard and Secret access', () => {
    expect(
      rbacProblems([
        {
          kind: 'ClusterRole',
          metadata: { name: 'bad' },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }],
        },
      ]),
    ).toEqual(['ClusterRole/bad rule 0: wildcard in verbs', 'ClusterRole/bad rule 0: grants access to Secrets']);
  });

  it('metrics.auth=true runs the operator with --metrics-auth and grants exactly the two review APIs', () => {
    const manifests = render(['metrics.auth=true']);
    const operator = manifests.find((m) => m.kind === 'Deployment')!;
    const containers = operator.spec!.template!.spec!.containers as { args?: string[] }[];
    expect(containers[0]!.args).toContain('--metrics-auth');
    const rules = manifests.filter((m) => m.kind === 'ClusterRole').flatMap((m) => m.rules ?? []);
    expect(rules).toEqual(
      expect.arrayContaining([
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ]),
    );
    const plain = render([]);
    const plainArgs = (
      plain.find((m) => m.kind === 'Deployment')!.spec!.template!.spec!.containers as { args?: string[] }[]
    )[0]!.args;
    expect(plainArgs).not.toContain('--metrics-auth');
  });
});

describe('Pod Security restricted, enforced by the apiserver', () => {
  const namespace = useTestNamespace('faults-psa', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });

  beforeAll(async () => {
    assertFaultCluster();
    // Profiling pods run as the profiler's ServiceAccount (the chart installs it in the operator's namespace).
    await core().createNamespacedServiceAccount({
      namespace: namespace.name,
      body: { metadata: { name: 'configspec-profiler' } },
    });
  });

  const sdd = applyDefaults({
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'chat', namespace: 'x', uid: '00000000-0000-0000-0000-000000000001', generation: 1 },
    spec: {
      target: { model: { name: 'qwen2.5-7b-instruct' }, verifier: { deviceClass: 'nvidia-a100-80gb' } },
      drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M'] }],
      speculation: { k: { min: 1, max: 8 } },
      edge: { deviceClasses: ['raspberry-pi-5'] },
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Auto' },
      profiling: { mode: 'IfMissing' },
    },
  }) as SpecDecodeDeployment;
  const edge = applyDefaults({
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'DeviceClass',
    metadata: { name: 'raspberry-pi-5' },
    spec: {
      role: 'Edge',
      nodeSelector: { 'configspec.io/device-class': 'raspberry-pi-5' },
      hardware: { arch: 'arm64', memoryGiB: 8, memoryBandwidthGBps: 17 },
      power: { idleWatts: 3, maxWatts: 12, sensor: 'None' },
      runtime: { tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }] },
    },
  }) as DeviceClass;
  const gpu = applyDefaults({
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'DeviceClass',
    metadata: { name: 'nvidia-a100-80gb' },
    spec: {
      role: 'Verifier',
      nodeSelector: { 'configspec.io/device-class': 'nvidia-a100-80gb' },
      hardware: { arch: 'amd64', memoryGiB: 80, memoryBandwidthGBps: 2039, computeTFLOPS: 312 },
      power: { idleWatts: 60, maxWatts: 400, sensor: 'None' },
    },
  }) as DeviceClass;

  const templates = (): [string, { metadata?: object; spec: Record<string, unknown> }][] => {
    const context = { sdd, image: 'ghcr.io/configspec/configspec:test' };
    const target = {
      kind: 'DraftProfile' as const,
      deviceClass: 'raspberry-pi-5',
      draft: { name: 'qwen2.5-0.5b-instruct' },
      quantization: 'Q4_K_M' as const,
    };
    const profile = buildProfileObject(target);
    profile.metadata.uid = '00000000-0000-0000-0000-000000000002';
    const job = buildProfilingJob({
      profile,
      target,
      node: { name: 'raspberry-pi-5-0', deviceClass: edge },
      verifierEndpoint: 'http://chat-verifier.x.svc:8080',
      namespace: 'x',
      image: 'ghcr.io/configspec/configspec:test',
    } as Parameters<typeof buildProfilingJob>[0]);
    type WithTemplate = { spec: { template: { metadata?: object; spec: Record<string, unknown> } } };
    return [
      ['verifier', (buildVerifierDeployment(context, gpu) as unknown as WithTemplate).spec.template],
      [
        'drafter',
        (
          buildDrafterDaemonSet(context, edge, {
            draft: 'qwen2.5-0.5b-instruct',
            quantization: 'Q4_K_M',
          }) as unknown as WithTemplate
        ).spec.template,
      ],
      ['profiling Job', (job as unknown as WithTemplate).spec.template],
    ];
  };

  it.each(['verifier', 'drafter', 'profiling Job'])('the %s pod is admitted', (which) => {
    const [, template] = templates().find(([name]) => name === which)!;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `psa-${which.replace(/\W+/g, '-').toLowerCase()}`, namespace: namespace.name },
      spec: template.spec,
    };
    const result = kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(pod));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('the same admission rejects a pod that breaks restricted (the check is live)', () => {
    const [, template] = templates()[0]!;
    const spec = structuredClone(template.spec) as { containers: { securityContext?: Record<string, unknown> }[] };
    spec.containers[0]!.securityContext = { ...spec.containers[0]!.securityContext, allowPrivilegeEscalation: true };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'psa-bad', namespace: namespace.name }, spec };
    const result = kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted');
  });
});

describe('/metrics authentication against the apiserver', () => {
  const namespace = useTestNamespace('faults-metrics');
  let operator: RunningOperator | undefined;
  const role = `faults-metrics-reader-${randomBytes(3).toString('hex')}`;
  const rbac = () => testKubeConfig().makeApiClient(RbacAuthorizationV1Api);

  beforeAll(async () => {
    assertFaultCluster();
    for (const name of ['scraper', 'nosy']) {
      await core().createNamespacedServiceAccount({ namespace: namespace.name, body: { metadata: { name } } });
    }
    await rbac().createClusterRole({
      body: { metadata: { name: role }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] },
    });
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: namespace.name }],
      },
    });
    operator = await startOperator(operatorConfig(namespace.name, { metricsAuth: true }));
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await rbac()
      .deleteClusterRoleBinding({ name: role })
      .catch(() => {});
    await rbac()
      .deleteClusterRole({ name: role })
      .catch(() => {});
  }, SLOW);

  const token = (sa: string) => must(kubectl(['create', 'token', sa, '-n', namespace.name, '--duration=10m'])).trim();
  const scrape = (bearer?: string) =>
    fetch(`http://127.0.0.1:${operator!.port}/metrics`, {
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    });

  it(
    '200 for a token allowed to get /metrics, 403 for another identity, 401 without or with a forged token',
    async () => {
      const allowed = await scrape(token('scraper'));
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('configspec_reconcile_total');
      const forbidden = await scrape(token('nosy'));
      expect(forbidden.status).toBe(403);
      expect(await forbidden.text()).toContain(`system:serviceaccount:${namespace.name}:nosy`);
      expect((await scrape()).status).toBe(401);
      expect((await scrape('eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl')).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${operator!.port}/healthz`)).status).toBe(200);
    },
    SLOW,
  );
});
