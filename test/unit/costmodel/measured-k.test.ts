// Times measured at particular K over a model of all K: exact where measured, interpolated between, shifted
// model beyond, and what estimate(), the grid and the correction make of them.
import fc from 'fast-check';
import {
  correctInputs,
  estimate,
  evaluateGrid,
  loadedInputs,
  secondsAtK,
  verificationTerms,
  type ServingCounters,
} from '../../../src/costmodel/index.js';
import { candidate } from './costmodel-fixtures.js';

const full = { accounting: 'Full' as const, paperVerifySeconds: 0.5 };
const line = (k: number): number => 0.001 + 0.0003 * (k + 1);

describe('secondsAtK', () => {
  it('is the model where nothing was measured', () => {
    expect(secondsAtK(line, undefined, 3)).toBeCloseTo(line(3), 15);
    expect(secondsAtK(line, [], 3)).toBeCloseTo(line(3), 15);
  });

  it('is the measurement at a measured K, whatever the model says', () => {
    const points = [
      { k: 0, seconds: 0.0007 },
      { k: 1, seconds: 0.0016 },
      { k: 8, seconds: 0.004 },
    ];
    for (const { k, seconds } of points) expect(secondsAtK(line, points, k)).toBeCloseTo(seconds, 15);
  });

  it('interpolates between measured K and follows the shifted model beyond them', () => {
    const points = [
      { k: 2, seconds: 0.003 },
      { k: 4, seconds: 0.004 },
    ];
    expect(secondsAtK(line, points, 3)).toBeCloseTo(0.0035, 15);
    // Beyond K = 4: the line plus K = 4's difference from it; below K = 2: plus K = 2's.
    expect(secondsAtK(line, points, 10)).toBeCloseTo(line(10) + (0.004 - line(4)), 15);
    expect(secondsAtK(line, points, 0)).toBeCloseTo(line(0) + (0.003 - line(2)), 15);
  });

  it('takes points in any order and never returns a negative time', () => {
    expect(
      secondsAtK(
        line,
        [
          { k: 4, seconds: 0.004 },
          { k: 2, seconds: 0.003 },
        ],
        3,
      ),
    ).toBeCloseTo(0.0035, 15);
    expect(secondsAtK((k) => 0.01 - 0.002 * k, [{ k: 0, seconds: 0.001 }], 8)).toBe(0);
  });

  it('lies between the neighbouring measurements for every K between them (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({ k: fc.integer({ min: 0, max: 32 }), seconds: fc.double({ min: 0, max: 1, noNaN: true }) }),
          {
            minLength: 2,
            maxLength: 8,
            selector: (p) => p.k,
          },
        ),
        fc.integer({ min: 0, max: 32 }),
        (points, k) => {
          const sorted = [...points].sort((a, b) => a.k - b.k);
          const below = sorted.filter((p) => p.k <= k).pop();
          const above = sorted.find((p) => p.k >= k);
          if (!below || !above) return true;
          const value = secondsAtK(line, points, k);
          const low = Math.min(below.seconds, above.seconds);
          const high = Math.max(below.seconds, above.seconds);
          return value >= low - 1e-12 && value <= high + 1e-12;
        },
      ),
    );
  });
});

