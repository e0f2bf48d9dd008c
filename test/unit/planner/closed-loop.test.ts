// The closed loop in the planner: observations correct the inputs (status.observed shows observed, predicted and
// the gap), a few rounds do not cause a switch and a sustained drop does, a gap correction cannot close holds
// the selection (HeldModelMismatch), and the verifier's load lowers predicted goodput as drafters are added.
import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import { validateAndDefault } from '../../../src/api/validate.js';
import type { ServingCounters } from '../../../src/costmodel/index.js';
import { parseTimestamp } from '../../../src/planner/inputs.js';
import { planDeployment, toDeviceClassStatus, type PlanRequest } from '../../../src/planner/plan.js';
import { NOW, alignmentProfile, deployment, draftProfile } from './plan-fixtures.js';

const CLASS = 'jetson-orin-nano-8gb';
const TARGET = 'qwen2.5-7b-instruct';
const sdd = (): SpecDecodeDeployment =>
  deployment({ edge: { deviceClasses: [CLASS] }, speculation: { k: { min: 1, max: 8 } } });

const measuredAt = '2026-11-28T11:00:00Z';
const profiles = {
  draftProfiles: [
    ['qwen2.5-0.5b-instruct', 'Q4_K_M', 0.012],
    ['qwen2.5-0.5b-instruct', 'Q8_0', 0.016],
    ['qwen2.5-1.5b-instruct', 'Q4_K_M', 0.03],
  ].map(([draft, q, spt]) =>
    draftProfile(CLASS, draft as string, q as 'Q4_K_M', {
      draftSecondsIntercept: 0.004,
      draftSecondsPerToken: spt as number,
      samples: 60,
      rttSeconds: 0.02,
      measuredAt,
    }),
  ),
  alignmentProfiles: [
    ['qwen2.5-0.5b-instruct', 'Q4_K_M', 0.72],
    ['qwen2.5-0.5b-instruct', 'Q8_0', 0.78],
    ['qwen2.5-1.5b-instruct', 'Q4_K_M', 0.85],
  ].map(([draft, q, alpha]) =>
    alignmentProfile(draft as string, q as 'Q4_K_M', TARGET, {
      acceptanceRate: alpha as number,
      samples: 300,
      verifySecondsIntercept: 0.03,
      verifySecondsPerToken: 0.001,
      measuredAt,
    }),
  ),
};

function request(extra: Partial<PlanRequest> = {}): PlanRequest {
  return { deployment: sdd(), deviceClasses: [], ...profiles, now: NOW, ...extra };
}

/** Expected counters of `rounds` rounds at K with acceptance alpha and the given per-round timings. */
function counters(
  rounds: number,
  k: number,
  alpha: number,
  draft: number,
  verify = 0.035,
  rtt = 0.02,
): ServingCounters {
  const drafted: number[] = [];
  const accepted: number[] = [];
  let reaching = rounds;
  for (let i = 0; i < k; i++) {
    drafted.push(reaching);
    accepted.push(reaching * alpha);
    reaching *= alpha;
  }
  return {
    rounds,
    tokens: rounds + accepted.reduce((s, v) => s + v, 0),
    drafted,
    accepted,
    kRounds: rounds * k,
    draftSeconds: rounds * draft,
    verifySeconds: rounds * verify,
    networkSeconds: rounds * rtt,
    windowSeconds: rounds / 5,
  };
}

