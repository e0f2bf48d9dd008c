// The regret simulator's pieces: deterministic from the seed, exact truth gives zero regret, and the noisy
// measurements it feeds the planner centre on the truth.
import {
  OPERATOR_PROFILING,
  makeScenario,
  measureCandidate,
  oracle,
  percentile,
  sampleRounds,
  seededRandom,
  trueDraftSeconds,
  trueObjective,
} from '../../../bench/regret-sim.js';

describe('regret simulator', () => {
  it('builds the same scenario from the same seed and id, another from another id', () => {
    expect(makeScenario(7, 3)).toEqual(makeScenario(7, 3));
    expect(makeScenario(7, 4)).not.toEqual(makeScenario(7, 3));
  });

  it('gives every candidate acceptance in (0, 1), decaying along the draft', () => {
    for (const c of makeScenario(1, 0).candidates) {
      expect(c.perPosition.every((a) => a > 0 && a < 1)).toBe(true);
      expect(c.perPosition[15]!).toBeLessThanOrEqual(c.perPosition[0]!);
    }
  });

  it('the oracle finds the true best of the grid, and K = 0 yields one token per verification', () => {
    const s = makeScenario(2, 1);
    const best = oracle(s, 'Goodput');
    for (const c of s.candidates)
      for (let k = 0; k <= s.kMax; k++) expect(trueObjective(s, c, k, 'Goodput')).toBeLessThanOrEqual(best.value);
    const c = s.candidates[0]!;
    expect(trueObjective(s, c, 0, 'Goodput')).toBeCloseTo(1 / (s.rttSeconds + s.verify.intercept + s.verify.perToken));
  });

  it('sampled rounds reproduce the conditional acceptance within sampling error', () => {
    const random = seededRandom(11);
    const perPosition = [0.8, 0.7, 0.6];
    const rounds = sampleRounds(random, perPosition, 3, 20_000);
    const reachedSecond = rounds.filter((r) => r.accepted >= 1).length;
    expect(reachedSecond / rounds.length).toBeCloseTo(0.8, 1);
    expect(rounds.filter((r) => r.accepted >= 2).length / reachedSecond).toBeCloseTo(0.7, 1);
  });

  it('the measured t_draft line is close to the truth at the timed K values', () => {
    const s = makeScenario(3, 2);
    const c = s.candidates[5]!;
    const m = measureCandidate(seededRandom(5), s, c, { ...OPERATOR_PROFILING, repetitions: 101 });
    for (const k of [1, 4, 8]) {
      const fitted = m.draft.draftSecondsIntercept + k * m.draft.draftSecondsPerToken;
      expect(Math.abs(fitted - trueDraftSeconds(c, k)) / trueDraftSeconds(c, k)).toBeLessThan(0.1);
    }
  });

  it('percentile picks the nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });
});
