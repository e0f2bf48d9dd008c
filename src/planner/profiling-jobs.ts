// Desired state for profiling. DraftProfiles and AlignmentProfiles are cluster-scoped and shared by every
// deployment that needs the same measurement, so profiling is cluster-level work: one Job per profile, in the
// operator's namespace, owned by the profile object (deleting the profile deletes its Job; deleting a
// deployment leaves measurements others use). The Job runs the agent's `profile` command on one chosen node,
// under the `configspec-profiler` ServiceAccount the chart installs (see rbac.ts: it may only read profiles and
// patch their status), with bounded retries and run time.
//
// Failures, and what ends each (README, Reliability):
//   - a profiler pod that fails: the Job controller starts another, with its exponential backoff (10 s, 20 s, …),
//     at most backoffLimit times; then the Job is Failed (BackoffLimitExceeded) and the operator reports it;
//   - a Job that runs too long (a hung profiler, a pod that cannot start): activeDeadlineSeconds ends it
//     (DeadlineExceeded), and the operator starts a new attempt after retryBackoffSeconds × 2^(attempt − 1),
//     at most maxAttempts Jobs in all;
//   - the node the Job is pinned to goes NotReady or away: the operator starts the next attempt at once on a
//     Ready node and deletes the stranded Job (its pod could only wait for the node).
// Each attempt is its own Job (`profile-<profile>`, then `profile-<profile>-attempt-<n>`), so the attempts made
// are read back from the cluster and survive an operator restart.
import type {
  AlignmentProfile,
  ConfigMapKeyRef,
  DeviceClass,
  DraftProfile,
  ModelRef,
  ModelSource,
  Quantization,
} from '../api/types.js';
import { draftFileSource, fetchStep, type ModelDeliveryOptions } from './model-delivery.js';
import { API_VERSION } from '../api/types.js';
import type { OwnerReference } from '../controller/ports.js';
import { LABELS, MANAGED_BY } from './metadata.js';
import { boundedName, labelValue, names } from './naming.js';
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
import { PROFILER_SERVICE_ACCOUNT } from './rbac.js';
import type { JobObject } from './shapes.js';

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

export interface ProfilingJobInput {
  /** The stored profile object the Job fills in (it must carry its uid: it owns the Job). */
  profile: DraftProfile | AlignmentProfile;
  target: ProfilingTarget;
  /** The node to measure on, and its class (for tolerations and runtime class). */
  node: { name: string; deviceClass: DeviceClass };
  /** The verifier to measure round trips and acceptance against. */
  verifierEndpoint: string;
  /** Which attempt this Job is (1 for the first; see profilingJobName). */
  attempt?: number;
  /** Where the operator runs; Jobs run there under the profiler ServiceAccount. */
  namespace: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** A prompt ConfigMap in `namespace` to mount for alignment profiling; the built-in set otherwise. */
  prompts?: ConfigMapKeyRef;
  /** The draft's file in this quantisation (the deployment's spec.drafts[].sources); else model.source or the catalog's. */
  draftSource?: ModelSource;
  modelDelivery?: ModelDeliveryOptions;
}

export interface ProfilingJobOptions {
  /** Pod retries (with the Job controller's exponential backoff) before the Job fails (default 2). */
  backoffLimit?: number;
  /** The time-out: the Job controller stops the Job after this long (default 30 minutes). */
  activeDeadlineSeconds?: number;
  /** Jobs (attempts) per profile when Jobs time out or lose their node (default 3); 1 = no new attempt. */
  maxAttempts?: number;
  /** Wait before the attempt after a timed-out one: this × 2^(attempt − 1) seconds (default 60). */
  retryBackoffSeconds?: number;
  /** Finished Jobs are removed after this long (default one day), which keeps failures visible a while. */
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

export const DEFAULT_PROFILING_ATTEMPTS = 3;
export const DEFAULT_PROFILING_RETRY_BACKOFF_SECONDS = 60;
/** Annotation on a profiling Job: which attempt it is. */
export const ATTEMPT_ANNOTATION = 'configspec.io/profiling-attempt';

/** The Job of one attempt at a profile: `profile-<profile>` first, then `profile-<profile>-attempt-<n>`. */
export function profilingJobName(profile: string, attempt = 1): string {
  return boundedName(attempt <= 1 ? ['profile', profile] : ['profile', profile, 'attempt', String(attempt)]);
}

/** The node a profiling Job is pinned to (its node affinity on metadata.name), if it says. */
export function profilingJobNode(job: { spec?: { template?: { spec?: { affinity?: unknown } } } }): string | undefined {
  const affinity = job.spec?.template?.spec?.affinity as
    | {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: {
            nodeSelectorTerms?: { matchFields?: { key: string; operator: string; values?: string[] }[] }[];
          };
        };
      }
    | undefined;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const field = terms[0]?.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
  return field?.values?.[0];
}

