// Desired state of the serving workloads of one SpecDecodeDeployment, as pure functions of their inputs:
//   - the verifier: a Deployment on nodes of its Verifier DeviceClass (GPUs requested and tolerated) and a
//     ClusterIP Service in front of it;
//   - per edge device class: a drafter DaemonSet pinned to that class's edge nodes, and a ConfigMap with K.
// K lives only in the ConfigMap, which the drafter mounts as a directory and re-reads; nothing about K is in
// the pod template, so changing K never restarts a pod, while a new model or quantisation changes the
// template and rolls the DaemonSet.
import type { Configuration, DeviceClass, SpecDecodeDeployment } from '../api/types.js';
import {
  draftFileSource,
  fetchStep,
  MODEL_ANNOTATION,
  modelAnnotation,
  targetFileSource,
  type ModelDeliveryOptions,
} from './model-delivery.js';
import { namespaceOf, ownerReference, selectorLabels, standardLabels } from './metadata.js';
import { names } from './naming.js';
import {
  conjoinNodeSelectors,
  containerSecurityContext,
  HTTP_PORT,
  mergeTolerations,
  podSecurityContext,
  scratchVolumes,
  servingProbes,
  tolerationsOf,
  type ContainerResources,
} from './pod-template.js';
import type { ConfigMapObject, DaemonSetObject, DeploymentObject, ServiceObject } from './shapes.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';
export const K_MOUNT_DIR = '/etc/configspec/k';
export const K_FILE_KEY = 'k';
export const K_FILE = `${K_MOUNT_DIR}/${K_FILE_KEY}`;

/** What every builder needs besides its own subject. */
export interface BuildContext {
  /** The stored, defaulted SpecDecodeDeployment (it must carry namespace and uid). */
  sdd: SpecDecodeDeployment;
  /** The operator's image; it also holds the agent commands. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Where pods fetch model files (the node cache agent) and the catalog that names files. */
  modelDelivery?: ModelDeliveryOptions;
}

export interface VerifierOptions {
  /** CPU and memory per replica; GPUs come from spec.target.verifier.gpusPerReplica. */
  resources?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  modelCacheSizeLimit?: string;
}

export interface DrafterOptions {
  resources?: ContainerResources;
  modelCacheSizeLimit?: string;
}

export const DEFAULT_VERIFIER_RESOURCES = {
  requests: { cpu: '2', memory: '8Gi' },
  limits: { cpu: '8', memory: '32Gi' },
};

export const DEFAULT_DRAFTER_RESOURCES: ContainerResources = {
  requests: { cpu: '500m', memory: '512Mi' },
  limits: { cpu: '4', memory: '4Gi' },
};

/** The verifier Service's in-cluster URL, which drafters and profilers are given. */
export function verifierEndpoint(sdd: SpecDecodeDeployment): string {
  return `http://${names.verifier(sdd.metadata.name)}.${namespaceOf(sdd)}.svc:${HTTP_PORT}`;
}

export function buildVerifierDeployment(
  context: BuildContext,
  verifierClass: DeviceClass,
  options: VerifierOptions = {},
): DeploymentObject {
  const { sdd } = context;
  if (verifierClass.spec.role !== 'Verifier') {
    throw new Error(`DeviceClass ${verifierClass.metadata.name} has role ${verifierClass.spec.role}, not Verifier`);
  }
  const verifier = sdd.spec.target.verifier;
  const gpus = String(verifier.gpusPerReplica);
  const base = options.resources ?? DEFAULT_VERIFIER_RESOURCES;
  const resources: ContainerResources = {
    requests: { ...base.requests, [GPU_RESOURCE]: gpus },
    limits: { ...base.limits, [GPU_RESOURCE]: gpus },
  };
  const model = fetchStep(
    'model',
    sdd.spec.target.model.name,
    targetFileSource(sdd.spec.target.model, context.modelDelivery?.catalog),
    // Our own image fetches, whatever image serves.
    { image: context.image, imagePullPolicy: context.imagePullPolicy, options: context.modelDelivery },
  );
  const scratch = scratchVolumes(options.modelCacheSizeLimit ?? '200Gi');
  const runtime = verifierClass.spec.runtime;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: names.verifier(sdd.metadata.name),
      namespace: namespaceOf(sdd),
      labels: standardLabels(sdd, 'verifier', verifierClass.metadata.name),
      ownerReferences: [ownerReference(sdd)],
    },
    spec: {
      replicas: verifier.replicas,
      selector: { matchLabels: selectorLabels(sdd, 'verifier') },
      // A GPU is usually all a node has: replace pods one by one rather than surge onto missing GPUs.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: { labels: standardLabels(sdd, 'verifier', verifierClass.metadata.name) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          nodeSelector: { ...verifierClass.spec.nodeSelector },
          tolerations: mergeTolerations(tolerationsOf(runtime?.tolerations), [
            { key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' },
          ]),
          ...(runtime?.runtimeClassName ? { runtimeClassName: runtime.runtimeClassName } : {}),
          initContainers: [model.initContainer],
          containers: [
            {
              name: 'verifier',
              image: verifier.image ?? context.image,
              imagePullPolicy: context.imagePullPolicy ?? 'IfNotPresent',
              command: ['configspec'],
              args: ['verify', ...model.mainArgs, '--port', String(HTTP_PORT)],
              ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
              resources,
              securityContext: containerSecurityContext(),
              volumeMounts: [...scratch.mounts, ...model.mainMounts],
              ...servingProbes(),
            },
          ],
          volumes: [...scratch.volumes, ...model.volumes],
        },
      },
    },
  };
}

