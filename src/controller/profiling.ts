// Which profiling work to start, from the planner's list of missing profiles and the Jobs that exist. Pure.
// Per missing profile: create the (shared, cluster-scoped) profile object if absent; once it exists, run one
// Job on a Ready node of its class, keeping at most maxConcurrentJobs of this deployment's Jobs active.
// Failures (src/planner/profiling-jobs.ts has the whole list):
//   - pods that fail: the Job retries them itself (backoffLimit, with the Job controller's backoff); a Job that
//     failed so (BackoffLimitExceeded, or any other reason) is reported, not started again, until its TTL
//     removes it: a profiler that crashes three times will crash a fourth;
//   - a time-out (DeadlineExceeded): a new attempt, a new Job, after retryBackoffSeconds × 2^(attempt − 1),
//     up to maxAttempts; the last one's failure is reported;
//   - the Job's node NotReady or gone while it runs: the next attempt starts at once on a Ready node and the
//     stranded Job is deleted; on the last attempt the loss is reported (the Job's deadline still ends it).
// A Job that succeeded but left the profile stale (Periodic mode) is deleted so the next pass measures again.
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
import {
  buildProfileObject,
  DEFAULT_PROFILING_ATTEMPTS,
  DEFAULT_PROFILING_RETRY_BACKOFF_SECONDS,
  profilingJobName,
  profilingJobNode,
  type ProfilingTarget,
} from '../planner/profiling-jobs.js';
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
  /** Now (ms since the epoch), for the backoff before a new attempt; without it a due attempt waits. */
  now?: number;
  /** Attempts per profile and the backoff between them (defaults: 3 attempts, 60 s doubling). */
  retry?: { maxAttempts?: number; retryBackoffSeconds?: number };
}

export interface JobToStart {
  target: ProfilingTarget;
  profile: DraftProfile | AlignmentProfile;
  node: { name: string; deviceClass: DeviceClass };
  /** 1 for the first Job of a profile; the Job's name says it (profilingJobName). */
  attempt: number;
}

