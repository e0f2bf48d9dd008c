// Choosing one configuration per device class from an evaluated grid.
import type { Constraints, Objective } from '../api/types.js';
import { memoryReason } from './feasibility.js';
import { type EvaluatedGrid, rowCandidate, rowK, rowOf, Violation } from './grid.js';
import { compareRows, nearlyEqual, objectiveOrder } from './ranking.js';
import type { FeasibilityReason } from './types.js';

export interface GridSelection {
  /** Best feasible row, or -1 when nothing is feasible. */
  best: number;
  /** Best feasible row with a different draft or quantisation (else a different K); -1 if none. */
  runnerUp: number;
  /** Best feasible row with K > 0; -1 if none. */
  bestSpeculative: number;
  feasibleRows: number;
  /** True when K = 0 won because no speculative configuration beats it. */
  noSpeculativeGain: boolean;
}

export function selectBest(grid: EvaluatedGrid, objective: Objective): GridSelection {
  const order = objectiveOrder(objective);
  const candidateCount = grid.candidates.length;
  // Best feasible row per candidate: one pass over the grid, then a ranking of at most `candidateCount` rows.
  const bestOfCandidate = new Int32Array(candidateCount).fill(-1);
  const secondOfCandidate = new Int32Array(candidateCount).fill(-1);
  let bestSpeculative = -1;
  let feasibleRows = 0;
  for (let c = 0; c < candidateCount; c++) {
    const start = c * grid.kCount;
    let first = -1;
    let second = -1;
    for (let row = start; row < start + grid.kCount; row++) {
      if (grid.violations[row] !== 0) continue;
      feasibleRows++;
      if (first < 0 || compareRows(grid, row, first, order) < 0) {
        second = first;
        first = row;
      } else if (second < 0 || compareRows(grid, row, second, order) < 0) {
        second = row;
      }
      if (rowK(grid, row) > 0 && (bestSpeculative < 0 || compareRows(grid, row, bestSpeculative, order) < 0)) {
        bestSpeculative = row;
      }
    }
    bestOfCandidate[c] = first;
    secondOfCandidate[c] = second;
  }
  let best = -1;
  let runnerUp = -1;
  for (let c = 0; c < candidateCount; c++) {
    const row = bestOfCandidate[c]!;
    if (row < 0) continue;
    if (best < 0 || compareRows(grid, row, best, order) < 0) {
      runnerUp = best;
      best = row;
    } else if (runnerUp < 0 || compareRows(grid, row, runnerUp, order) < 0) {
      runnerUp = row;
    }
  }
  if (best < 0) return { best, runnerUp: -1, bestSpeculative: -1, feasibleRows, noSpeculativeGain: false };

  const noSpeculativeGain = rowK(grid, best) === 0;
  if (noSpeculativeGain) {
    // K = 0 figures barely depend on the draft; prefer the draft of the best speculative configuration when it
    // ties, so that a later switch to K > 0 is a hot reload, not a rollout. The runner-up is then that
    // speculative configuration: it is what the user wants to compare against.
    if (bestSpeculative >= 0) {
      const sameDraftPlainRow = rowOf(grid, Math.floor(bestSpeculative / grid.kCount), 0);
      if (
        sameDraftPlainRow >= 0 &&
        grid.violations[sameDraftPlainRow] === 0 &&
        tiesOnAll(grid, sameDraftPlainRow, best)
      )
        best = sameDraftPlainRow;
      runnerUp = bestSpeculative;
    } else {
      runnerUp = -1;
    }
  } else if (runnerUp < 0) {
    runnerUp = secondOfCandidate[Math.floor(best / grid.kCount)]!;
  }
  return { best, runnerUp, bestSpeculative, feasibleRows, noSpeculativeGain };
}

function tiesOnAll(grid: EvaluatedGrid, a: number, b: number): boolean {
  return (
    nearlyEqual(grid.goodput[a]!, grid.goodput[b]!) &&
    nearlyEqual(grid.usdPerMillionTokens[a]!, grid.usdPerMillionTokens[b]!) &&
    nearlyEqual(grid.joulesPerToken[a]!, grid.joulesPerToken[b]!)
  );
}

/** The best any configuration that fits in memory achieves on one constrained figure. */
export interface BestAchievable {
  constraint: keyof Constraints;
  limit: number;
  bestAchievable: number;
  draft: string;
  quantization: string;
  k: number;
}

