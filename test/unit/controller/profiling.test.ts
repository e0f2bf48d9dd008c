import type { AlignmentProfile, DraftProfile } from '../../../src/api/types.js';
import type { WorkloadStatus } from '../../../src/controller/cache.js';
import { decideProfiling, jobState, type ProfilingInput } from '../../../src/controller/profiling.js';
import { buildProfileObject, profileName, profilingJobName } from '../../../src/planner/profiling-jobs.js';
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

  it('reports a failed Job with its reason and does not retry it', () => {
    const name = nameOf('pi5');
    const decision = decideProfiling(
      input({ missingDraftProfiles: [draftMissing('pi5')] }, [name], {
        [profilingJobName(name)]: {
          conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too slow' }],
        },
      }),
    );
    expect(decision.failures).toEqual([{ profile: name, reason: 'DeadlineExceeded', message: 'too slow' }]);
    expect(decision.startJobs).toEqual([]);
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
      { profile: name, reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
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
