// The Helm chart: its RBAC is exactly the rules the code declares (src/planner/rbac.ts), without wildcards or
// Secrets; config/operator/ is the chart rendered; values.schema.json refuses bad values; the optional parts
// render and the apiserver accepts them; and `helm install` into a namespace that enforces Pod Security
// "restricted" gets its operator pods admitted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type V1Container } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  OPERATOR_CLUSTER_RULES,
  OPERATOR_WORKLOAD_RULES,
  buildProfilerIdentity,
  operatorNamespaceRules,
  type PolicyRule,
} from '../../src/planner/rbac.js';
import { CHART, helmInstall, helmUninstall } from '../support/chart.js';
import { kubectl, repoRoot, runTool } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';

const SLOW = 120_000;
const admin = testKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const apps = admin.makeApiClient(AppsV1Api);
const namespace = useTestNamespace('chart', { 'pod-security.kubernetes.io/enforce': 'restricted' });

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
  automountServiceAccountToken?: boolean;
  [field: string]: unknown;
}

function template(args: string[] = [], ns = 'configspec-system'): { status: number; stdout: string; stderr: string } {
  return runTool('helm', ['template', 'configspec', CHART, '--namespace', ns, ...args]);
}

function render(args: string[] = [], ns = 'configspec-system'): Manifest[] {
  const result = template(args, ns);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const find = (manifests: Manifest[], kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);

describe('the chart', () => {
  it('grants exactly the rules of src/planner/rbac.ts, with no wildcard and no Secret', () => {
    const manifests = render();
    expect(find(manifests, 'ClusterRole', 'configspec-operator-configspec-system')?.rules).toEqual(
      OPERATOR_CLUSTER_RULES,
    );
    expect(find(manifests, 'ClusterRole', 'configspec-operator-configspec-system-workloads')?.rules).toEqual(
      OPERATOR_WORKLOAD_RULES,
    );
    expect(find(manifests, 'Role', 'configspec-operator')?.rules).toEqual(
      operatorNamespaceRules('configspec-operator'),
    );
    // The profiler identity of src/planner/rbac.ts (its cluster-scoped names carry the namespace in the chart).
    const identity = buildProfilerIdentity('configspec-system');
    expect(find(manifests, 'ClusterRole', 'configspec-profiler-configspec-system')?.rules).toEqual(
      identity.clusterRole.rules,
    );
    expect(find(manifests, 'ClusterRoleBinding', 'configspec-profiler-configspec-system')?.subjects).toEqual(
      identity.clusterRoleBinding.subjects,
    );
    const profiler = find(manifests, 'ServiceAccount', identity.serviceAccount.metadata.name);
    expect(profiler?.automountServiceAccountToken).toBe(identity.serviceAccount.automountServiceAccountToken);
    const rules = manifests.flatMap((m) => m.rules ?? []);
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs].filter((s) => s.includes('*'))).toEqual([]);
      expect(rule.resources.filter((r) => r.startsWith('secrets'))).toEqual([]);
      // Pods only listed and watched (the closed loop's discovery), no subresource (exec, log, proxy).
      if (rule.resources.some((r) => r.startsWith('pods')))
        expect(rule).toMatchObject({ resources: ['pods'], verbs: ['list', 'watch'] });
    }
    // Workload access cluster-wide by default; in the watched namespace alone with watchNamespace.
    expect(find(manifests, 'ClusterRoleBinding', 'configspec-operator-configspec-system-workloads')).toBeDefined();
    const scoped = render(['--set', 'watchNamespace=team-a']);
    expect(find(scoped, 'ClusterRoleBinding', 'configspec-operator-configspec-system-workloads')).toBeUndefined();
    expect(find(scoped, 'RoleBinding', 'configspec-operator-workloads')).toMatchObject({
      metadata: { namespace: 'team-a' },
      roleRef: { kind: 'ClusterRole', name: 'configspec-operator-configspec-system-workloads' },
    });
  });

  it('runs the operator restricted, with probes, resources and leader election', () => {
    const deployment = find(render(['--set', 'replicas=2']), 'Deployment', 'configspec-operator') as unknown as {
      spec: { replicas: number; template: { spec: { securityContext: object; containers: V1Container[] } } };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.resources?.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(container.args).toEqual(
      expect.arrayContaining([
        'operator',
        '--lease-name=configspec-operator',
        '--lease-duration=15',
        '--renew-deadline=10',
        '--retry-period=2',
      ]),
    );
  });

  it('config/operator/operator.yaml is the chart rendered for configspec-system (make chart-files)', () => {
    const rendered = template();
    expect(rendered.status).toBe(0);
    const file = readFileSync(join(repoRoot, 'config', 'operator', 'operator.yaml'), 'utf8');
    expect(file.endsWith(rendered.stdout)).toBe(true);
    expect(file.slice(0, file.length - rendered.stdout.length)).toContain('kind: Namespace');
  });

  it('refuses values that values.schema.json rules out', () => {
    for (const bad of [
      'replicas=-1',
      'logLevel=loud',
      'image.pullPolicy=Sometimes',
      'metrics.port=0',
      'leaderElection.enabled=maybe',
      'watchNamespace=Not_A_Namespace',
      'replica=2',
    ]) {
      const result = template(['--set', bad]);
      expect({ bad, status: result.status }).toEqual({ bad, status: 1 });
      expect(result.stderr).toContain('values don');
    }
  });

  it(
    'renders the optional ServiceMonitor and catalog DeviceClasses, which the apiserver accepts',
    () => {
      expect(find(render(), 'ServiceMonitor', 'configspec-operator')).toBeUndefined();
      expect(
        find(render(['--set', 'metrics.serviceMonitor.enabled=true']), 'ServiceMonitor', 'configspec-operator'),
      ).toBeDefined();
      installCrds();
      const withClasses = template(['--set', 'deviceClasses.install=true']);
      const classes = parseAllDocuments(withClasses.stdout)
        .map((d) => d.toJS() as Manifest | null)
        .filter((m) => m?.kind === 'DeviceClass') as Manifest[];
      expect(classes.map((c) => c.metadata.name)).toContain('jetson-orin-nano-8gb');
      expect(classes.length).toBe(9);
      expect(classes.every((c) => c.metadata.annotations?.['helm.sh/resource-policy'] === 'keep')).toBe(true);
      const applied = kubectl(
        ['apply', '--dry-run=server', '-f', '-'],
        classes.map((c) => JSON.stringify(c)).join('\n'),
      );
      expect(applied.stderr).toBe('');
      expect(applied.stdout.match(/created \(server dry run\)|configured \(server dry run\)|unchanged/g)?.length).toBe(
        9,
      );
      const some = render([
        '--set',
        'deviceClasses.install=true',
        '--set',
        'deviceClasses.names={raspberry-pi-5,nvidia-l4}',
      ]);
      expect(some.filter((m) => m.kind === 'DeviceClass').map((m) => m.metadata.name)).toEqual([
        'nvidia-l4',
        'raspberry-pi-5',
      ]);
    },
    SLOW,
  );

  describe('helm install into a namespace enforcing Pod Security "restricted"', () => {
    const release = `chart-${Date.now().toString(36)}`;

    afterAll(() => helmUninstall(release, namespace.name));

    it(
      'creates the operator pods, which pass "restricted"',
      async () => {
        const notes = helmInstall(release, namespace.name, { replicas: 2 });
        expect(notes).toContain('The ConfigSpec operator 0.1.0 is installed');
        const pods = await eventually(
          'two operator pods',
          async () => {
            const list = await core.listNamespacedPod({
              namespace: namespace.name,
              labelSelector: `app.kubernetes.io/instance=${release}`,
            });
            return list.items.length === 2 ? list.items : undefined;
          },
          60_000,
        );
        expect(pods.every((p) => p.spec?.serviceAccountName === 'configspec-operator')).toBe(true);
        const replicaSets = await apps.listNamespacedReplicaSet({ namespace: namespace.name });
        expect(replicaSets.items.length).toBe(1);
        const check = kubectl([
          'label',
          '--dry-run=server',
          '--overwrite',
          `namespace/${namespace.name}`,
          'pod-security.kubernetes.io/enforce=restricted',
        ]);
        expect(check.status).toBe(0);
        expect(check.stderr).not.toMatch(/violate|Warning/i);
      },
      SLOW,
    );
  });
});