export interface InfeasibilityReport {
  reasons: FeasibilityReason[];
  /** Per declared constraint that no configuration meets: the best figure reachable and where. */
  bestAchievable: BestAchievable[];
}

/** Why nothing is feasible: memory for every candidate, or which constraints cannot be met and by how much. */
export function explainInfeasibility(grid: EvaluatedGrid, constraints: Constraints): InfeasibilityReport {
  const fitting: number[] = [];
  for (let row = 0; row < grid.rows; row++) if ((grid.violations[row]! & Violation.Memory) === 0) fitting.push(row);
  if (grid.rows === 0)
    return {
      reasons: [
        { code: 'KOutOfRange', message: 'the grid is empty: no drafts, quantisations or K values to evaluate' },
      ],
      bestAchievable: [],
    };
  if (fitting.length === 0) {
    const smallest = grid.candidates.reduce((a, b) => (b.requiredMemoryBytes < a.requiredMemoryBytes ? b : a));
    return { reasons: [memoryReason(smallest)], bestAchievable: [] };
  }
  const reasons: FeasibilityReason[] = [];
  const bestAchievable: BestAchievable[] = [];
  const describe = (row: number) => ({
    draft: rowCandidate(grid, row).draft,
    quantization: rowCandidate(grid, row).quantization,
    k: rowK(grid, row),
  });
  const pick = (value: (row: number) => number, larger: boolean) =>
    fitting.reduce((a, b) => ((larger ? value(b) > value(a) : value(b) < value(a)) ? b : a));

  if (constraints.minGoodputTokensPerSecond !== undefined) {
    const row = pick((r) => grid.goodput[r]!, true);
    const value = grid.goodput[row]!;
    if (value < constraints.minGoodputTokensPerSecond) {
      reasons.push({
        code: 'GoodputBelowMinimum',
        message: `no configuration reaches ${constraints.minGoodputTokensPerSecond} tok/s; the best is ${value.toFixed(2)} tok/s`,
      });
    }
    bestAchievable.push({
      constraint: 'minGoodputTokensPerSecond',
      limit: constraints.minGoodputTokensPerSecond,
      bestAchievable: value,
      ...describe(row),
    });
  }
  if (constraints.maxUSDPerMillionTokens !== undefined) {
    const row = pick((r) => grid.usdPerMillionTokens[r]!, false);
    const value = grid.usdPerMillionTokens[row]!;
    if (value > constraints.maxUSDPerMillionTokens) {
      reasons.push({
        code: 'CostAboveMaximum',
        message: `no configuration costs $${constraints.maxUSDPerMillionTokens}/Mtoken or less; the cheapest is $${value.toFixed(4)}/Mtoken`,
      });
    }
    bestAchievable.push({
      constraint: 'maxUSDPerMillionTokens',
      limit: constraints.maxUSDPerMillionTokens,
      bestAchievable: value,
      ...describe(row),
    });
  }
  if (constraints.maxJoulesPerToken !== undefined) {
    const row = pick((r) => grid.joulesPerToken[r]!, false);
    const value = grid.joulesPerToken[row]!;
    if (value > constraints.maxJoulesPerToken) {
      reasons.push({
        code: 'EnergyAboveMaximum',
        message: `no configuration uses ${constraints.maxJoulesPerToken} J/token or less; the lowest is ${value.toFixed(3)} J/token`,
      });
    }
    bestAchievable.push({
      constraint: 'maxJoulesPerToken',
      limit: constraints.maxJoulesPerToken,
      bestAchievable: value,
      ...describe(row),
    });
  }
  if (reasons.length === 0) {
    // Each constraint alone is reachable, but no single configuration meets all of them at once.
    reasons.push({
      code: bestAchievable[0] ? codeOf(bestAchievable[0].constraint) : 'MemoryExceeded',
      message: 'each constraint is met by some configuration, but no configuration meets all of them together',
    });
  }
  return { reasons, bestAchievable };
}

function codeOf(constraint: keyof Constraints): FeasibilityReason['code'] {
  switch (constraint) {
    case 'minGoodputTokensPerSecond':
      return 'GoodputBelowMinimum';
    case 'maxUSDPerMillionTokens':
      return 'CostAboveMaximum';
    case 'maxJoulesPerToken':
      return 'EnergyAboveMaximum';
  }
}
