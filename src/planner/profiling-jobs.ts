// Desired state for profiling: the profile objects that record measurements, and the Job that measures one
// of them. A Job runs the agent's `profile` command on one chosen node, under the deployment's profiler
// ServiceAccount (allowed only to read and patch profile status), with a bounded retry count and run time.
import type {
  AlignmentProfile,
  DeviceClass,
  DraftProfile,
  ModelRef,
  Quantization,
  SpecDecodeDeployment,
} from '../api/types.js';
import { API_VERSION } from '../api/types.js';
import { LABELS, namespaceOf, ownerReference, standardLabels } from './metadata.js';
import { labelValue, names } from './naming.js';
import {
  containerSecurityContext,
  modelArgs,
  podSecurityContext,
  scratchVolumes,
  tolerationsOf,
  type ContainerResources,
  type Volume,
  type VolumeMount,
} from './pod-template.js';
import type { JobObject } from './shapes.js';
import { verifierEndpoint, type BuildContext } from './workloads.js';

/** What one profiling Job measures. */
export type ProfilingTarget =
  | {
      kind: 'DraftProfile';
      deviceClass: string;
      draft: ModelRef;
      quantization: Quantization;
    }
  | {
      kind: 'AlignmentProfile';
      draft: ModelRef;
      quantization: Quantization;
      target: ModelRef;
      promptSet: string;
    };

export interface ProfilingJobOptions {
  /** Retries of a failed pod before the Job fails (default 2). */
  backoffLimit?: number;
  /** The Job is stopped after this long (default 30 minutes). */
  activeDeadlineSeconds?: number;
  /** Finished Jobs are removed after this long (default one day), which also keeps failures visible a while. */
  ttlSecondsAfterFinished?: number;
  resources?: ContainerResources;
}

export const DEFAULT_PROFILER_RESOURCES: ContainerResources = {
  requests: { cpu: '500m', memory: '512Mi' },
  limits: { cpu: '4', memory: '4Gi' },
};

export function profileName(target: ProfilingTarget): string {
  return target.kind === 'DraftProfile'
    ? names.draftProfile(target.deviceClass, target.draft.name, target.quantization)
    : names.alignmentProfile(target.draft.name, target.quantization, target.target.name, target.promptSet);
}

/**
 * The profile object a Job fills in. It is shared by every deployment that needs the same measurement, so it
 * carries no owner: deleting one deployment must not discard measurements others use.
 */
export function buildProfileObject(namespace: string, target: ProfilingTarget): DraftProfile | AlignmentProfile {
  const metadata = {
    name: profileName(target),
    namespace,
    labels: { [LABELS.managedBy]: 'configspec-operator', [LABELS.partOf]: 'configspec' },
  };
  if (target.kind === 'DraftProfile') {
    return {
      apiVersion: API_VERSION,
      kind: 'DraftProfile',
      metadata,
      spec: { deviceClass: target.deviceClass, draft: target.draft.name, quantization: target.quantization },
    };
  }
  return {
    apiVersion: API_VERSION,
    kind: 'AlignmentProfile',
    metadata,
    spec: {
      draft: target.draft.name,
      quantization: target.quantization,
      target: target.target.name,
      promptSet: target.promptSet,
    },
  };
}

/**
 * The Job that measures `target` on `nodeName`. Pinned by node affinity on metadata.name (as the DaemonSet
 * controller does) so the scheduler still checks resources and taints; the node's class supplies tolerations
 * and runtime class.
 */
export function buildProfilingJob(
  context: BuildContext,
  target: ProfilingTarget,
  node: { name: string; deviceClass: DeviceClass },
  options: ProfilingJobOptions = {},
): JobObject {
  const { sdd } = context;
  const profile = profileName(target);
  const labels = {
    ...standardLabels(sdd, 'profiler', node.deviceClass.metadata.name),
    [LABELS.profile]: labelValue(profile),
  };
  const draft = modelArgs('draft', target.draft);
  const extra = target.kind === 'AlignmentProfile' ? alignmentArgs(sdd, target) : { args: [], volumes: [], mounts: [] };
  const scratch = scratchVolumes('16Gi');
  const runtime = node.deviceClass.spec.runtime;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: names.profilingJob(sdd.metadata.name, profile),
      namespace: namespaceOf(sdd),
      labels,
      ownerReferences: [ownerReference(sdd)],
    },
    spec: {
      backoffLimit: options.backoffLimit ?? 2,
      activeDeadlineSeconds: options.activeDeadlineSeconds ?? 1800,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 86_400,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: names.profiler(sdd.metadata.name),
          // The profiler writes its result into the profile's status, so it needs its token.
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          restartPolicy: 'Never',
          securityContext: podSecurityContext(),
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.name] }] }],
              },
            },
          },
          tolerations: tolerationsOf(runtime?.tolerations),
          ...(runtime?.runtimeClassName ? { runtimeClassName: runtime.runtimeClassName } : {}),
          containers: [
            {
              name: 'profiler',
              image: context.image,
              imagePullPolicy: context.imagePullPolicy ?? 'IfNotPresent',
              command: ['configspec'],
              args: [
                'profile',
                '--profile-kind',
                target.kind,
                '--profile-name',
                profile,
                '--namespace',
                namespaceOf(sdd),
                ...draft.args,
                '--quantization',
                target.quantization,
                '--verifier',
                verifierEndpoint(sdd),
                ...extra.args,
              ],
              resources: options.resources ?? DEFAULT_PROFILER_RESOURCES,
              securityContext: containerSecurityContext(),
              volumeMounts: [...scratch.mounts, ...draft.mounts, ...extra.mounts],
            },
          ],
          volumes: [...scratch.volumes, ...draft.volumes, ...extra.volumes],
        },
      },
    },
  };
}

function alignmentArgs(sdd: SpecDecodeDeployment, target: Extract<ProfilingTarget, { kind: 'AlignmentProfile' }>) {
  const model = modelArgs('target', target.target);
  const args = [...model.args, '--prompt-set', target.promptSet];
  const volumes: Volume[] = [...model.volumes];
  const mounts: VolumeMount[] = [...model.mounts];
  const prompts = sdd.spec.profiling.prompts;
  if (prompts) {
    // The prompt set is read from a mounted ConfigMap: no API access to ConfigMaps is needed.
    volumes.push({ name: 'prompts', configMap: { name: prompts.name } });
    mounts.push({ name: 'prompts', mountPath: '/etc/configspec/prompts', readOnly: true });
    args.push('--prompts-file', `/etc/configspec/prompts/${prompts.key ?? 'prompts.jsonl'}`);
  }
  return { args, volumes, mounts };
}
