// Evidence-weighted correction: observations move an input in proportion to their share of the evidence, so a
// few tokens barely move a profile and a day of traffic overturns it; timings by their observed/predicted ratio;
// and the accumulator forgets slowly but restarts on a shift beyond noise.
import {
  DEFAULT_CORRECTION,
  EMPTY_COUNTERS,
  accumulateServing,
  accumulateWithShiftDetection,
  correctInputs,
  observationShare,
  observedFigures,
  profileWeight,
  servingShifted,
  type ServingCounters,
} from '../../../src/costmodel/index.js';
import { candidate } from './costmodel-fixtures.js';

/** Counters of `rounds` rounds at K with i.i.d. acceptance `alpha` (expected values) and per-round timings. */
function counters(
  rounds: number,
  k: number,
  alpha: number,
  draft = 0.085,
  verify = 0.055,
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
    windowSeconds: 60,
  };
}

const measured = candidate({
  acceptanceRate: 0.8,
  basis: {
    draftSpeed: 'Measured',
    acceptance: 'Measured',
    power: 'Measured',
    network: 'Measured',
    verification: 'Measured',
  },
});
const evidence = { acceptanceSamples: 1000, draftSamples: 1000, verifySamples: 1000, networkSamples: 1000 };

describe('evidence weighting', () => {
  it('counts a profile as its samples, capped, halved per half-life of age; a prior as a few samples', () => {
    expect(profileWeight(300, 0, DEFAULT_CORRECTION)).toBe(300);
    expect(profileWeight(1e6, 0, DEFAULT_CORRECTION)).toBe(DEFAULT_CORRECTION.profileWeightCap);
    expect(profileWeight(1000, DEFAULT_CORRECTION.profileHalfLifeSeconds, DEFAULT_CORRECTION)).toBeCloseTo(500);
    expect(profileWeight(undefined, 0, DEFAULT_CORRECTION)).toBe(DEFAULT_CORRECTION.priorWeight);
  });

  it('gives observations the share n / (n + n0), proportional to their evidence', () => {
    expect(observationShare(0, 1000)).toBe(0);
    expect(observationShare(1000, 1000)).toBe(0.5);
    expect(observationShare(3000, 1000)).toBe(0.75);
  });

  it('a few tokens do not overturn a profile: 20 rounds move acceptance by their share of the evidence (~6 %)', () => {
    const c = correctInputs(measured, evidence, counters(20, 4, 0.4));
    const moved = (0.8 - c.inputs.perPositionAcceptance![0]!) / (0.8 - 0.4);
    // The profile's 1,000 judged tokens spread over positions 1..4 as its own acceptance reached them.
    const n0First = 1000 / (1 + 0.8 + 0.64 + 0.512);
    expect(moved).toBeCloseTo(20 / (20 + n0First), 6);
    expect(moved).toBeLessThan(0.1);
    expect(c.weights.acceptance).toBeLessThan(0.1);
  });

  it('a day of traffic does: 1 round/s for 24 h moves acceptance by more than 95 % of the gap', () => {
    const c = correctInputs(measured, evidence, counters(86_400, 4, 0.4));
    const moved = (0.8 - c.inputs.perPositionAcceptance![0]!) / (0.8 - 0.4);
    expect(moved).toBeGreaterThan(0.95);
    expect(c.weights.acceptance).toBeGreaterThan(0.95);
  });

  it('moves each position in proportion to the evidence at that position, unobserved positions by the same ratio', () => {
    const c = correctInputs(measured, evidence, counters(2000, 2, 0.4));
    const [a1, a2, a3] = c.inputs.perPositionAcceptance!;
    // Position 1 is judged every round, position 2 only after an acceptance: position 1 moves further.
    expect(0.8 - a1!).toBeGreaterThan(0.8 - a2!);
    expect(a3 ?? c.inputs.acceptanceRate).toBeLessThan(0.8);
    expect(c.inputs.acceptanceRate).toBeLessThan(0.8);
  });

  it('scales drafting and verification by the observed/predicted ratio, weighted by rounds; blends RTT', () => {
    // Predicted draft per round at K = 4: 0.005 + 4 × 0.02 = 0.085 s; observed twice that.
    const c = correctInputs(measured, evidence, counters(1000, 4, 0.8, 0.17, 0.055 * 3, 0.06));
    expect(c.draftScale).toBeCloseTo(1.5, 5);
    expect(c.inputs.draftSecondsPerToken).toBeCloseTo(0.03, 6);
    expect(c.verifyScale).toBeCloseTo(2, 5);
    expect(c.inputs.rttSeconds).toBeCloseTo(0.04, 6);
    expect(c.weights.draft).toBe(0.5);
  });

  it('carries timings but never acceptance to a candidate that was not observed', () => {
    const other = candidate({ draft: 'draft-b', acceptanceRate: 0.7 });
    const c = correctInputs(other, {}, counters(5000, 4, 0.3, 0.17), DEFAULT_CORRECTION, {
      timingOnly: true,
      observedInputs: measured,
    });
    expect(c.inputs.acceptanceRate).toBe(0.7);
    expect(c.draftScale).toBeGreaterThan(1.9);
  });

  it('leaves verification to the verifier fit when asked', () => {
    const c = correctInputs(measured, evidence, counters(1000, 4, 0.8, 0.085, 1), DEFAULT_CORRECTION, {
      verificationFromVerifier: true,
    });
    expect(c.verifyScale).toBe(1);
    expect(c.weights.verify).toBe(0);
  });

  it('returns the inputs untouched without observations', () => {
    expect(correctInputs(measured, evidence, EMPTY_COUNTERS).inputs).toBe(measured);
  });
});

describe('accumulation', () => {
  it('halves old evidence per half-life and adds the new window', () => {
    const a = counters(1000, 4, 0.8);
    const next = accumulateServing(a, counters(100, 4, 0.8), DEFAULT_CORRECTION.observationHalfLifeSeconds);
    expect(next.rounds).toBeCloseTo(600);
    expect(next.drafted[0]).toBeCloseTo(600);
  });

  it('does not see a shift in noise, restarts on a real one', () => {
    const history = counters(20_000, 4, 0.8);
    // Binomial noise of a 500-round window: ±2 standard errors on acceptance, 10 % on timings.
    const sd = Math.sqrt((0.8 * 0.2) / 500);
    expect(servingShifted(history, counters(500, 4, 0.8 - 2 * sd, 0.085 * 1.1))).toBe(false);
    expect(servingShifted(history, counters(500, 4, 0.5))).toBe(true);
    expect(servingShifted(history, counters(500, 4, 0.8, 0.085 * 2))).toBe(true);
    // A change of K changes time per round legitimately: no shift.
    expect(servingShifted(history, counters(500, 2, 0.8, 0.045, 0.053))).toBe(false);
    const restarted = accumulateWithShiftDetection(history, counters(500, 4, 0.5), 60);
    expect(restarted.shifted).toBe(true);
    expect(restarted.counters.rounds).toBe(500);
  });

  it('reports observed figures as means per round and goodput over busy time', () => {
    const f = observedFigures(counters(100, 1, 0.5, 0.1, 0.05, 0.05))!;
    expect(f.acceptanceRate).toBeCloseTo(0.5);
    expect(f.roundSeconds).toBeCloseTo(0.2);
    expect(f.goodputTokensPerSecond).toBeCloseTo(1.5 / 0.2);
  });
});
