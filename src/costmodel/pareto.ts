// A short Pareto front over (goodput, 1/cost, 1/energy) for explanation in status and in the CLI.
import type { Objective } from '../api/types.js';
import type { EvaluatedGrid } from './grid.js';
import { compareRows, objectiveOrder } from './ranking.js';

export const MAX_FRONTIER_ENTRIES = 5;

/** Relative slack under which cost or energy figures count as equal (see ranking.ts). */
const SLACK = 1e-9;

/** Index of the first element of the ascending `values` that is greater than `limit`. */
function upperBound(values: number[], limit: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Every non-dominated feasible row; among (nearly) identical points only one is kept.
 * Sweep in falling goodput: a row is dominated iff an earlier kept row is no worse on cost and energy. The
 * earlier rows' (cost, energy) minima form a staircase (cost rising, energy falling), so the check is a binary
 * search: the staircase point with the largest cost not above the row's has the lowest energy among them.
 */
export function nonDominatedRows(grid: EvaluatedGrid, objective: Objective): number[] {
  const goodput = grid.goodput;
  const cost = grid.usdPerMillionTokens;
  const energy = grid.joulesPerToken;
  const feasible: number[] = [];
  for (let row = 0; row < grid.rows; row++) if (grid.violations[row] === 0) feasible.push(row);
  feasible.sort((a, b) => goodput[b]! - goodput[a]! || cost[a]! - cost[b]! || energy[a]! - energy[b]! || a - b);
  const stairCost: number[] = [];
  const stairEnergy: number[] = [];
  const front: number[] = [];
  for (const row of feasible) {
    const c = cost[row]!;
    const e = energy[row]!;
    const at = upperBound(stairCost, c + SLACK * Math.abs(c)) - 1;
    if (at >= 0 && stairEnergy[at]! <= e + SLACK * Math.abs(e)) continue;
    front.push(row);
    // Insert (c, e) and drop the staircase points it makes redundant (cost ≥ c and energy ≥ e).
    let insertAt = upperBound(stairCost, c);
    while (insertAt > 0 && stairCost[insertAt - 1] === c) insertAt--;
    let removeEnd = insertAt;
    while (removeEnd < stairCost.length && stairEnergy[removeEnd]! >= e) removeEnd++;
    stairCost.splice(insertAt, removeEnd - insertAt, c);
    stairEnergy.splice(insertAt, removeEnd - insertAt, e);
  }
  const order = objectiveOrder(objective);
  return front.sort((a, b) => compareRows(grid, a, b, order));
}

/**
 * At most `limit` front entries: the best on each objective first (primary objective first), then the rest in
 * ranking order; returned in ranking order of the primary objective.
 */
export function paretoFront(grid: EvaluatedGrid, objective: Objective, limit = MAX_FRONTIER_ENTRIES): number[] {
  const front = nonDominatedRows(grid, objective);
  if (front.length <= limit) return front;
  const chosen = new Set<number>();
  for (const each of objectiveOrder(objective)) {
    const order = objectiveOrder(each);
    const bestOnObjective = front.reduce((a, b) => (compareRows(grid, b, a, order) < 0 ? b : a));
    chosen.add(bestOnObjective);
  }
  for (const row of front) {
    if (chosen.size >= limit) break;
    chosen.add(row);
  }
  const order = objectiveOrder(objective);
  return [...chosen].sort((a, b) => compareRows(grid, a, b, order));
}
