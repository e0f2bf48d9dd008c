// Feasibility of one configuration, with a structured reason for every failed check.
import type { Constraints } from '../api/types.js';
import { Violation } from './grid.js';
import type { CandidateInputs, Estimate, FeasibilityReason, KBounds } from './types.js';

const GIB = 2 ** 30;

export function memoryReason(inputs: CandidateInputs): FeasibilityReason {
  return {
    code: 'MemoryExceeded',
    message:
      `${inputs.draft} ${inputs.quantization} needs ${(inputs.requiredMemoryBytes / GIB).toFixed(2)} GiB ` +
      `(weights, KV cache, runtime) but the device has ${(inputs.availableMemoryBytes / GIB).toFixed(2)} GiB`,
  };
}

/** Reasons for the violation flags of an evaluated row, in a fixed order. */
export function reasonsFromViolations(
  flags: number,
  inputs: CandidateInputs,
  figures: Pick<Estimate, 'goodputTokensPerSecond' | 'usdPerMillionTokens' | 'joulesPerToken'>,
  constraints: Constraints,
): FeasibilityReason[] {
  const reasons: FeasibilityReason[] = [];
  if (flags & Violation.Memory) reasons.push(memoryReason(inputs));
  if (flags & Violation.MinGoodput)
    reasons.push({
      code: 'GoodputBelowMinimum',
      message: `goodput ${figures.goodputTokensPerSecond.toFixed(2)} tok/s is below the minimum ${constraints.minGoodputTokensPerSecond} tok/s`,
    });
  if (flags & Violation.MaxCost)
    reasons.push({
      code: 'CostAboveMaximum',
      message: `cost $${figures.usdPerMillionTokens.toFixed(4)}/Mtoken is above the maximum $${constraints.maxUSDPerMillionTokens}/Mtoken`,
    });
  if (flags & Violation.MaxEnergy)
    reasons.push({
      code: 'EnergyAboveMaximum',
      message: `energy ${figures.joulesPerToken.toFixed(3)} J/token is above the maximum ${constraints.maxJoulesPerToken} J/token`,
    });
  return reasons;
}

/** Every check for a configuration evaluated outside the grid (a pin, or a current selection). */
export function checkFeasibility(
  inputs: CandidateInputs,
  figures: Estimate,
  bounds: KBounds,
  constraints: Constraints,
): FeasibilityReason[] {
  const reasons: FeasibilityReason[] = [];
  if (figures.k < bounds.min || figures.k > bounds.max || !Number.isInteger(figures.k))
    reasons.push({
      code: 'KOutOfRange',
      message: `K = ${figures.k} is outside the declared range ${bounds.min}..${bounds.max}`,
    });
  const flags =
    (inputs.requiredMemoryBytes > inputs.availableMemoryBytes ? Violation.Memory : 0) |
    (constraints.minGoodputTokensPerSecond !== undefined &&
    figures.goodputTokensPerSecond < constraints.minGoodputTokensPerSecond
      ? Violation.MinGoodput
      : 0) |
    (constraints.maxUSDPerMillionTokens !== undefined &&
    figures.usdPerMillionTokens > constraints.maxUSDPerMillionTokens
      ? Violation.MaxCost
      : 0) |
    (constraints.maxJoulesPerToken !== undefined && figures.joulesPerToken > constraints.maxJoulesPerToken
      ? Violation.MaxEnergy
      : 0);
  return reasons.concat(reasonsFromViolations(flags, inputs, figures, constraints));
}
