import fc from 'fast-check';
import {
  evaluateGrid,
  explainInfeasibility,
  nonDominatedRows,
  paretoFront,
  rowCandidate,
  rowK,
  selectBest,
  MAX_FRONTIER_ENTRIES,
  type EvaluatedGrid,
} from '../../../src/costmodel/index.js';
import { candidate } from './costmodel-fixtures.js';

const full = { accounting: 'Full' as const, paperVerifySeconds: 0.5 };

const candidateArb = fc.record({
  acceptanceRate: fc.double({ min: 0.1, max: 0.95, noNaN: true }),
  draftSecondsPerToken: fc.double({ min: 0.002, max: 0.2, noNaN: true }),
  draftingWatts: fc.double({ min: 1, max: 60, noNaN: true }),
  verifyInterceptSeconds: fc.double({ min: 0.01, max: 0.6, noNaN: true }),
});

function gridOf(
  specs: {
    acceptanceRate: number;
    draftSecondsPerToken: number;
    draftingWatts: number;
    verifyInterceptSeconds: number;
  }[],
): EvaluatedGrid {
  return evaluateGrid(
    specs.map((s, i) => candidate({ ...s, draft: `d${i}` })),
    0,
    10,
    full,
  );
}

// Figures closer than this (relative) are the same point to the model; the front keeps one of them.
const SAME = 1e-9;
const clearlyAbove = (x: number, y: number) => x > y + SAME * Math.max(Math.abs(x), Math.abs(y));

function dominates(grid: EvaluatedGrid, a: number, b: number): boolean {
  const g = [grid.goodput[a]!, grid.goodput[b]!] as const;
  const c = [grid.usdPerMillionTokens[a]!, grid.usdPerMillionTokens[b]!] as const;
  const j = [grid.joulesPerToken[a]!, grid.joulesPerToken[b]!] as const;
  const noWorse = !clearlyAbove(g[1], g[0]) && !clearlyAbove(c[0], c[1]) && !clearlyAbove(j[0], j[1]);
  const better = clearlyAbove(g[0], g[1]) || clearlyAbove(c[1], c[0]) || clearlyAbove(j[1], j[0]);
  return noWorse && better;
}

const bestValue = (values: Float64Array, front: number[], larger: boolean) =>
  front.reduce(
    (acc, row) => (larger ? Math.max(acc, values[row]!) : Math.min(acc, values[row]!)),
    larger ? -Infinity : Infinity,
  );
const overall = (grid: EvaluatedGrid, values: Float64Array, larger: boolean) =>
  bestValue(
    values,
    [...Array(grid.rows).keys()].filter((r) => grid.violations[r] === 0),
    larger,
  );
const close = (x: number, y: number) => !clearlyAbove(x, y) && !clearlyAbove(y, x);

describe('selection', () => {
  it('picks the feasible configuration with the best objective value', () => {
    fc.assert(
      fc.property(fc.array(candidateArb, { minLength: 1, maxLength: 6 }), (specs) => {
        const grid = gridOf(specs);
        const { best } = selectBest(grid, 'Goodput');
        for (let row = 0; row < grid.rows; row++)
          if (grid.goodput[row]! > grid.goodput[best]! * (1 + 1e-9)) return false;
        return true;
      }),
    );
  });

  it('breaks ties by the other objectives in order: equal goodput, lower cost wins', () => {
    // Same goodput (same speed, acceptance, verification) but the second drafter draws less power.
    const grid = evaluateGrid(
      [candidate({ draft: 'hungry', draftingWatts: 20 }), candidate({ draft: 'frugal', draftingWatts: 5 })],
      2,
      2,
      full,
    );
    // Cost ties too (same verification), so energy decides.
    expect(rowCandidate(grid, selectBest(grid, 'Goodput').best).draft).toBe('frugal');
  });

  it('selects K = 0 and says so when no speculative configuration beats it', () => {
    // A very slow drafter: every drafted token costs more time than the verification it saves.
    const grid = evaluateGrid([candidate({ draftSecondsPerToken: 1, acceptanceRate: 0.5 })], 0, 6, full);
    const selection = selectBest(grid, 'Goodput');
    expect(rowK(grid, selection.best)).toBe(0);
    expect(selection.noSpeculativeGain).toBe(true);
    expect(rowK(grid, selection.runnerUp)).toBeGreaterThan(0);
  });

  it('names a runner-up with another draft or quantisation when one is feasible', () => {
    const grid = evaluateGrid([candidate({ draft: 'a' }), candidate({ draft: 'b', acceptanceRate: 0.5 })], 1, 8, full);
    const selection = selectBest(grid, 'Goodput');
    expect(rowCandidate(grid, selection.best).draft).toBe('a');
    expect(rowCandidate(grid, selection.runnerUp).draft).toBe('b');
  });

  it('skips configurations that do not fit in memory', () => {
    const grid = evaluateGrid(
      [candidate({ draft: 'big', acceptanceRate: 0.95, requiredMemoryBytes: 9e9 }), candidate({ draft: 'small' })],
      1,
      8,
      full,
    );
    expect(rowCandidate(grid, selectBest(grid, 'Goodput').best).draft).toBe('small');
  });
});