/** The (cluster-scoped) profile object a Job fills in; no owner, since deployments share it. */
export function buildProfileObject(target: ProfilingTarget): DraftProfile | AlignmentProfile {
  const metadata = {
    name: profileName(target),
    labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: 'configspec' },
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
 * The Job that measures one profile on one node. Pinned by node affinity on metadata.name (as the DaemonSet
 * controller does), so the scheduler still checks resources and taints.
 */
export function buildProfilingJob(input: ProfilingJobInput, options: ProfilingJobOptions = {}): JobObject {
  const { profile, target, node } = input;
  const name = profile.metadata.name;
  const attempt = input.attempt ?? 1;
  const labels = {
    [LABELS.name]: 'configspec',
    [LABELS.component]: 'profiler',
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.partOf]: 'configspec',
    [LABELS.profile]: labelValue(name),
    [LABELS.deviceClass]: labelValue(node.deviceClass.metadata.name),
  };
  const draft = fetchStep(
    'draft',
    target.draft.name,
    input.draftSource ??
      draftFileSource(
        { model: target.draft, quantizations: [target.quantization] },
        target.quantization,
        input.modelDelivery?.catalog,
      ),
    { image: input.image, imagePullPolicy: input.imagePullPolicy, options: input.modelDelivery },
  );
  const extra =
    target.kind === 'AlignmentProfile' ? alignmentArgs(target, input.prompts) : { args: [], volumes: [], mounts: [] };
  const scratch = scratchVolumes('16Gi');
  const runtime = node.deviceClass.spec.runtime;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: profilingJobName(name, attempt),
      namespace: input.namespace,
      labels,
      ...(attempt > 1 ? { annotations: { [ATTEMPT_ANNOTATION]: String(attempt) } } : {}),
      ownerReferences: [profileOwnerReference(profile)],
    },
    spec: {
      backoffLimit: options.backoffLimit ?? 2,
      activeDeadlineSeconds: options.activeDeadlineSeconds ?? 1800,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 86_400,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: PROFILER_SERVICE_ACCOUNT,
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
          initContainers: [draft.initContainer],
          containers: [
            {
              name: 'profiler',
              image: input.image,
              imagePullPolicy: input.imagePullPolicy ?? 'IfNotPresent',
              command: ['configspec'],
              args: [
                'profile',
                '--profile-kind',
                target.kind,
                '--profile-name',
                name,
                ...draft.mainArgs,
                '--quantization',
                target.quantization,
                '--verifier',
                input.verifierEndpoint,
                ...extra.args,
              ],
              // The DraftProfile records the node it was measured on (the profiler reads $NODE_NAME).
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              resources: options.resources ?? DEFAULT_PROFILER_RESOURCES,
              securityContext: containerSecurityContext(),
              volumeMounts: [...scratch.mounts, ...draft.mainMounts, ...extra.mounts],
            },
          ],
          volumes: [...scratch.volumes, ...draft.volumes, ...extra.volumes],
        },
      },
    },
  };
}

function profileOwnerReference(profile: DraftProfile | AlignmentProfile): OwnerReference {
  if (!profile.metadata.uid) {
    throw new Error(`${profile.kind} ${profile.metadata.name} has no uid; create it before its Job`);
  }
  return {
    apiVersion: profile.apiVersion,
    kind: profile.kind,
    name: profile.metadata.name,
    uid: profile.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function alignmentArgs(target: Extract<ProfilingTarget, { kind: 'AlignmentProfile' }>, prompts?: ConfigMapKeyRef) {
  const model = modelArgs('target', target.target);
  const args = [...model.args, '--prompt-set', target.promptSet];
  const volumes: Volume[] = [...model.volumes];
  const mounts: VolumeMount[] = [...model.mounts];
  if (prompts) {
    // Mounted, not read through the API: the profiler needs no access to ConfigMaps.
    volumes.push({ name: 'prompts', configMap: { name: prompts.name } });
    mounts.push({ name: 'prompts', mountPath: '/etc/configspec/prompts', readOnly: true });
    args.push('--prompts-file', `/etc/configspec/prompts/${prompts.key ?? 'prompts.jsonl'}`);
  }
  return { args, volumes, mounts };
}