describe('the cost model with times measured per K', () => {
  const measured = candidate({
    verifySecondsByK: [
      { k: 0, seconds: 0.03 },
      { k: 4, seconds: 0.08 },
    ],
    rttSecondsByK: [
      { k: 0, seconds: 0.01 },
      { k: 4, seconds: 0.03 },
    ],
  });

  it('uses plain decoding as measured at K = 0 instead of the line', () => {
    const e = estimate(measured, 0, full);
    expect(e.verifySeconds).toBeCloseTo(0.03, 12);
    expect(e.roundSeconds).toBeCloseTo(0.03 + 0.01, 12);
    expect(verificationTerms(measured, 0)).toEqual({ verifySeconds: 0.03, rttSeconds: 0.01 });
  });

  it('prices and powers the round with the measured terms', () => {
    const e = estimate(measured, 4, full);
    expect(e.verifySeconds).toBeCloseTo(0.08, 12);
    expect(e.roundSeconds).toBeCloseTo(e.draftSeconds + 0.03 + 0.08, 12);
    expect(e.usdPerMillionTokens).toBeCloseTo(((0.08 * 5) / 3600 / e.expectedTokens) * 1e6, 9);
    expect(e.joulesPerToken).toBeCloseTo((8 * e.draftSeconds + 3 * (0.03 + 0.08)) / e.expectedTokens, 12);
  });

  it('the grid agrees with estimate() at every K', () => {
    const grid = evaluateGrid([measured], 0, 12, full);
    for (let k = 0; k <= 12; k++) {
      const single = estimate(measured, k, full);
      expect(grid.verifySeconds[k]).toBeCloseTo(single.verifySeconds, 12);
      expect(grid.roundSeconds[k]).toBeCloseTo(single.roundSeconds, 12);
      expect(grid.goodput[k]).toBeCloseTo(single.goodputTokensPerSecond, 9);
    }
  });

  it('the correction moves measured points with the rest of verification and network', () => {
    const rounds = 1000;
    const observed: ServingCounters = {
      rounds,
      tokens: rounds * 3,
      drafted: [rounds, 0.8 * rounds, 0.64 * rounds, 0.51 * rounds],
      accepted: [0.8 * rounds, 0.64 * rounds, 0.51 * rounds, 0.41 * rounds],
      kRounds: 4 * rounds,
      draftSeconds: rounds * 0.085,
      // Twice the measured 0.08 s at K = 4, and 0.01 s more network per round.
      verifySeconds: rounds * 0.16,
      networkSeconds: rounds * 0.04,
      windowSeconds: 600,
    };
    const evidence = { verifySamples: 1000, networkSamples: 1000, draftSamples: 1000, acceptanceSamples: 1000 };
    const c = correctInputs(measured, evidence, observed);
    expect(c.verifyScale).toBeGreaterThan(1.3);
    expect(c.inputs.verifySecondsByK?.[1]?.seconds).toBeCloseTo(0.08 * c.verifyScale, 12);
    expect(c.inputs.verifySecondsByK?.[0]?.seconds).toBeCloseTo(0.03 * c.verifyScale, 12);
    const shift = c.inputs.rttSeconds - measured.rttSeconds;
    expect(shift).toBeGreaterThan(0);
    expect(c.inputs.rttSecondsByK?.[0]?.seconds).toBeCloseTo(0.01 + shift, 12);
  });

  it('a verifier load adds the same extra to measured points as to the line, so it is not cancelled', () => {
    const load = { extraInterceptSeconds: 0.01, extraSecondsPerToken: 0.002, windows: 5 };
    const loaded = loadedInputs(measured, load, 3);
    // Batch 3: two more drafters, each adding c + d·(K+1).
    expect(verificationTerms(loaded, 4).verifySeconds).toBeCloseTo(0.08 + 2 * (0.01 + 0.002 * 5), 12);
    expect(verificationTerms(loaded, 0).verifySeconds).toBeCloseTo(0.03 + 2 * (0.01 + 0.002), 12);
    expect(estimate(loaded, 4, full).goodputTokensPerSecond).toBeLessThan(
      estimate(measured, 4, full).goodputTokensPerSecond,
    );
    expect(loadedInputs(measured, load, 1)).toBe(measured);
    expect(loadedInputs(measured, { ...load, windows: 0 }, 3)).toBe(measured);
  });

  it('corrects RTT against what the profile measured at the served K, not the K ≥ 1 mean', () => {
    const inputs = candidate({
      rttSeconds: 0.0003,
      rttSecondsByK: [
        { k: 1, seconds: 0.0001 },
        { k: 8, seconds: 0.0005 },
      ],
    });
    const rounds = 500;
    const observed: ServingCounters = {
      rounds,
      tokens: rounds * 4,
      drafted: [rounds],
      accepted: [0.8 * rounds],
      kRounds: 8 * rounds,
      draftSeconds: rounds * (0.005 + 8 * 0.02),
      verifySeconds: rounds * verificationTerms(inputs, 8).verifySeconds,
      // Exactly what the profile measured at K = 8.
      networkSeconds: rounds * 0.0005,
      windowSeconds: 600,
    };
    const evidence = { verifySamples: 100, networkSamples: 100, draftSamples: 100, acceptanceSamples: 100 };
    const c = correctInputs(inputs, evidence, observed);
    expect(verificationTerms(c.inputs, 8).rttSeconds).toBeCloseTo(0.0005, 12);
    expect(c.inputs.rttSeconds).toBeCloseTo(0.0003, 12);
  });
});
