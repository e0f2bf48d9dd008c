// The profiler's identity, installed once with the operator (the chart renders the same objects): a
// ServiceAccount in the operator's namespace and a ClusterRole that lets it read DraftProfiles and
// AlignmentProfiles (cluster-scoped) and patch their status, nothing else: no list or watch, no spec writes,
// no Secrets, no wildcards. Cluster-scoped profiles need a ClusterRoleBinding, which a namespaced
// SpecDecodeDeployment cannot own; hence one static identity rather than one per deployment.
import { GROUP } from '../api/types.js';
import type { KubeObject } from '../controller/ports.js';
import { LABELS, MANAGED_BY } from './metadata.js';

export const PROFILER_SERVICE_ACCOUNT = 'configspec-profiler';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ProfilerIdentity {
  serviceAccount: KubeObject;
  clusterRole: KubeObject & { rules: PolicyRule[] };
  clusterRoleBinding: KubeObject & {
    roleRef: { apiGroup: string; kind: 'ClusterRole'; name: string };
    subjects: { kind: 'ServiceAccount'; name: string; namespace: string }[];
  };
}

export const PROFILER_RULES: readonly PolicyRule[] = [
  { apiGroups: [GROUP], resources: ['draftprofiles', 'alignmentprofiles'], verbs: ['get'] },
  { apiGroups: [GROUP], resources: ['draftprofiles/status', 'alignmentprofiles/status'], verbs: ['get', 'patch'] },
];

export function buildProfilerIdentity(operatorNamespace: string): ProfilerIdentity {
  const labels = { [LABELS.name]: 'configspec', [LABELS.component]: 'profiler', [LABELS.managedBy]: MANAGED_BY };
  return {
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: PROFILER_SERVICE_ACCOUNT, namespace: operatorNamespace, labels },
      // Only profiling pods, which opt in, mount a token.
      automountServiceAccountToken: false,
    },
    clusterRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: PROFILER_SERVICE_ACCOUNT, labels },
      rules: PROFILER_RULES.map((rule) => ({
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        verbs: [...rule.verbs],
      })),
    },
    clusterRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: PROFILER_SERVICE_ACCOUNT, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PROFILER_SERVICE_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: PROFILER_SERVICE_ACCOUNT, namespace: operatorNamespace }],
    },
  };
}
