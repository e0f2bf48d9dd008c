import fc from 'fast-check';
import { estimate, evaluateGrid, selectBest, rowK } from '../../../src/costmodel/index.js';
import { candidate } from './costmodel-fixtures.js';

const full = { accounting: 'Full' as const, paperVerifySeconds: 0.5 };
const paper = { accounting: 'Paper' as const, paperVerifySeconds: 0.5 };

describe('estimate (Full accounting)', () => {
  it('composes the round from drafting, network and verification', () => {
    const e = estimate(candidate(), 4, full);
    expect(e.draftSeconds).toBeCloseTo(0.005 + 4 * 0.02, 12);
    expect(e.verifySeconds).toBeCloseTo(0.05 + 0.001 * 5, 12);
    expect(e.roundSeconds).toBeCloseTo(e.draftSeconds + 0.02 + e.verifySeconds, 12);
    expect(e.goodputTokensPerSecond).toBeCloseTo(e.expectedTokens / e.roundSeconds, 12);
    expect(e.usdPerMillionTokens).toBeCloseTo(((e.verifySeconds * 5) / 3600 / e.expectedTokens) * 1e6, 9);
    expect(e.joulesPerToken).toBeCloseTo((8 * e.draftSeconds + 3 * (0.02 + e.verifySeconds)) / e.expectedTokens, 12);
  });

  it('spends no drafting time or drafting energy at K = 0', () => {
    const e = estimate(candidate(), 0, full);
    expect(e.expectedTokens).toBe(1);
    expect(e.draftSeconds).toBe(0);
    expect(e.joulesPerToken).toBeCloseTo(3 * (0.02 + 0.051), 12);
  });

  it('has an interior goodput optimum in K when verification dominates the round', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.6, max: 0.9, noNaN: true }),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        (alpha, verifySeconds) => {
          // Drafting is 10 ms/token against a verification of 0.2–1 s: speculation pays, but not without limit.
          const inputs = candidate({
            acceptanceRate: alpha,
            verifyInterceptSeconds: verifySeconds,
            draftSecondsPerToken: 0.01,
          });
          const grid = evaluateGrid([inputs], 0, 400, full);
          const best = rowK(grid, selectBest(grid, 'Goodput').best);
          return best > 0 && best < 400;
        },
      ),
    );
  });

  it('is deterministic: the same inputs give bit-identical figures', () => {
    const a = evaluateGrid([candidate(), candidate({ draft: 'b', acceptanceRate: 0.6 })], 0, 16, full);
    const b = evaluateGrid([candidate(), candidate({ draft: 'b', acceptanceRate: 0.6 })], 0, 16, full);
    expect(Array.from(a.goodput)).toEqual(Array.from(b.goodput));
    expect(Array.from(a.usdPerMillionTokens)).toEqual(Array.from(b.usdPerMillionTokens));
    expect(Array.from(a.joulesPerToken)).toEqual(Array.from(b.joulesPerToken));
  });
});

describe('estimate (Paper accounting)', () => {
  it('uses K/v + constant T_v, list price per processed token and drafting energy only', () => {
    const e = estimate(candidate(), 3, paper);
    expect(e.roundSeconds).toBeCloseTo(3 * 0.02 + 0.5, 12);
    expect(e.usdPerMillionTokens).toBeCloseTo((0.2e-6 * 4 * 1e6) / e.expectedTokens, 12);
    expect(e.joulesPerToken).toBeCloseTo((8 * 3 * 0.02) / e.expectedTokens, 12);
  });

  it('prices K = 0 at exactly the list price: one processed token, one produced', () => {
    expect(estimate(candidate(), 0, paper).usdPerMillionTokens).toBeCloseTo(0.2, 12);
  });
});
