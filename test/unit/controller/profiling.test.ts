import type { AlignmentProfile, DraftProfile } from '../../../src/api/types.js';
import type { WorkloadStatus } from '../../../src/controller/cache.js';
import { decideProfiling, jobState, type ProfilingInput } from '../../../src/controller/profiling.js';
import {
  buildProfileObject,
  buildProfilingJob,
  profileName,
  profilingJobName,
  profilingJobNode,
} from '../../../src/planner/profiling-jobs.js';
import type { JobObject } from '../../../src/planner/shapes.js';
import { orin, pi5, sdd } from '../planner/workloads-fixtures.js';

const q4 = 'Q4_K_M' as const;
const draftMissing = (deviceClass: string, draft = 'qwen2.5-0.5b-instruct') => ({
  deviceClass,
  draft,
  quantization: q4,
  state: 'Missing' as const,
});
const alignmentMissing = {
  draft: 'qwen2.5-0.5b-instruct',
  quantization: q4,
  target: 'qwen2.5-7b-instruct',
  promptSet: 'builtin',
  state: 'Missing' as const,
};

function input(
  overrides: Partial<ProfilingInput> = {},
  stored: string[] = [],
  jobs: Record<string, WorkloadStatus['status']> = {},
) {
  const base: ProfilingInput = {
    sdd: sdd(),
    missingDraftProfiles: [],
    missingAlignmentProfiles: [],
    readyNodes: new Map([
      ['pi5', { deviceClass: pi5, nodes: ['pi-1', 'pi-2'] }],
      ['jetson-orin-nano', { deviceClass: orin, nodes: [] }],
    ]),
    storedProfile: (target) => {
      const name = profileName(target);
      return stored.includes(name)
        ? ({ kind: target.kind, metadata: { name, uid: 'u' } } as DraftProfile | AlignmentProfile)
        : undefined;
    },
    job: (name) =>
      name in jobs ? ({ metadata: { name }, status: jobs[name] } as unknown as JobObject & WorkloadStatus) : undefined,
    totalProfiles: 6,
    verifierReady: true,
  };
  return { ...base, ...overrides };
}

const nameOf = (deviceClass: string, draft = 'qwen2.5-0.5b-instruct') =>
  profileName({ kind: 'DraftProfile', deviceClass, draft: { name: draft }, quantization: q4 });

