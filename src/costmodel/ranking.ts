// Ordering of configurations under an objective: the objective first, ties broken by the other two objectives
// in the order Goodput, CostEfficiency, EnergyEfficiency, then by smaller K, then by candidate order.
import type { Objective } from '../api/types.js';
import type { EvaluatedGrid } from './grid.js';

export const OBJECTIVES: readonly Objective[] = ['Goodput', 'CostEfficiency', 'EnergyEfficiency'];

/** Relative tolerance under which two figures count as equal (floating-point noise, not real differences). */
const RELATIVE_TOLERANCE = 1e-9;

export function nearlyEqual(a: number, b: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** The objective itself followed by the other two in canonical order. */
export function objectiveOrder(objective: Objective): readonly Objective[] {
  return [objective, ...OBJECTIVES.filter((other) => other !== objective)];
}

/** Figures in "larger is better" form, so every objective compares the same way. */
export interface ObjectiveFigures {
  goodputTokensPerSecond: number;
  usdPerMillionTokens: number;
  joulesPerToken: number;
}

export function objectiveValue(figures: ObjectiveFigures, objective: Objective): number {
  switch (objective) {
    case 'Goodput':
      return figures.goodputTokensPerSecond;
    case 'CostEfficiency':
      return -figures.usdPerMillionTokens;
    case 'EnergyEfficiency':
      return -figures.joulesPerToken;
  }
}

function gridValue(grid: EvaluatedGrid, row: number, objective: Objective): number {
  switch (objective) {
    case 'Goodput':
      return grid.goodput[row]!;
    case 'CostEfficiency':
      return -grid.usdPerMillionTokens[row]!;
    case 'EnergyEfficiency':
      return -grid.joulesPerToken[row]!;
  }
}

/** Negative when row a ranks before row b. */
export function compareRows(grid: EvaluatedGrid, a: number, b: number, order: readonly Objective[]): number {
  for (const objective of order) {
    const va = gridValue(grid, a, objective);
    const vb = gridValue(grid, b, objective);
    if (!nearlyEqual(va, vb)) return vb > va ? 1 : -1;
  }
  const ka = a % grid.kCount;
  const kb = b % grid.kCount;
  if (ka !== kb) return ka - kb;
  return a - b;
}

/** Negative when figures a rank before figures b on the ordered objectives (no K/order tie-break). */
export function compareFigures(a: ObjectiveFigures, b: ObjectiveFigures, order: readonly Objective[]): number {
  for (const objective of order) {
    const va = objectiveValue(a, objective);
    const vb = objectiveValue(b, objective);
    if (!nearlyEqual(va, vb)) return vb > va ? 1 : -1;
  }
  return 0;
}
