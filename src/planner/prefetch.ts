// The pre-fetch DaemonSet of one edge device class: on every node of the class, a pod whose init container asks
// the node cache agent for the selected draft file (download once per node, verified, no copy) and whose only
// container then idles. Its pods' readiness is the per-node "model ready" signal: numberReady of this DaemonSet
// is the status's model.readyNodes, and the rollout gate (decideRollout) switches drafters only when it covers
// every node. While it runs, its pods pin the file in each node's cache, so eviction cannot take it. The
// reconciler runs it only while a model change is delivered (a first rollout's drafters fetch their own file).
import type { Configuration, DeviceClass } from '../api/types.js';
import { namespaceOf, ownerReference, selectorLabels, standardLabels } from './metadata.js';
import { draftFileSource, fetchStep, MODEL_ANNOTATION, modelAnnotation } from './model-delivery.js';
import { boundedName } from './naming.js';
import { conjoinNodeSelectors, containerSecurityContext, podSecurityContext, tolerationsOf } from './pod-template.js';
import type { DaemonSetObject } from './shapes.js';
import type { BuildContext } from './workloads.js';

export function prefetchName(sdd: string, deviceClass: string): string {
  return boundedName([sdd, 'prefetch', deviceClass]);
}

export function buildPrefetchDaemonSet(
  context: BuildContext,
  edgeClass: DeviceClass,
  selection: Pick<Configuration, 'draft' | 'quantization'>,
): DaemonSetObject {
  const { sdd } = context;
  const className = edgeClass.metadata.name;
  const candidate = sdd.spec.drafts.find((d) => d.model.name === selection.draft);
  if (!candidate) throw new Error(`Draft ${selection.draft} is not among the drafts of ${sdd.metadata.name}`);
  const step = fetchStep(
    'model',
    candidate.model.name,
    draftFileSource(candidate, selection.quantization, context.modelDelivery?.catalog),
    { image: context.image, imagePullPolicy: context.imagePullPolicy, options: context.modelDelivery },
    false,
  );
  const runtime = edgeClass.spec.runtime;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: prefetchName(sdd.metadata.name, className),
      namespace: namespaceOf(sdd),
      labels: standardLabels(sdd, 'prefetch', className),
      annotations: { [MODEL_ANNOTATION]: modelAnnotation(selection) },
      ownerReferences: [ownerReference(sdd)],
    },
    spec: {
      selector: { matchLabels: selectorLabels(sdd, 'prefetch', className) },
      // All nodes at once: each fetches on its own link, and nothing serves from these pods.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '100%' } },
      template: {
        metadata: { labels: standardLabels(sdd, 'prefetch', className) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          nodeSelector: conjoinNodeSelectors(sdd.spec.edge.nodeSelector, edgeClass.spec.nodeSelector),
          tolerations: tolerationsOf(runtime?.tolerations),
          terminationGracePeriodSeconds: 5,
          initContainers: [step.initContainer],
          containers: [
            {
              name: 'hold',
              image: context.image,
              imagePullPolicy: context.imagePullPolicy ?? 'IfNotPresent',
              command: ['configspec'],
              args: ['model-cache', 'hold'],
              resources: { requests: { cpu: '1m', memory: '16Mi' }, limits: { cpu: '50m', memory: '64Mi' } },
              securityContext: containerSecurityContext(),
              volumeMounts: [],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...step.volumes],
        },
      },
    },
  };
}
