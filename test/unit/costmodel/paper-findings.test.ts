// Paper-mode reproduction of ConfigSpec's four findings (design/cost-model.md) from paper-like profiles:
// three edge devices of clearly different speed, three drafts whose acceptance and power rise with size
// (and whose speed falls with it), T_v fixed at 0.5 s, K from 2 to 10 as in the paper.
import {
  evaluateGrid,
  rowCandidate,
  rowK,
  selectBest,
  type CandidateInputs,
  type EvaluatedGrid,
} from '../../../src/costmodel/index.js';
import type { Objective } from '../../../src/api/types.js';
import { candidate } from './costmodel-fixtures.js';

const paper = { accounting: 'Paper' as const, paperVerifySeconds: 0.5 };
const K_MIN = 2;
const K_MAX = 10;

/** Drafting speed of the smallest draft per device (tokens/s): a Pi-class, a mid board, a Jetson-class. */
const devices = [
  { name: 'slow', smallestDraftTokensPerSecond: 10 },
  { name: 'medium', smallestDraftTokensPerSecond: 30 },
  { name: 'fast', smallestDraftTokensPerSecond: 80 },
];

/** Bigger drafts: slower (speed divisor), more aligned (α), more power-hungry (W). */
const drafts = [
  { name: 'small', speedDivisor: 1, alpha: 0.6, watts: 4 },
  { name: 'medium', speedDivisor: 4, alpha: 0.68, watts: 6 },
  { name: 'large', speedDivisor: 10, alpha: 0.75, watts: 8 },
];

function gridFor(device: (typeof devices)[number]): EvaluatedGrid {
  const inputs: CandidateInputs[] = drafts.map((draft) =>
    candidate({
      draft: draft.name,
      quantization: 'Q4_K_M',
      draftSecondsPerToken: draft.speedDivisor / device.smallestDraftTokensPerSecond,
      acceptanceRate: draft.alpha,
      draftingWatts: draft.watts,
      usdPerProcessedToken: 0.9e-6,
    }),
  );
  return evaluateGrid(inputs, K_MIN, K_MAX, paper);
}

function best(grid: EvaluatedGrid, objective: Objective): { draft: string; k: number } {
  const row = selectBest(grid, objective).best;
  return { draft: rowCandidate(grid, row).draft, k: rowK(grid, row) };
}

/** Best K of one draft on one objective. */
function bestKOf(grid: EvaluatedGrid, draft: string, objective: 'Goodput'): number {
  const index = grid.candidates.findIndex((c) => c.draft === draft);
  const only = evaluateGrid([grid.candidates[index]!], K_MIN, K_MAX, paper);
  return best(only, objective).k;
}

describe('Paper accounting reproduces the four ConfigSpec findings', () => {
  const grids = devices.map(gridFor);

  it('1. goodput: the smallest draft wins, at a K* in 2..10 that rises with device speed', () => {
    const kStar = grids.map((grid) => bestKOf(grid, 'small', 'Goodput'));
    for (const grid of grids) expect(best(grid, 'Goodput').draft).toBe('small');
    for (const k of kStar) {
      expect(k).toBeGreaterThanOrEqual(2);
      expect(k).toBeLessThanOrEqual(10);
    }
    expect(kStar[0]!).toBeLessThanOrEqual(kStar[1]!);
    expect(kStar[1]!).toBeLessThanOrEqual(kStar[2]!);
    expect(kStar[0]!).toBeLessThan(kStar[2]!);
  });

  it('2. cost and energy efficiency both peak at the smallest K of the range (the bonus-token effect)', () => {
    for (const grid of grids) {
      expect(best(grid, 'CostEfficiency').k).toBe(K_MIN);
      expect(best(grid, 'EnergyEfficiency').k).toBe(K_MIN);
    }
  });

  it('3. cost favours the largest (most aligned) draft, energy the smallest (lowest power)', () => {
    for (const grid of grids) {
      expect(best(grid, 'CostEfficiency').draft).toBe('large');
      expect(best(grid, 'EnergyEfficiency').draft).toBe('small');
    }
  });

  it('4. no single configuration is best on all three objectives', () => {
    for (const grid of grids) {
      const winners = (['Goodput', 'CostEfficiency', 'EnergyEfficiency'] as const).map((o) =>
        JSON.stringify(best(grid, o)),
      );
      expect(new Set(winners).size).toBeGreaterThan(1);
      // Goodput's and cost's winners never coincide: different drafts.
      expect(best(grid, 'Goodput').draft).not.toBe(best(grid, 'CostEfficiency').draft);
    }
  });
});