export interface ProfilingDecision {
  createProfiles: (DraftProfile | AlignmentProfile)[];
  startJobs: JobToStart[];
  /**
   * Jobs to delete, after startJobs are created: finished Jobs whose profile went stale (to measure again), and
   * Jobs stranded on a lost node once their next attempt starts.
   */
  deleteJobs: string[];
  failures: ProfilingFailure[];
  running: number;
  pending: number;
  completed: number;
  total: number;
  /** When the earliest attempt that waits out its backoff is due (ms from now), for the requeue. */
  retryAfterMs?: number;
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
  const maxAttempts = Math.max(1, input.retry?.maxAttempts ?? DEFAULT_PROFILING_ATTEMPTS);
  const backoffMs = (input.retry?.retryBackoffSeconds ?? DEFAULT_PROFILING_RETRY_BACKOFF_SECONDS) * 1000;
  const readyAnywhere = new Set([...input.readyNodes.values()].flatMap((pool) => pool.nodes));
  const queued: Queued[] = [];
  for (const { target, state } of missing) {
    const profile = input.storedProfile(target);
    if (!profile) {
      decision.createProfiles.push(buildProfileObject(target));
      decision.pending += 1;
      continue;
    }
    const name = profile.metadata.name;
    const attempts = attemptsOf(input, name, maxAttempts);
    const latest = attempts.at(-1);
    // An earlier attempt still running beside a later one was stranded and replaced: stop it.
    for (const earlier of attempts.slice(0, -1)) {
      if (jobState(earlier.job) === 'Active') decision.deleteJobs.push(earlier.job.metadata.name);
    }
    if (!latest) {
      queued.push({ target, profile, name, attempt: 1 });
      continue;
    }
    const { job, attempt } = latest;
    const of = `attempt ${attempt} of ${maxAttempts}`;
    const jobStatus = jobState(job);
    if (jobStatus === 'Active') {
      const node = profilingJobNode(job);
      if (node === undefined || readyAnywhere.has(node)) {
        decision.running += 1;
      } else if (attempt < maxAttempts) {
        queued.push({ target, profile, name, attempt: attempt + 1, replaces: job.metadata.name, avoid: node });
      } else {
        // The last attempt: report the loss; the Job's own deadline ends it (deleting it would forget the count).
        decision.failures.push({
          profile: name,
          reason: 'NodeLost',
          message: `node ${node} of Job ${job.metadata.name} is not Ready (${of})`,
        });
      }
    } else if (jobStatus === 'Failed') {
      // The Job controller sets FailureTarget (with the final reason) before Failed while it stops the pods;
      // report that reason at once rather than a generic one that changes a pass later.
      const conditions = job.status?.conditions ?? [];
      const failed =
        conditions.find((c) => c.type === 'Failed' && c.status === 'True') ??
        conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
      const reason = failed?.reason ?? 'JobFailed';
      if (reason === 'DeadlineExceeded' && attempt < maxAttempts) {
        // Timed out: once the Job has stopped its pods (Failed, not only FailureTarget), try again after a backoff.
        const failedAt = Date.parse(
          conditions.find((c) => c.type === 'Failed' && c.status === 'True')?.lastTransitionTime ?? '',
        );
        const due = failedAt + backoffMs * 2 ** (attempt - 1);
        if (input.now !== undefined && Number.isFinite(due) && input.now >= due) {
          queued.push({ target, profile, name, attempt: attempt + 1 });
        } else {
          decision.pending += 1;
          if (input.now !== undefined && Number.isFinite(due)) {
            decision.retryAfterMs = Math.min(decision.retryAfterMs ?? Infinity, due - input.now);
          }
        }
        continue;
      }
      decision.failures.push({
        profile: name,
        reason,
        message: `${failed?.message ?? `Job ${job.metadata.name} failed`}${maxAttempts > 1 ? ` (${of})` : ''}`,
      });
    } else if (state === 'Stale') {
      for (const each of attempts) decision.deleteJobs.push(each.job.metadata.name);
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
  for (const { target, profile, name, attempt, replaces, avoid } of queued) {
    const waitsForVerifier = target.kind === 'AlignmentProfile' && !input.verifierReady;
    const node = slots > 0 && !waitsForVerifier ? pickNode(input, target, name, attempt, avoid) : undefined;
    if (!node) {
      // A stranded Job stays until its replacement can start (its node may come back first).
      if (replaces) decision.running += 1;
      else decision.pending += 1;
      continue;
    }
    decision.startJobs.push({ target, profile, node, attempt });
    if (replaces) decision.deleteJobs.push(replaces);
    decision.running += 1;
    slots -= 1;
  }
  return decision;
}

interface Queued {
  target: ProfilingTarget;
  profile: DraftProfile | AlignmentProfile;
  name: string;
  attempt: number;
  /** The stranded Job this attempt replaces (deleted once it starts). */
  replaces?: string;
  /** The lost node. */
  avoid?: string;
}

/** The Jobs of a profile's attempts that exist, in attempt order. */
function attemptsOf(input: ProfilingInput, profile: string, maxAttempts: number) {
  const found: { job: JobObject & WorkloadStatus; attempt: number }[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const job = input.job(profilingJobName(profile, attempt));
    if (job) found.push({ job, attempt });
  }
  return found;
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

/**
 * A Ready node of the profile's class (any edge class for alignment), spread by the hash of the profile name
 * (and of the attempt, so a retry may land elsewhere), never the node an attempt was lost on.
 */
function pickNode(input: ProfilingInput, target: ProfilingTarget, name: string, attempt: number, avoid?: string) {
  const pools = (
    target.kind === 'DraftProfile'
      ? [input.readyNodes.get(target.deviceClass)]
      : [...input.readyNodes.keys()].sort().map((k) => input.readyNodes.get(k))
  ).map((p) => p && { deviceClass: p.deviceClass, nodes: p.nodes.filter((n) => n !== avoid) });
  const pool = pools.find((p) => p !== undefined && p.nodes.length > 0);
  if (!pool) return undefined;
  const index = parseInt(shortHash(attempt > 1 ? `${name}/${attempt}` : name), 16) % pool.nodes.length;
  return { name: pool.nodes[index]!, deviceClass: pool.deviceClass };
}
