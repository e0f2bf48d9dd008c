// Which reconcile keys an informer event concerns. Events carry no meaning beyond "look again": the
// reconcilers are level-triggered, so a mapping may be generous (a spare reconcile writes nothing), but at fleet
// scale it must not be careless: a Node event that queued every deployment put 100 spare reconciles in front of
// the one that mattered, each time one of 1,000 nodes flipped Ready. Node events therefore go to the
// deployments and classes whose selectors take that node, before or after the change.
import type { DeviceClass, SpecDecodeDeployment } from '../api/types.js';
import { selectorMatches } from '../planner/node-groups.js';
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

type NodeLabels = Pick<KubeObject, 'metadata'>;

/**
 * Keys of the deployments whose edge.nodeSelector takes any of these node versions (the node before and after an
 * update: a node that left a deployment's selection matters to it as much as one that joined). A deployment reads
 * no other node: its classes' nodes are a subset of the nodes its selector takes (src/planner/node-groups.ts).
 */
export function deploymentsSelectingNode(
  deployments: readonly Pick<SpecDecodeDeployment, 'metadata' | 'spec'>[],
  versions: readonly NodeLabels[],
): string[] {
  return deployments
    .filter((sdd) =>
      // A deployment without a readable selector (not yet defaulted, say) takes every node: look again.
      versions.some((node) => selectorMatches(sdd.spec?.edge?.nodeSelector, node.metadata.labels)),
    )
    .map((sdd) => objectKey(sdd as Pick<KubeObject, 'metadata'>));
}

/** Names of the DeviceClasses whose (non-empty) nodeSelector takes any of these node versions. */
export function deviceClassesSelectingNode(
  deviceClasses: readonly Pick<DeviceClass, 'metadata' | 'spec'>[],
  versions: readonly NodeLabels[],
): string[] {
  return deviceClasses
    .filter((dc) => {
      const selector = dc.spec?.nodeSelector ?? {};
      // An empty selector counts no nodes (countClassNodes), so no node changes its status.
      return (
        Object.keys(selector).length > 0 && versions.some((node) => selectorMatches(selector, node.metadata.labels))
      );
    })
    .map((dc) => dc.metadata.name);
}
