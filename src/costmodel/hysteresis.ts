// Switching discipline: keep the current configuration unless the best beats it by more than
// minImprovementPercent on the objective AND cooldownSeconds have passed since the last change.
// A change of K only (a hot reload) and a change of draft or quantisation (a rollout) are treated alike: the
// threshold guards against flapping on model noise, which is the same for both, and one rule is easier to
// predict. A current configuration that is no longer valid (removed, out of range, infeasible) is replaced at once.
import type { Objective } from '../api/types.js';
import { nearlyEqual, objectiveValue, type ObjectiveFigures } from './ranking.js';

export type SwitchReason =
  | 'NoCurrent' // nothing selected yet: take the best
  | 'CurrentInvalid' // the current configuration left the grid or became infeasible: replace it now
  | 'AlreadyBest' // the current configuration is the best
  | 'BelowThreshold' // the best is not better by more than minImprovementPercent
  | 'InCooldown' // better enough, but the last change was too recent
  | 'Improved'; // better enough and the cooldown has passed

export interface SwitchDecision {
  switchToBest: boolean;
  reason: SwitchReason;
  /** How much better the best is on the objective, in percent of the current (Infinity when current is 0). */
  improvementPercent: number;
}

export interface HysteresisPolicy {
  minImprovementPercent: number;
  cooldownSeconds: number;
}

/** Gain of `best` over `current` on the objective: goodput ratio, or the ratio of cost/energy efficiencies. */
export function improvementPercent(objective: Objective, best: ObjectiveFigures, current: ObjectiveFigures): number {
  const b = objectiveValue(best, objective);
  const c = objectiveValue(current, objective);
  if (nearlyEqual(b, c)) return 0;
  if (objective === 'Goodput') return c <= 0 ? Infinity : (b / c - 1) * 100;
  // Cost and energy: values are negated per-token figures; efficiency gain = current/best − 1.
  const bestPerToken = -b;
  const currentPerToken = -c;
  if (bestPerToken <= 0) return currentPerToken > 0 ? Infinity : 0;
  return (currentPerToken / bestPerToken - 1) * 100;
}

export function decideSwitch(
  objective: Objective,
  best: ObjectiveFigures,
  current: { figures: ObjectiveFigures; sameAsBest: boolean; valid: boolean } | undefined,
  secondsSinceChange: number,
  policy: HysteresisPolicy,
): SwitchDecision {
  if (!current) return { switchToBest: true, reason: 'NoCurrent', improvementPercent: Infinity };
  if (!current.valid) return { switchToBest: true, reason: 'CurrentInvalid', improvementPercent: Infinity };
  if (current.sameAsBest) return { switchToBest: false, reason: 'AlreadyBest', improvementPercent: 0 };
  const gain = improvementPercent(objective, best, current.figures);
  if (!(gain > policy.minImprovementPercent))
    return { switchToBest: false, reason: 'BelowThreshold', improvementPercent: gain };
  if (secondsSinceChange < policy.cooldownSeconds)
    return { switchToBest: false, reason: 'InCooldown', improvementPercent: gain };
  return { switchToBest: true, reason: 'Improved', improvementPercent: gain };
}
