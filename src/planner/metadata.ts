// Labels and owner references shared by every object the operator creates for a SpecDecodeDeployment.
import type { SpecDecodeDeployment } from '../api/types.js';
import type { OwnerReference } from '../controller/ports.js';
import { labelValue } from './naming.js';

export const MANAGED_BY = 'configspec-operator';
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  deployment: 'configspec.io/deployment',
  deviceClass: 'configspec.io/device-class',
  profile: 'configspec.io/profile',
} as const;

export type Component = 'verifier' | 'drafter' | 'profiler' | 'prefetch';

/**
 * The labels a workload selects its pods by. They never change for a given object (a Deployment's or
 * DaemonSet's selector is immutable), so they hold identity only.
 */
export function selectorLabels(sdd: SpecDecodeDeployment, component: Component, deviceClass?: string) {
  const labels: Record<string, string> = {
    [LABELS.name]: 'configspec',
    [LABELS.instance]: labelValue(sdd.metadata.name),
    [LABELS.component]: component,
  };
  if (deviceClass !== undefined) labels[LABELS.deviceClass] = labelValue(deviceClass);
  return labels;
}

/** Selector labels plus the descriptive ones. */
export function standardLabels(sdd: SpecDecodeDeployment, component: Component, deviceClass?: string) {
  return {
    ...selectorLabels(sdd, component, deviceClass),
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.partOf]: 'configspec',
    [LABELS.deployment]: labelValue(sdd.metadata.name),
  };
}

/** Makes the SpecDecodeDeployment the controlling owner, so garbage collection deletes what it owns. */
export function ownerReference(sdd: SpecDecodeDeployment): OwnerReference {
  if (!sdd.metadata.uid) {
    throw new Error(`SpecDecodeDeployment ${sdd.metadata.name} has no uid; build workloads from the stored object`);
  }
  return {
    apiVersion: sdd.apiVersion,
    kind: sdd.kind,
    name: sdd.metadata.name,
    uid: sdd.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function namespaceOf(sdd: SpecDecodeDeployment): string {
  if (!sdd.metadata.namespace) throw new Error(`SpecDecodeDeployment ${sdd.metadata.name} has no namespace`);
  return sdd.metadata.namespace;
}
