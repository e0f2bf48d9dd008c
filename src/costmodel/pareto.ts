// A short Pareto front over (goodput, 1/cost, 1/energy) for explanation in status and in the CLI.
import type { Objective } from '../api/types.js';
import type { EvaluatedGrid } from './grid.js';
import { compareRows, nearlyEqual, objectiveOrder } from './ranking.js';

export const MAX_FRONTIER_ENTRIES = 5;

/** True when a is at least as good as b on all three figures (equal counts: duplicates collapse). */
function weaklyDominates(grid: EvaluatedGrid, a: number, b: number): boolean {
  const ga = grid.goodput[a]!;
  const gb = grid.goodput[b]!;
  const ca = grid.usdPerMillionTokens[a]!;
  const cb = grid.usdPerMillionTokens[b]!;
  const ja = grid.joulesPerToken[a]!;
  const jb = grid.joulesPerToken[b]!;
  return (ga >= gb || nearlyEqual(ga, gb)) && (ca <= cb || nearlyEqual(ca, cb)) && (ja <= jb || nearlyEqual(ja, jb));
}

/** Every non-dominated feasible row; among identical points only the best-ranked one is kept. */
export function nonDominatedRows(grid: EvaluatedGrid, objective: Objective): number[] {
  const order = objectiveOrder(objective);
  const feasible: number[] = [];
  for (let row = 0; row < grid.rows; row++) if (grid.violations[row] === 0) feasible.push(row);
  // Sorted by goodput first, a row can only be dominated by a row before it; checking against the front so far
  // suffices because domination is transitive (a dominated dominator's own dominator is on the front).
  feasible.sort((a, b) => compareRows(grid, a, b, ['Goodput', 'CostEfficiency', 'EnergyEfficiency']));
  const front: number[] = [];
  for (const row of feasible) {
    let dominated = false;
    for (const kept of front) {
      if (weaklyDominates(grid, kept, row)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push(row);
  }
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
