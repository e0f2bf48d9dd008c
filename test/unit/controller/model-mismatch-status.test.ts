// The ModelMismatch condition: absent before serving is observed (existing statuses unchanged), False while the
// corrected model explains serving, True with the figure and both values when a class holds for a mismatch.
import type { ObservedFigures } from '../../../src/api/types.js';
import { computeStatus, type StatusObservation } from '../../../src/controller/status.js';
import { sdd } from '../planner/workloads-fixtures.js';

const figures = {
  goodputTokensPerSecond: 10,
  acceptanceRate: 0.7,
  roundSeconds: 0.2,
  draftSeconds: 0.1,
  verifySeconds: 0.08,
  rttSeconds: 0.02,
};
const gap = { goodput: 0, acceptance: 0, roundSeconds: 0 };
const observed: ObservedFigures = {
  configuration: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 4 },
  rounds: 5000,
  tokens: 15000,
  windowSeconds: 3600,
  figures,
  predicted: figures,
  gap,
  weights: { acceptance: 0.9, draftSpeed: 0.9, verification: 0, network: 0.9 },
  residualGap: gap,
};

function observation(overrides: Partial<StatusObservation> = {}): StatusObservation {
  return {
    sdd: sdd(),
    now: '2026-11-28T10:00:00.000Z',
    mode: 'Auto',
    verifier: { deviceClassFound: true, endpoint: 'http://v:8080', desiredReplicas: 1, readyReplicas: 1 },
    deviceClasses: [{ name: 'pi5', nodes: 3, readyNodes: 3, observed }],
    classOutcomes: [{ name: 'pi5', outcome: 'Selected', reason: 'Optimal', message: 'best goodput' }],
    planErrors: [],
    unclassifiedNodes: [],
    profiling: { mode: 'IfMissing', completed: 4, total: 4, running: 0, failed: 0, failures: [], pending: 0 },
    ...overrides,
  };
}

const mismatchOf = (status: ReturnType<typeof computeStatus>) =>
  status.conditions?.find((c) => c.type === 'ModelMismatch');

describe('ModelMismatch condition', () => {
  it('is absent until serving has been observed', () => {
    expect(
      mismatchOf(computeStatus(observation({ deviceClasses: [{ name: 'pi5', nodes: 3, readyNodes: 3 }] }))),
    ).toBeUndefined();
  });

  it('is False while the corrected model explains serving', () => {
    expect(mismatchOf(computeStatus(observation()))).toMatchObject({ status: 'False', reason: 'ModelExplainsServing' });
  });

  it('is True with the class, the figure and both values when a class holds for a mismatch', () => {
    const message =
      'goodput observed 4.2, the corrected model predicts 12.5 (-66%) for longer than the cooldown (600 s)';
    const condition = mismatchOf(computeStatus(observation({ modelMismatches: [{ name: 'pi5', message }] })));
    expect(condition).toMatchObject({ status: 'True', reason: 'ModelMismatch', message: `pi5: ${message}` });
  });
});
