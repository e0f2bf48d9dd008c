// The hot path: every K of every candidate evaluated into flat typed arrays (no allocation per configuration).
// Row r holds candidate floor(r / kCount) at K = kMin + r % kCount. Figures match estimate() exactly.
import type { Constraints } from '../api/types.js';
import { clampProbability } from './acceptance.js';
import { verificationTerms } from './estimate.js';
import type { CandidateInputs, Estimate, ModelSettings } from './types.js';

/** Bit flags of the feasibility checks a row fails (0 = feasible). */
export const Violation = {
  Memory: 1,
  MinGoodput: 2,
  MaxCost: 4,
  MaxEnergy: 8,
} as const;

export interface EvaluatedGrid {
  candidates: readonly CandidateInputs[];
  kMin: number;
  kMax: number;
  kCount: number;
  rows: number;
  expectedTokens: Float64Array;
  draftSeconds: Float64Array;
  verifySeconds: Float64Array;
  roundSeconds: Float64Array;
  goodput: Float64Array;
  usdPerMillionTokens: Float64Array;
  joulesPerToken: Float64Array;
  violations: Uint8Array;
}

export function evaluateGrid(
  candidates: readonly CandidateInputs[],
  kMin: number,
  kMax: number,
  settings: ModelSettings,
  constraints: Constraints = {},
): EvaluatedGrid {
  const kCount = Math.max(0, kMax - kMin + 1);
  const rows = candidates.length * kCount;
  const grid: EvaluatedGrid = {
    candidates,
    kMin,
    kMax,
    kCount,
    rows,
    expectedTokens: new Float64Array(rows),
    draftSeconds: new Float64Array(rows),
    verifySeconds: new Float64Array(rows),
    roundSeconds: new Float64Array(rows),
    goodput: new Float64Array(rows),
    usdPerMillionTokens: new Float64Array(rows),
    joulesPerToken: new Float64Array(rows),
    violations: new Uint8Array(rows),
  };
  const minGoodput = constraints.minGoodputTokensPerSecond ?? -Infinity;
  const maxCost = constraints.maxUSDPerMillionTokens ?? Infinity;
  const maxEnergy = constraints.maxJoulesPerToken ?? Infinity;
  const paper = settings.accounting === 'Paper';

  for (let c = 0; c < candidates.length; c++) {
    const inputs = candidates[c]!;
    const alpha = clampProbability(inputs.acceptanceRate);
    const perPosition = inputs.perPositionAcceptance;
    const measuredPositions = perPosition ? perPosition.length : 0;
    const secondsPerToken = inputs.draftSecondsPerToken;
    const memoryViolation = inputs.requiredMemoryBytes > inputs.availableMemoryBytes ? Violation.Memory : 0;

    // E[N] up to kMin, then one multiplication per further K.
    let expected = 1;
    let survival = 1;
    for (let position = 1; position < kMin; position++) {
      survival *= position <= measuredPositions ? clampProbability(perPosition![position - 1]!) : alpha;
      expected += survival;
    }
    let row = c * kCount;
    for (let k = kMin; k <= kMax; k++, row++) {
      if (k > 0) {
        survival *= k <= measuredPositions ? clampProbability(perPosition![k - 1]!) : alpha;
        expected += survival;
      }
      let draftSeconds: number;
      let verifySeconds: number;
      let roundSeconds: number;
      let usdPerToken: number;
      let joulesPerRound: number;
      if (paper) {
        draftSeconds = k * secondsPerToken;
        verifySeconds = settings.paperVerifySeconds;
        roundSeconds = draftSeconds + verifySeconds;
        usdPerToken = (inputs.usdPerProcessedToken * (k + 1)) / expected;
        joulesPerRound = inputs.draftingWatts * draftSeconds;
      } else {
        draftSeconds = k > 0 ? inputs.draftInterceptSeconds + k * secondsPerToken : 0;
        const terms = verificationTerms(inputs, k);
        verifySeconds = terms.verifySeconds;
        roundSeconds = draftSeconds + terms.rttSeconds + verifySeconds;
        usdPerToken = (verifySeconds * inputs.verifierUsdPerSecond) / expected;
        joulesPerRound = inputs.draftingWatts * draftSeconds + inputs.waitingWatts * (terms.rttSeconds + verifySeconds);
      }
      const goodput = expected / roundSeconds;
      const usdPerMillion = usdPerToken * 1e6;
      const joules = joulesPerRound / expected;
      grid.expectedTokens[row] = expected;
      grid.draftSeconds[row] = draftSeconds;
      grid.verifySeconds[row] = verifySeconds;
      grid.roundSeconds[row] = roundSeconds;
      grid.goodput[row] = goodput;
      grid.usdPerMillionTokens[row] = usdPerMillion;
      grid.joulesPerToken[row] = joules;
      grid.violations[row] =
        memoryViolation |
        (goodput < minGoodput ? Violation.MinGoodput : 0) |
        (usdPerMillion > maxCost ? Violation.MaxCost : 0) |
        (joules > maxEnergy ? Violation.MaxEnergy : 0);
    }
  }
  return grid;
}

export function rowCandidate(grid: EvaluatedGrid, row: number): CandidateInputs {
  return grid.candidates[Math.floor(row / grid.kCount)]!;
}

export function rowK(grid: EvaluatedGrid, row: number): number {
  return grid.kMin + (row % grid.kCount);
}

/** The row of (candidate index, K), or -1 when K is outside the grid. */
export function rowOf(grid: EvaluatedGrid, candidateIndex: number, k: number): number {
  if (k < grid.kMin || k > grid.kMax || candidateIndex < 0) return -1;
  return candidateIndex * grid.kCount + (k - grid.kMin);
}

export function rowEstimate(grid: EvaluatedGrid, row: number): Estimate {
  return {
    k: rowK(grid, row),
    expectedTokens: grid.expectedTokens[row]!,
    acceptanceRate: clampProbability(rowCandidate(grid, row).acceptanceRate),
    draftSeconds: grid.draftSeconds[row]!,
    verifySeconds: grid.verifySeconds[row]!,
    roundSeconds: grid.roundSeconds[row]!,
    goodputTokensPerSecond: grid.goodput[row]!,
    usdPerMillionTokens: grid.usdPerMillionTokens[row]!,
    joulesPerToken: grid.joulesPerToken[row]!,
  };
}
