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

// The operator's own permissions, derived from what the code does (each rule names its user). The chart's
// templates/rbac.yaml renders exactly these; test/integration/chart.test.ts checks that they agree, and
// test/integration/operator-rbac.test.ts runs the operator with nothing more.
//
// Blocking owner references (blockOwnerDeletion on what a SpecDecodeDeployment or a profile owns) need `update`
// on the owner's finalizers subresource where the OwnerReferencesPermissionEnforcement admission plugin runs.

/** Cluster-scoped inputs, whatever namespaces are watched (ClusterRole, ClusterRoleBinding). */
export const OPERATOR_CLUSTER_RULES: readonly PolicyRule[] = [
  // Informers (src/controller/operator.ts); DeviceClass status (device-class-reconciler.ts).
  { apiGroups: [GROUP], resources: ['deviceclasses'], verbs: ['list', 'watch'] },
  { apiGroups: [GROUP], resources: ['deviceclasses/status'], verbs: ['patch'] },
  // Informers; the profile objects profiling creates (controller/profiling.ts → createIfAbsent).
  { apiGroups: [GROUP], resources: ['draftprofiles', 'alignmentprofiles'], verbs: ['list', 'watch', 'create'] },
  // Profiling Jobs are owned by their profile with blockOwnerDeletion.
  { apiGroups: [GROUP], resources: ['draftprofiles/finalizers', 'alignmentprofiles/finalizers'], verbs: ['update'] },
  // Placement and DeviceClass node counts.
  { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
];

/**
 * The closed loop's pod discovery (src/k8s/pods.ts): an informer over the drafter and verifier pods, narrowed by
 * a label selector, to find the /metrics endpoints to read. Read-only, and list/watch only (no get: the informer
 * never fetches one pod); no pods/exec, pods/log or pods/proxy (the metrics are read from the pod IP directly).
 * The chart leaves it out with servingObserver.enabled=false (operator flag --no-serving-observer).
 */
export const SERVING_OBSERVER_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
];

/**
 * Namespaced kinds in the watched namespaces (a ClusterRole bound cluster-wide, or by a RoleBinding in the one
 * watched namespace). Owned workloads are written by server-side apply (patch; create when absent); drafters
 * and their K ConfigMaps are deleted when their class loses its nodes (reconciler.ts deleteStaleDrafters).
 */
export const OPERATOR_WORKLOAD_RULES: readonly PolicyRule[] = [
  { apiGroups: [GROUP], resources: ['specdecodedeployments'], verbs: ['list', 'watch'] },
  { apiGroups: [GROUP], resources: ['specdecodedeployments/status'], verbs: ['patch'] },
  { apiGroups: [GROUP], resources: ['specdecodedeployments/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch', 'create', 'patch'] },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch', 'create', 'patch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  // Aggregated Events (src/k8s/events.ts): create, then merge-patch the series count.
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ...SERVING_OBSERVER_RULES,
];

/** The operator's own namespace (Role): its leader-election Lease and the profiling Jobs. */
export function operatorNamespaceRules(leaseName: string): PolicyRule[] {
  return [
    // src/k8s/lease.ts: create once, then get and update (PUT with the resourceVersion read) only that Lease.
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [leaseName] },
    // Informer; createIfAbsent; stale profiles' finished Jobs are deleted to measure again.
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'watch', 'create', 'delete'] },
  ];
}