describe('closed loop in the planner', () => {
  const first = planDeployment(request()).classes[0]!;
  const selected = first.selected!;
  const current = { [CLASS]: { selected, lastChangeTime: '2026-11-27T00:00:00Z' } };
  const servingInputs = first.inputs.find(
    (c) => c.draft === selected.draft && c.quantization === selected.quantization,
  )!;
  const draftTime = servingInputs.draftInterceptSeconds + selected.k * servingInputs.draftSecondsPerToken;
  const observe = (rounds: number, alpha: number, extra: Partial<ServingCounters> = {}) => ({
    [CLASS]: {
      candidates: [
        {
          draft: selected.draft,
          quantization: selected.quantization,
          k: selected.k,
          counters: { ...counters(rounds, selected.k, alpha, draftTime), ...extra },
        },
      ],
    },
  });

  const alpha0 = servingInputs.acceptanceRate;
  const same = (c: { draft: string; quantization: string }) =>
    c.draft === selected.draft && c.quantization === selected.quantization;

  it('has nothing observed before serving', () => {
    expect(first.observed).toBeUndefined();
    expect(first.mismatch).toBeUndefined();
  });

  it('fills status.observed with observed and predicted figures, the gap and the weights, valid for the CRD', () => {
    const plan = planDeployment(request({ current, observations: observe(5000, 0.5) })).classes[0]!;
    const observed = plan.observed!;
    expect(observed.configuration).toEqual(selected);
    expect(observed.figures.acceptanceRate).toBeCloseTo(0.5, 2);
    expect(observed.predicted.acceptanceRate).toBeCloseTo(alpha0, 2);
    expect(observed.gap.acceptance).toBeCloseTo(0.5 / alpha0 - 1, 2);
    expect(observed.weights.acceptance).toBeGreaterThan(0.9);
    expect(Math.abs(observed.residualGap.acceptance)).toBeLessThan(Math.abs(observed.gap.acceptance));
    const status = toDeviceClassStatus(plan, { nodes: 3, readyNodes: 3 });
    const object = { ...sdd(), status: { deviceClasses: [status] } };
    expect(validateAndDefault(object).errors).toEqual([]);
  });

  it('does not switch on a few rounds of low acceptance', () => {
    const plan = planDeployment(request({ current, observations: observe(10, 0.3) })).classes[0]!;
    expect(plan.changed).toBe(false);
    expect(plan.selected).toEqual(selected);
  });

  it('switches once a sustained drop has the evidence, and says why', () => {
    const plan = planDeployment(request({ current, observations: observe(20_000, 0.3) })).classes[0]!;
    expect(plan.changed).toBe(true);
    expect(plan.reason).toBe('Switched');
    expect(same(plan.selected!)).toBe(false);
    expect(plan.message).toMatch(/better on goodput/);
  });

  it('keeps the switch in cooldown when the last change was recent', () => {
    const recent = { [CLASS]: { selected, lastChangeTime: '2026-11-28T11:59:00Z' } };
    const plan = planDeployment(request({ current: recent, observations: observe(20_000, 0.3) })).classes[0]!;
    expect(plan.changed).toBe(false);
    expect(plan.reason).toBe('KeptInCooldown');
  });

  it('holds the selection and names the figure when correction cannot explain serving for longer than the cooldown', () => {
    // A broken token counter: a third of the tokens the rounds and acceptances imply. No input explains it.
    const broken = observe(20_000, 0.3, { tokens: 20_000 * 0.43 * 0.33 });
    const start = planDeployment(request({ current, observations: broken })).classes[0]!;
    expect(start.mismatch?.sinceMs).toBe(parseTimestamp(NOW));
    expect(start.mismatch?.raised).toBe(false);
    const since = '2026-11-28T11:40:00Z';
    const withHistory = sdd();
    withHistory.status = {
      deviceClasses: [{ name: CLASS, nodes: 1, readyNodes: 1, observed: { ...start.observed!, mismatchSince: since } }],
    };
    const held = planDeployment(request({ deployment: withHistory, current, observations: broken })).classes[0]!;
    expect(held.mismatch?.raised).toBe(true);
    expect(held.changed).toBe(false);
    expect(held.reason).toBe('HeldModelMismatch');
    expect(held.message).toMatch(/goodput observed [\d.]+, predicted [\d.]+/);
    expect(held.observed?.mismatchSince).toBe(since);
  });

  it('lowers predicted goodput as drafters are added to the verifier, and reports when it is verifier-bound', () => {
    const model = { extraInterceptSeconds: 0.004, extraSecondsPerToken: 0.0015, windows: 6 };
    const few = planDeployment(request({ verifierLoad: { model, drafters: 1 } })).classes[0]!;
    const many = planDeployment(request({ verifierLoad: { model, drafters: 60 } })).classes[0]!;
    expect(many.predicted!.goodputTokensPerSecond).toBeLessThan(few.predicted!.goodputTokensPerSecond);
    expect(many.verifierLoad).toMatchObject({ drafters: 60, replicas: 1, batch: 60, verifierBound: true });
    expect(many.verifierLoad!.replicasNeeded).toBeGreaterThan(1);
    expect(many.message).toMatch(
      /verifier-bound: 60 drafters on 1 verifier replicas .* replicas would bring that within 10%/,
    );
    expect(few.verifierLoad?.verifierBound).toBe(false);
  });
});