describe('decideProfiling', () => {
  it('creates missing profile objects first and starts their Jobs once they exist', () => {
    const first = decideProfiling(input({ missingDraftProfiles: [draftMissing('pi5')] }));
    expect(first.createProfiles).toEqual([
      buildProfileObject({
        kind: 'DraftProfile',
        deviceClass: 'pi5',
        draft: { name: 'qwen2.5-0.5b-instruct' },
        quantization: q4,
      }),
    ]);
    expect(first.startJobs).toEqual([]);
    const second = decideProfiling(input({ missingDraftProfiles: [draftMissing('pi5')] }, [nameOf('pi5')]));
    expect(second.startJobs).toHaveLength(1);
    expect(['pi-1', 'pi-2']).toContain(second.startJobs[0]!.node.name);
    expect(second.running).toBe(1);
    expect(second.completed).toBe(5);
  });

  it('keeps at most maxConcurrentJobs running and waits for a Ready node of the class', () => {
    const s = sdd();
    s.spec.profiling.maxConcurrentJobs = 1;
    const missing = [draftMissing('pi5'), draftMissing('pi5', 'my-draft'), draftMissing('jetson-orin-nano')];
    const names = [nameOf('pi5'), nameOf('pi5', 'my-draft'), nameOf('jetson-orin-nano')];
    const decision = decideProfiling(input({ sdd: s, missingDraftProfiles: missing }, names));
    expect(decision.startJobs).toHaveLength(1);
    expect(decision.pending).toBe(2);
    const running = decideProfiling(
      input({ sdd: s, missingDraftProfiles: missing }, names, { [profilingJobName(names[0]!)]: { active: 1 } }),
    );
    expect(running.startJobs).toEqual([]);
    expect(running.running).toBe(1);
  });

  it('reports a Job whose pods failed (after its own retries) with its reason and does not start it again', () => {
    const name = nameOf('pi5');
    const decision = decideProfiling(
      input({ missingDraftProfiles: [draftMissing('pi5')], now: Date.parse('2026-01-01T01:00:00Z') }, [name], {
        [profilingJobName(name)]: {
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      }),
    );
    expect(decision.failures).toEqual([
      {
        profile: name,
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit (attempt 1 of 3)',
      },
    ]);
    expect(decision.startJobs).toEqual([]);
    expect(decision.retryAfterMs).toBeUndefined();
  });

  describe('a Job that timed out (DeadlineExceeded)', () => {
    const name = nameOf('pi5');
    const failedAt = Date.parse('2026-01-01T00:00:00Z');
    const timedOut = (at = failedAt) => ({
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
          lastTransitionTime: new Date(at).toISOString(),
        },
      ],
    });
    const retry = { maxAttempts: 3, retryBackoffSeconds: 10 };

    it('waits out the backoff, then starts the next attempt as a new Job', () => {
      const jobs = { [profilingJobName(name)]: timedOut() };
      const early = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], now: failedAt + 4_000, retry }, [name], jobs),
      );
      expect(early).toMatchObject({ startJobs: [], failures: [], pending: 1, retryAfterMs: 6_000 });
      const due = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], now: failedAt + 10_000, retry }, [name], jobs),
      );
      expect(due.failures).toEqual([]);
      expect(due.startJobs).toHaveLength(1);
      expect(due.startJobs[0]!.attempt).toBe(2);
      expect(due.running).toBe(1);
    });

    it('doubles the backoff per attempt and reports the last attempt with its reason', () => {
      const second = { [profilingJobName(name)]: timedOut(), [profilingJobName(name, 2)]: timedOut(failedAt + 60_000) };
      const waiting = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], now: failedAt + 75_000, retry }, [name], second),
      );
      expect(waiting).toMatchObject({ startJobs: [], pending: 1, retryAfterMs: 5_000 });
      const third = { ...second, [profilingJobName(name, 3)]: timedOut(failedAt + 120_000) };
      const done = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], now: failedAt + 999_000, retry }, [name], third),
      );
      expect(done.startJobs).toEqual([]);
      expect(done.retryAfterMs).toBeUndefined();
      expect(done.failures).toEqual([
        {
          profile: name,
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline (attempt 3 of 3)',
        },
      ]);
    });

    it('with maxAttempts 1 is reported at once', () => {
      const decision = decideProfiling(
        input(
          { missingDraftProfiles: [draftMissing('pi5')], now: failedAt + 999_000, retry: { maxAttempts: 1 } },
          [name],
          { [profilingJobName(name)]: timedOut() },
        ),
      );
      expect(decision.failures).toEqual([
        { profile: name, reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
      ]);
    });
  });

  describe('a running Job whose node is lost', () => {
    const name = nameOf('pi5');
    const profile = { kind: 'DraftProfile', metadata: { name, uid: 'u' } } as DraftProfile;
    const pinned = (node: string, attempt = 1) => ({
      ...buildProfilingJob(
        {
          profile,
          target: {
            kind: 'DraftProfile',
            deviceClass: 'pi5',
            draft: { name: 'qwen2.5-0.5b-instruct' },
            quantization: q4,
          },
          node: { name: node, deviceClass: pi5 },
          verifierEndpoint: 'http://verifier',
          namespace: 'ops',
          image: 'img',
          attempt,
        },
        {},
      ),
      status: { active: 1 },
    });
    const lookup =
      (jobs: ReturnType<typeof pinned>[]) =>
      (jobName: string): (JobObject & WorkloadStatus) | undefined =>
        jobs.find((j) => j.metadata.name === jobName);

    it('is replaced by the next attempt on a Ready node, and deleted once that starts', () => {
      const stranded = pinned('pi-gone');
      expect(profilingJobNode(stranded)).toBe('pi-gone');
      expect(pinned('pi-1', 2).metadata).toMatchObject({
        name: profilingJobName(name, 2),
        annotations: { 'configspec.io/profiling-attempt': '2' },
      });
      expect(profilingJobName(name, 2)).toMatch(/^profile-pi5-.*-attempt-2(-[0-9a-f]+)?$/);
      expect(profilingJobName(name, 2).length).toBeLessThanOrEqual(63);
      const decision = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], job: lookup([stranded]) }, [name]),
      );
      expect(decision.startJobs).toHaveLength(1);
      expect(decision.startJobs[0]).toMatchObject({ attempt: 2 });
      expect(['pi-1', 'pi-2']).toContain(decision.startJobs[0]!.node.name);
      expect(decision.deleteJobs).toEqual([profilingJobName(name)]);
      expect(decision.failures).toEqual([]);
    });

    it('keeps running while its node is Ready, and stays until a Ready node can take its replacement', () => {
      const healthy = decideProfiling(
        input({ missingDraftProfiles: [draftMissing('pi5')], job: lookup([pinned('pi-1')]) }, [name]),
      );
      expect(healthy).toMatchObject({ startJobs: [], deleteJobs: [], running: 1 });
      const nowhere = decideProfiling(
        input(
          {
            missingDraftProfiles: [draftMissing('pi5')],
            job: lookup([pinned('pi-1')]),
            readyNodes: new Map([['pi5', { deviceClass: pi5, nodes: [] }]]),
          },
          [name],
        ),
      );
      expect(nowhere).toMatchObject({ startJobs: [], deleteJobs: [], running: 1, failures: [] });
    });

    it('on the last attempt is reported as NodeLost, and an earlier attempt still running is deleted', () => {
      const decision = decideProfiling(
        input(
          {
            missingDraftProfiles: [draftMissing('pi5')],
            job: lookup([pinned('pi-1'), pinned('pi-gone', 2)]),
            retry: { maxAttempts: 2 },
          },
          [name],
        ),
      );
      expect(decision.startJobs).toEqual([]);
      expect(decision.deleteJobs).toEqual([profilingJobName(name)]);
      expect(decision.failures).toEqual([
        {
          profile: name,
          reason: 'NodeLost',
          message: `node pi-gone of Job ${profilingJobName(name, 2)} is not Ready (attempt 2 of 2)`,
        },
      ]);
    });
  });

  it('reports the reason of FailureTarget, set before Failed while the Job controller stops its pods', () => {
    const name = nameOf('pi5');
    const decision = decideProfiling(
      input({ missingDraftProfiles: [draftMissing('pi5')] }, [name], {
        [profilingJobName(name)]: {
          conditions: [
            {
              type: 'FailureTarget',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        },
      }),
    );
    expect(decision.failures).toEqual([
      {
        profile: name,
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit (attempt 1 of 3)',
      },
    ]);
    expect(decision.startJobs).toEqual([]);
  });

  it('deletes a finished Job whose profile went stale, so it runs again', () => {
    const name = nameOf('pi5');
    const decision = decideProfiling(
      input({ missingDraftProfiles: [{ ...draftMissing('pi5'), state: 'Stale' }] }, [name], {
        [profilingJobName(name)]: { conditions: [{ type: 'Complete', status: 'True' }] },
      }),
    );
    expect(decision.deleteJobs).toEqual([profilingJobName(name)]);
  });

  it('holds alignment Jobs until the verifier is ready, and does nothing in mode Never', () => {
    const alignmentName = profileName({
      kind: 'AlignmentProfile',
      draft: { name: 'qwen2.5-0.5b-instruct' },
      quantization: q4,
      target: { name: 'qwen2.5-7b-instruct' },
      promptSet: 'builtin',
    });
    const waiting = decideProfiling(
      input({ missingAlignmentProfiles: [alignmentMissing], verifierReady: false }, [alignmentName]),
    );
    expect(waiting.startJobs).toEqual([]);
    expect(waiting.pending).toBe(1);
    const ready = decideProfiling(input({ missingAlignmentProfiles: [alignmentMissing] }, [alignmentName]));
    expect(ready.startJobs[0]?.target).toMatchObject({
      kind: 'AlignmentProfile',
      target: { name: 'qwen2.5-7b-instruct' },
    });
    const never = sdd();
    never.spec.profiling.mode = 'Never';
    const none = decideProfiling(input({ sdd: never, missingDraftProfiles: [draftMissing('pi5')], totalProfiles: 0 }));
    expect(none).toMatchObject({ createProfiles: [], startJobs: [], completed: 0, total: 0 });
  });
});

describe('jobState', () => {
  it('reads Job conditions', () => {
    expect(jobState({ status: { active: 1 } })).toBe('Active');
    expect(jobState({ status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toBe('Succeeded');
    expect(jobState({ status: { conditions: [{ type: 'Failed', status: 'True' }] } })).toBe('Failed');
  });
});
