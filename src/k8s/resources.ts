// The resource types the operator touches, with their REST plurals. An explicit table instead of discovery:
// the operator only ever handles these kinds, and a typo fails loudly at the first call.
import { API_VERSION } from '../api/types.js';
import type { ObjectRef, ResourceType } from '../controller/ports.js';

function type(apiVersion: string, kind: string, plural: string, namespaced: boolean): ResourceType {
  return { apiVersion, kind, plural, namespaced };
}

export const RESOURCES = {
  specDecodeDeployment: type(API_VERSION, 'SpecDecodeDeployment', 'specdecodedeployments', true),
  deviceClass: type(API_VERSION, 'DeviceClass', 'deviceclasses', false),
  draftProfile: type(API_VERSION, 'DraftProfile', 'draftprofiles', false),
  alignmentProfile: type(API_VERSION, 'AlignmentProfile', 'alignmentprofiles', false),
  node: type('v1', 'Node', 'nodes', false),
  pod: type('v1', 'Pod', 'pods', true),
  service: type('v1', 'Service', 'services', true),
  configMap: type('v1', 'ConfigMap', 'configmaps', true),
  serviceAccount: type('v1', 'ServiceAccount', 'serviceaccounts', true),
  deployment: type('apps/v1', 'Deployment', 'deployments', true),
  daemonSet: type('apps/v1', 'DaemonSet', 'daemonsets', true),
  job: type('batch/v1', 'Job', 'jobs', true),
  role: type('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  roleBinding: type('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  clusterRole: type('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  clusterRoleBinding: type('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  lease: type('coordination.k8s.io/v1', 'Lease', 'leases', true),
  event: type('events.k8s.io/v1', 'Event', 'events', true),
} as const satisfies Record<string, ResourceType>;

const byApiVersionKind = new Map<string, ResourceType>(
  Object.values(RESOURCES).map((t) => [`${t.apiVersion}/${t.kind}`, t]),
);

/** The resource type of an object or reference; throws for kinds the operator does not handle. */
export function resourceTypeOf(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): ResourceType {
  const found = byApiVersionKind.get(`${ref.apiVersion}/${ref.kind}`);
  if (!found) throw new Error(`The operator does not handle ${ref.kind} (${ref.apiVersion})`);
  return found;
}

/** The REST path of a collection or of one object: /api/v1/namespaces/ns/pods[/name]. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  const prefix = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  if (type.namespaced && namespace === undefined && name !== undefined) {
    throw new Error(`${type.kind} ${name} is namespaced; a namespace is required`);
  }
  const scope = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${prefix}${scope}/${type.plural}${object}`;
}
