import { acceptanceByPosition, fitLine, median } from '../../../src/agent/profiler/fit.js';

describe('profiler statistics', () => {
  it('fits a line by least squares', () => {
    const fit = fitLine([1, 2, 4, 8].map((x) => ({ x, y: 0.002 + 0.0005 * x })));
    expect(fit.intercept).toBeCloseTo(0.002, 9);
    expect(fit.slope).toBeCloseTo(0.0005, 9);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(() => fitLine([{ x: 1, y: 1 }])).toThrow('at least 2');
    expect(() =>
      fitLine([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow('distinct');
  });

  it('refits through the origin when a non-negative intercept is required and the free fit goes below zero', () => {
    const points = [
      { x: 1, y: 0.1 },
      { x: 2, y: 0.5 },
      { x: 4, y: 1.3 },
    ];
    expect(fitLine(points).intercept).toBeLessThan(0);
    const fit = fitLine(points, { nonNegativeIntercept: true });
    expect(fit.intercept).toBe(0);
    expect(fit.slope).toBeCloseTo((0.1 + 1 + 5.2) / (1 + 4 + 16), 12);
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('computes conditional acceptance per position from rounds', () => {
    // K=3 rounds: all accepted; first rejected; two accepted then rejected.
    const result = acceptanceByPosition([
      { k: 3, accepted: 3 },
      { k: 3, accepted: 0 },
      { k: 3, accepted: 2 },
    ]);
    expect(result.reached).toEqual([3, 2, 2]);
    expect(result.perPosition).toEqual([2 / 3, 1, 0.5]);
    expect(result.overall).toBeCloseTo(5 / 7, 12);
  });
});
