import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import { computeStatus, type StatusObservation } from '../../../src/controller/status.js';
import { sdd } from '../planner/workloads-fixtures.js';

const T1 = '2026-11-28T10:00:00.000Z';
const T2 = '2026-11-28T11:00:00.000Z';

function observation(
  overrides: Partial<StatusObservation> = {},
  object: SpecDecodeDeployment = sdd(),
): StatusObservation {
  return {
    sdd: object,
    now: T1,
    mode: 'Auto',
    verifier: {
      deviceClassFound: true,
      endpoint: 'http://chat-verifier.team-a.svc:8080',
      desiredReplicas: 2,
      readyReplicas: 2,
    },
    deviceClasses: [
      {
        name: 'pi5',
        nodes: 3,
        readyNodes: 3,
        selected: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 4 },
      },
    ],
    classOutcomes: [{ name: 'pi5', outcome: 'Selected', reason: 'Optimal', message: 'best goodput' }],
    planErrors: [],
    unclassifiedNodes: [],
    profiling: { mode: 'IfMissing', completed: 4, total: 4, running: 0, failed: 0, failures: [], pending: 0 },
    ...overrides,
  };
}

const condition = (status: ReturnType<typeof computeStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('computeStatus', () => {
  it('is Ready when the verifier is available, every class is selected and its drafters are ready', () => {
    const status = computeStatus(observation());
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(status.conditions?.map((c) => c.type)).toEqual([
      'Ready',
      'VerifierAvailable',
      'Profiled',
      'ConfigurationSelected',
      'DraftsAvailable',
      'Infeasible',
    ]);
    expect(status.observedGeneration).toBe(3);
    expect(status.verifier).toEqual({ endpoint: 'http://chat-verifier.team-a.svc:8080', readyReplicas: 2 });
    expect(status.profiling).toEqual({ completed: 4, total: 4, running: 0, failed: 0 });
    expect(status).not.toHaveProperty('unclassifiedNodes');
  });

  it('moves lastTransitionTime only for conditions whose status flipped, and keeps other writers’ conditions', () => {
    const first = computeStatus(
      observation({ verifier: { deviceClassFound: true, endpoint: 'e', desiredReplicas: 2, readyReplicas: 0 } }),
    );
    const stored = sdd();
    stored.status = {
      ...first,
      conditions: [
        ...first.conditions!,
        { type: 'example.com/Audited', status: 'True', lastTransitionTime: T1, reason: 'Done', message: '' },
      ],
    };
    const second = computeStatus(observation({ now: T2 }, stored));
    expect(condition(second, 'VerifierAvailable')?.lastTransitionTime).toBe('2026-11-28T11:00:00Z');
    expect(condition(second, 'Profiled')?.lastTransitionTime).toBe('2026-11-28T10:00:00Z');
    expect(second.conditions?.at(-1)?.type).toBe('example.com/Audited');
  });

  it('yields an identical status for an unchanged world, so nothing is written', () => {
    const first = computeStatus(observation());
    const stored = sdd();
    stored.status = first;
    const second = computeStatus(observation({ now: T2 }, stored));
    expect(second).toEqual(first);
  });

  it('reports infeasibility with the numbers, in Infeasible and in Ready', () => {
    const status = computeStatus(
      observation({
        deviceClasses: [{ name: 'pi5', nodes: 3, readyNodes: 0 }],
        classOutcomes: [
          { name: 'pi5', outcome: 'Infeasible', reason: 'Infeasible', message: 'best reaches 12.0 tok/s, below 20' },
        ],
      }),
    );
    expect(condition(status, 'Infeasible')).toMatchObject({
      status: 'True',
      reason: 'ConstraintsUnmet',
      message: 'pi5: best reaches 12.0 tok/s, below 20',
    });
    expect(condition(status, 'ConfigurationSelected')).toMatchObject({ status: 'False', reason: 'Infeasible' });
    expect(condition(status, 'Ready')?.status).toBe('False');
  });

  it('reports a failed profiling Job with its reason', () => {
    const status = computeStatus(
      observation({
        profiling: {
          mode: 'IfMissing',
          completed: 2,
          total: 4,
          running: 0,
          failed: 1,
          pending: 1,
          failures: [
            {
              profile: 'pi5-x',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        },
      }),
    );
    expect(condition(status, 'Profiled')).toMatchObject({
      status: 'False',
      reason: 'ProfilingFailed',
      message: 'Profiling pi5-x failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });

  it('does not require drafters in Recommend mode', () => {
    const status = computeStatus(
      observation({ mode: 'Recommend', deviceClasses: [{ name: 'pi5', nodes: 3, readyNodes: 0 }] }),
    );
    expect(condition(status, 'DraftsAvailable')?.status).toBe('Unknown');
    expect(condition(status, 'ConfigurationSelected')?.reason).toBe('Recommended');
    expect(condition(status, 'Ready')?.status).toBe('True');
  });

  it('says why when the verifier class is missing or no edge node matches, and lists unclassified nodes', () => {
    const names = Array.from({ length: 25 }, (_, i) => `node-${i}`);
    const status = computeStatus(
      observation({
        verifier: { deviceClassFound: false, endpoint: 'x', desiredReplicas: 2, readyReplicas: 0 },
        classOutcomes: [],
        deviceClasses: [],
        unclassifiedNodes: names,
      }),
    );
    expect(condition(status, 'VerifierAvailable')?.reason).toBe('VerifierDeviceClassNotFound');
    expect(condition(status, 'ConfigurationSelected')?.reason).toBe('NoEdgeNodes');
    expect(condition(status, 'Ready')?.reason).toBe('VerifierDeviceClassNotFound');
    expect(status.unclassifiedNodes).toEqual({ count: 25, names: names.slice(0, 20) });
    expect(status.verifier).toEqual({ readyReplicas: 0 });
  });

  it('treats profiling mode Never as profiled on priors', () => {
    const status = computeStatus(
      observation({
        profiling: { mode: 'Never', completed: 0, total: 0, running: 0, failed: 0, failures: [], pending: 0 },
      }),
    );
    expect(condition(status, 'Profiled')).toMatchObject({ status: 'True', reason: 'ProfilingDisabled' });
  });

  it('appends the planner warnings to ConfigurationSelected, so a skipped draft says why', () => {
    const status = computeStatus(
      observation({
        classOutcomes: [{ name: 'pi5', outcome: 'Error', reason: 'NoCandidates', message: 'no usable draft model' }],
        planWarnings: [
          'draft "llama-3.2-1b-instruct" is family llama3 but the target is qwen2.5; draft skipped (tokenizers differ)',
        ],
      }),
    );
    expect(condition(status, 'ConfigurationSelected')).toMatchObject({ status: 'False', reason: 'PlanningFailed' });
    expect(condition(status, 'ConfigurationSelected')?.message).toBe(
      'pi5: no usable draft model. Warnings: draft "llama-3.2-1b-instruct" is family llama3 but the target is ' +
        'qwen2.5; draft skipped (tokenizers differ)',
    );
    expect(condition(computeStatus(observation({ planWarnings: [] })), 'ConfigurationSelected')?.message).not.toContain(
      'Warnings',
    );
  });
});
