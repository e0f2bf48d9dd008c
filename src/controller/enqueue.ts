// Which reconcile keys an informer event concerns. Events carry no meaning beyond "look again": the
// reconcilers are level-triggered, so mapping generously (every deployment when a Node changes) is safe and
// the queue's deduplication keeps it cheap.
import type { KubeObject } from './ports.js';

/** namespace/name, the key of a SpecDecodeDeployment. */
export function objectKey(object: Pick<KubeObject, 'metadata'>): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** The SpecDecodeDeployment that controls an owned object, if any. */
export function controllingDeploymentKey(object: Pick<KubeObject, 'metadata'>): string | undefined {
  const owner = (object.metadata.ownerReferences ?? []).find(
    (r) => r.controller && r.kind === 'SpecDecodeDeployment' && r.apiVersion.startsWith('configspec.io/'),
  );
  return owner && object.metadata.namespace ? `${object.metadata.namespace}/${owner.name}` : undefined;
}