describe('infeasibility', () => {
  it('reports the best achievable figure per unmet constraint', () => {
    const constraints = { minGoodputTokensPerSecond: 1000, maxJoulesPerToken: 10 };
    const grid = evaluateGrid(
      [candidate({ draft: 'a' }), candidate({ draft: 'b', acceptanceRate: 0.9 })],
      0,
      8,
      full,
      constraints,
    );
    expect(selectBest(grid, 'Goodput').best).toBe(-1);
    const report = explainInfeasibility(grid, constraints);
    expect(report.reasons.map((r) => r.code)).toEqual(['GoodputBelowMinimum']);
    const goodput = report.bestAchievable.find((b) => b.constraint === 'minGoodputTokensPerSecond')!;
    let max = 0;
    for (let row = 0; row < grid.rows; row++) max = Math.max(max, grid.goodput[row]!);
    expect(goodput.bestAchievable).toBe(max);
    expect(goodput.limit).toBe(1000);
    expect(goodput.draft).toBe('b');
    expect(report.bestAchievable.find((b) => b.constraint === 'maxJoulesPerToken')!.bestAchievable).toBeLessThan(10);
  });

  it('reports memory when no candidate fits', () => {
    const grid = evaluateGrid([candidate({ requiredMemoryBytes: 20e9 })], 0, 4, full);
    const report = explainInfeasibility(grid, {});
    expect(report.reasons).toHaveLength(1);
    expect(report.reasons[0]!.code).toBe('MemoryExceeded');
    expect(report.reasons[0]!.message).toMatch(/needs 18\.63 GiB .* has 7\.45 GiB/);
  });

  it('says when each constraint is reachable alone but not together', () => {
    // A power-hungry drafter: the K of best goodput is not the K of lowest energy.
    const base = candidate({ draftSecondsPerToken: 0.01, draftingWatts: 50, verifyInterceptSeconds: 0.3 });
    const open = evaluateGrid([base], 0, 10, full);
    const maxGoodput = Math.max(...open.goodput);
    const minJoules = Math.min(...open.joulesPerToken);
    expect(open.goodput.indexOf(maxGoodput)).not.toBe(open.joulesPerToken.indexOf(minJoules));
    const constraints = { minGoodputTokensPerSecond: maxGoodput * 0.999, maxJoulesPerToken: minJoules * 1.001 };
    const grid = evaluateGrid([base], 0, 10, full, constraints);
    expect(selectBest(grid, 'Goodput').best).toBe(-1);
    expect(explainInfeasibility(grid, constraints).reasons[0]!.message).toMatch(
      /no configuration meets all of them together/,
    );
  });
});

describe('Pareto front', () => {
  it('holds only non-dominated feasible configurations', () => {
    fc.assert(
      fc.property(fc.array(candidateArb, { minLength: 1, maxLength: 5 }), (specs) => {
        const grid = gridOf(specs);
        const front = nonDominatedRows(grid, 'Goodput');
        for (const row of front)
          for (let other = 0; other < grid.rows; other++) if (dominates(grid, other, row)) return false;
        // Every feasible row off the front is dominated or duplicates a front point.
        return front.length > 0;
      }),
    );
  });

  it('has at most five entries, includes the best on each objective, in a stable order', () => {
    fc.assert(
      fc.property(fc.array(candidateArb, { minLength: 2, maxLength: 6 }), (specs) => {
        const grid = gridOf(specs);
        const front = paretoFront(grid, 'CostEfficiency');
        if (front.length > MAX_FRONTIER_ENTRIES) return false;
        const again = paretoFront(gridOf(specs), 'CostEfficiency');
        if (JSON.stringify(front) !== JSON.stringify(again)) return false;
        // The best figure on each objective is represented on the front.
        return (
          close(bestValue(grid.goodput, front, true), overall(grid, grid.goodput, true)) &&
          close(bestValue(grid.usdPerMillionTokens, front, false), overall(grid, grid.usdPerMillionTokens, false)) &&
          close(bestValue(grid.joulesPerToken, front, false), overall(grid, grid.joulesPerToken, false))
        );
      }),
    );
  });
});