export function buildVerifierService(context: BuildContext): ServiceObject {
  const { sdd } = context;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: names.verifier(sdd.metadata.name),
      namespace: namespaceOf(sdd),
      labels: standardLabels(sdd, 'verifier'),
      ownerReferences: [ownerReference(sdd)],
    },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(sdd, 'verifier'),
      ports: [{ name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/**
 * The drafter DaemonSet of one edge device class, running the selected draft model and quantisation.
 * K is deliberately absent: it is read from the class's K ConfigMap (see buildKConfigMap).
 */
export function buildDrafterDaemonSet(
  context: BuildContext,
  edgeClass: DeviceClass,
  selection: Pick<Configuration, 'draft' | 'quantization'>,
  options: DrafterOptions = {},
): DaemonSetObject {
  const { sdd } = context;
  const className = edgeClass.metadata.name;
  if (edgeClass.spec.role !== 'Edge') {
    throw new Error(`DeviceClass ${className} has role ${edgeClass.spec.role}, not Edge`);
  }
  const candidate = sdd.spec.drafts.find((d) => d.model.name === selection.draft);
  if (!candidate) {
    throw new Error(`Draft ${selection.draft} is not among the drafts of ${sdd.metadata.name}`);
  }
  if (!candidate.quantizations.includes(selection.quantization)) {
    throw new Error(`Draft ${selection.draft} is not offered in ${selection.quantization}`);
  }
  const model = fetchStep(
    'model',
    candidate.model.name,
    draftFileSource(candidate, selection.quantization, context.modelDelivery?.catalog),
    { image: context.image, imagePullPolicy: context.imagePullPolicy, options: context.modelDelivery },
  );
  const scratch = scratchVolumes(options.modelCacheSizeLimit ?? '16Gi');
  const runtime = edgeClass.spec.runtime;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: names.drafter(sdd.metadata.name, className),
      namespace: namespaceOf(sdd),
      labels: standardLabels(sdd, 'drafter', className),
      // What the pods run, read back by the rollout gate (src/planner/model-delivery.ts decideRollout).
      annotations: {
        [MODEL_ANNOTATION]: modelAnnotation({ draft: selection.draft, quantization: selection.quantization }),
      },
      ownerReferences: [ownerReference(sdd)],
    },
    spec: {
      selector: { matchLabels: selectorLabels(sdd, 'drafter', className) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: standardLabels(sdd, 'drafter', className) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          nodeSelector: conjoinNodeSelectors(sdd.spec.edge.nodeSelector, edgeClass.spec.nodeSelector),
          tolerations: tolerationsOf(runtime?.tolerations),
          ...(runtime?.runtimeClassName ? { runtimeClassName: runtime.runtimeClassName } : {}),
          initContainers: [model.initContainer],
          containers: [
            {
              name: 'drafter',
              image: context.image,
              imagePullPolicy: context.imagePullPolicy ?? 'IfNotPresent',
              command: ['configspec'],
              args: [
                'draft',
                ...model.mainArgs,
                '--quantization',
                selection.quantization,
                '--verifier',
                verifierEndpoint(sdd),
                '--k-file',
                K_FILE,
                '--port',
                String(HTTP_PORT),
              ],
              ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
              resources: options.resources ?? DEFAULT_DRAFTER_RESOURCES,
              securityContext: containerSecurityContext(),
              volumeMounts: [
                ...scratch.mounts,
                ...model.mainMounts,
                // A directory mount, never subPath: the kubelet updates it in place when the ConfigMap changes.
                { name: 'k', mountPath: K_MOUNT_DIR, readOnly: true },
              ],
              ...servingProbes(),
            },
          ],
          volumes: [
            ...scratch.volumes,
            ...model.volumes,
            {
              name: 'k',
              configMap: {
                name: names.kConfigMap(sdd.metadata.name, className),
                items: [{ key: K_FILE_KEY, path: K_FILE_KEY }],
              },
            },
          ],
        },
      },
    },
  };
}

/** The ConfigMap holding the draft length K for one device class. */
export function buildKConfigMap(context: BuildContext, edgeClassName: string, k: number): ConfigMapObject {
  const { sdd } = context;
  const { min, max } = sdd.spec.speculation.k;
  if (!Number.isInteger(k) || k < min || k > max) {
    throw new Error(`K must be an integer in [${min}, ${max}], got ${k}`);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.kConfigMap(sdd.metadata.name, edgeClassName),
      namespace: namespaceOf(sdd),
      labels: standardLabels(sdd, 'drafter', edgeClassName),
      ownerReferences: [ownerReference(sdd)],
    },
    data: { [K_FILE_KEY]: String(k) },
  };
}
