// The profiler's identity: a ServiceAccount per deployment, and a Role that lets it read profiles and patch
// their status, nothing else (no list or watch, no spec writes, no Secrets). Owned by the deployment.
import type { SpecDecodeDeployment } from '../api/types.js';
import { GROUP } from '../api/types.js';
import type { KubeObject } from '../controller/ports.js';
import { namespaceOf, ownerReference, standardLabels } from './metadata.js';
import { names } from './naming.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ProfilerIdentity {
  serviceAccount: KubeObject;
  role: KubeObject & { rules: PolicyRule[] };
  roleBinding: KubeObject & { roleRef: { apiGroup: string; kind: 'Role'; name: string }; subjects: unknown[] };
}

export const PROFILER_RULES: readonly PolicyRule[] = [
  { apiGroups: [GROUP], resources: ['draftprofiles', 'alignmentprofiles'], verbs: ['get'] },
  { apiGroups: [GROUP], resources: ['draftprofiles/status', 'alignmentprofiles/status'], verbs: ['get', 'patch'] },
];

export function buildProfilerIdentity(sdd: SpecDecodeDeployment): ProfilerIdentity {
  const name = names.profiler(sdd.metadata.name);
  const namespace = namespaceOf(sdd);
  const metadata = () => ({
    name,
    namespace,
    labels: standardLabels(sdd, 'profiler'),
    ownerReferences: [ownerReference(sdd)],
  });
  return {
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: metadata(),
      // Only the profiler pods, which opt in, get a token.
      automountServiceAccountToken: false,
    },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: metadata(),
      rules: PROFILER_RULES.map((rule) => ({
        ...rule,
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        verbs: [...rule.verbs],
      })),
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  };
}
