// Which profiling work to start, from the planner's list of missing profiles and the Jobs that exist. Pure.
// Per missing profile: create the (shared, cluster-scoped) profile object if absent; once it exists, run one
// Job on a Ready node of its class, keeping at most maxConcurrentJobs of this deployment's Jobs active. A Job
// that failed (after its own retries with backoff) is reported, not retried, until its TTL removes it; a Job
// that succeeded but left the profile stale (Periodic mode) is deleted so the next pass measures again.
import type {
  AlignmentProfile,
  DeviceClass,
  DraftProfile,
  ModelRef,
  ProfilingMode,
  Quantization,
  SpecDecodeDeployment,
} from '../api/types.js';
import type { MissingAlignmentProfile, MissingDraftProfile } from '../planner/plan.js';
import { buildProfileObject, profilingJobName, type ProfilingTarget } from '../planner/profiling-jobs.js';
import { shortHash } from '../planner/naming.js';
import type { JobObject } from '../planner/shapes.js';
import type { WorkloadStatus } from './cache.js';
import type { ProfilingFailure } from './status.js';

export interface ProfilingInput {
  sdd: SpecDecodeDeployment;
  missingDraftProfiles: readonly MissingDraftProfile[];
  missingAlignmentProfiles: readonly MissingAlignmentProfile[];
  /** Ready nodes per edge class name, with the class. */
  readyNodes: ReadonlyMap<string, { deviceClass: DeviceClass; nodes: readonly string[] }>;
  /** The stored profile measuring this target, whatever its name (users may create profiles by hand). */
  storedProfile(target: ProfilingTarget): DraftProfile | AlignmentProfile | undefined;
  job(name: string): (JobObject & WorkloadStatus) | undefined;
  /** Profiles this deployment needs in all (for the progress count). */
  totalProfiles: number;
  /** Alignment profiling measures acceptance against the live verifier, so it waits until one is ready. */
  verifierReady: boolean;
}

export interface JobToStart {
  target: ProfilingTarget;
  profile: DraftProfile | AlignmentProfile;
  node: { name: string; deviceClass: DeviceClass };
}

export interface ProfilingDecision {
  createProfiles: (DraftProfile | AlignmentProfile)[];
  startJobs: JobToStart[];
  /** Names of finished Jobs to delete so their profile is measured again. */
  deleteJobs: string[];
  failures: ProfilingFailure[];
  running: number;
  pending: number;
  completed: number;
  total: number;
}

type JobState = 'Active' | 'Succeeded' | 'Failed';

export function jobState(job: WorkloadStatus): JobState {
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True'))
    return 'Failed';
  if (conditions.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')) {
    return 'Succeeded';
  }
  return 'Active';
}

export function decideProfiling(input: ProfilingInput): ProfilingDecision {
  const { sdd } = input;
  const mode: ProfilingMode = sdd.spec.profiling.mode;
  const missing = mode === 'Never' ? [] : targetsOf(input);
  const decision: ProfilingDecision = {
    createProfiles: [],
    startJobs: [],
    deleteJobs: [],
    failures: [],
    running: 0,
    pending: 0,
    completed: Math.max(0, input.totalProfiles - missing.length),
    total: input.totalProfiles,
  };
  const queued: { target: ProfilingTarget; profile: DraftProfile | AlignmentProfile; name: string }[] = [];
  for (const { target, state } of missing) {
    const profile = input.storedProfile(target);
    if (!profile) {
      decision.createProfiles.push(buildProfileObject(target));
      decision.pending += 1;
      continue;
    }
    const name = profile.metadata.name;
    const job = input.job(profilingJobName(name));
    if (!job) {
      queued.push({ target, profile, name });
      continue;
    }
    const jobStatus = jobState(job);
    if (jobStatus === 'Active') {
      decision.running += 1;
    } else if (jobStatus === 'Failed') {
      // The Job controller sets FailureTarget (with the final reason) before Failed while it stops the pods;
      // report that reason at once rather than a generic one that changes a pass later.
      const conditions = job.status?.conditions ?? [];
      const failed =
        conditions.find((c) => c.type === 'Failed' && c.status === 'True') ??
        conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
      decision.failures.push({
        profile: name,
        reason: failed?.reason ?? 'JobFailed',
        message: failed?.message ?? `Job ${job.metadata.name} failed`,
      });
    } else if (state === 'Stale') {
      decision.deleteJobs.push(job.metadata.name);
      decision.pending += 1;
    } else {
      decision.failures.push({
        profile: name,
        reason: 'ProfileNotWritten',
        message: `Job ${job.metadata.name} succeeded but the profile is still ${state.toLowerCase()}`,
      });
    }
  }
  let slots = Math.max(0, sdd.spec.profiling.maxConcurrentJobs - decision.running);
  for (const { target, profile, name } of queued) {
    const waitsForVerifier = target.kind === 'AlignmentProfile' && !input.verifierReady;
    const node = slots > 0 && !waitsForVerifier ? pickNode(input, target, name) : undefined;
    if (!node) {
      decision.pending += 1;
      continue;
    }
    decision.startJobs.push({ target, profile, node });
    decision.running += 1;
    slots -= 1;
  }
  return decision;
}

function targetsOf(input: ProfilingInput): { target: ProfilingTarget; state: string }[] {
  const model = (name: string): ModelRef => input.sdd.spec.drafts.find((d) => d.model.name === name)?.model ?? { name };
  const targets: { target: ProfilingTarget; state: string }[] = [];
  for (const m of input.missingDraftProfiles) {
    targets.push({
      target: { kind: 'DraftProfile', deviceClass: m.deviceClass, draft: model(m.draft), quantization: m.quantization },
      state: m.state,
    });
  }
  for (const m of input.missingAlignmentProfiles) {
    targets.push({
      target: {
        kind: 'AlignmentProfile',
        draft: model(m.draft),
        quantization: m.quantization as Quantization,
        target: input.sdd.spec.target.model.name === m.target ? input.sdd.spec.target.model : { name: m.target },
        promptSet: m.promptSet,
      },
      state: m.state,
    });
  }
  return targets;
}

/** A Ready node of the profile's class (any edge class for alignment), spread by the profile name's hash. */
function pickNode(input: ProfilingInput, target: ProfilingTarget, name: string) {
  const pools =
    target.kind === 'DraftProfile'
      ? [input.readyNodes.get(target.deviceClass)]
      : [...input.readyNodes.keys()].sort().map((k) => input.readyNodes.get(k));
  const pool = pools.find((p) => p !== undefined && p.nodes.length > 0);
  if (!pool) return undefined;
  const index = parseInt(shortHash(name), 16) % pool.nodes.length;
  return { name: pool.nodes[index]!, deviceClass: pool.deviceClass };
}
