import fc from 'fast-check';
import { estimate, evaluateGrid, expectedTokensIid, expectedTokensPerPosition } from '../../../src/costmodel/index.js';
import { candidate } from './costmodel-fixtures.js';

const alpha = fc.double({ min: 0, max: 1, noNaN: true });
const k = fc.integer({ min: 0, max: 32 });

describe('expected tokens per round E[N]', () => {
  it('lies in [1, K+1]', () => {
    fc.assert(
      fc.property(alpha, k, (a, kk) => {
        const e = expectedTokensIid(a, kk);
        return e >= 1 - 1e-12 && e <= kk + 1 + 1e-9;
      }),
    );
  });

  it('is exactly 1 at K = 0 whatever the acceptance', () => {
    fc.assert(
      fc.property(alpha, (a) => expectedTokensIid(a, 0) === 1 && expectedTokensPerPosition([a, a], a, 0) === 1),
    );
  });

  it('is K+1 at α = 1 and 1 at α = 0', () => {
    expect(expectedTokensIid(1, 7)).toBe(8);
    expect(expectedTokensIid(0, 7)).toBe(1);
  });

  it('matches the closed form (1 − α^(K+1)) / (1 − α)', () => {
    expect(expectedTokensIid(0.5, 3)).toBeCloseTo(1 + 0.5 + 0.25 + 0.125, 12);
  });

  it('does not decrease when α rises', () => {
    fc.assert(
      fc.property(alpha, alpha, k, (a, b, kk) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        return expectedTokensIid(low, kk) <= expectedTokensIid(high, kk) + 1e-12;
      }),
    );
  });

  it('does not decrease when K rises', () => {
    fc.assert(fc.property(alpha, k, (a, kk) => expectedTokensIid(a, kk) <= expectedTokensIid(a, kk + 1) + 1e-12));
  });

  it('per-position form with a constant rate equals the i.i.d. form', () => {
    fc.assert(
      fc.property(alpha, k, (a, kk) => {
        const positions = Array.from({ length: kk }, () => a);
        return Math.abs(expectedTokensPerPosition(positions, a, kk) - expectedTokensIid(a, kk)) < 1e-9;
      }),
    );
  });

  it('per-position form uses measured positions first, then the fallback rate', () => {
    // 1 + 0.9 + 0.9·0.5 + 0.9·0.5·0.2
    expect(expectedTokensPerPosition([0.9, 0.5], 0.2, 3)).toBeCloseTo(1 + 0.9 + 0.45 + 0.09, 12);
  });

  it('the grid computes the same figures as estimate() for every K, both accountings, both acceptance forms', () => {
    for (const accounting of ['Full', 'Paper'] as const) {
      const settings = { accounting, paperVerifySeconds: 0.5 };
      const inputs = [candidate(), candidate({ draft: 'b', perPositionAcceptance: [0.9, 0.8, 0.6] })];
      const grid = evaluateGrid(inputs, 0, 12, settings);
      inputs.forEach((input, c) => {
        for (let kk = 0; kk <= 12; kk++) {
          const row = c * grid.kCount + kk;
          const single = estimate(input, kk, settings);
          expect(grid.expectedTokens[row]).toBeCloseTo(single.expectedTokens, 12);
          expect(grid.goodput[row]).toBeCloseTo(single.goodputTokensPerSecond, 9);
          expect(grid.usdPerMillionTokens[row]).toBeCloseTo(single.usdPerMillionTokens, 9);
          expect(grid.joulesPerToken[row]).toBeCloseTo(single.joulesPerToken, 9);
        }
      });
    }
  });
});
