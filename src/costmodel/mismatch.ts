// The "cannot explain" check. After correction, the model predicts the running configuration from inputs that
// are mostly observations; if what it predicts from them still differs from what serving shows, the difference
// is not in any input the model has (a broken sensor, a counter that lies, load the model does not describe).
// Re-selecting on such a model would chase the error back and forth, so the operator holds the configuration
// and raises a condition instead. The gap must persist for longer than the cooldown, and is judged only once the
// observations carry at least `minObservationShare` of the corrected inputs (before that, correction has not had
// its chance). Pure: times come in as numbers.
import { relativeGap, type ServingFigures } from './correction.js';

export interface MismatchSettings {
  /** Largest |observed − predicted| / predicted, in percent, the corrected model may leave. */
  tolerancePercent: number;
  /** Observation share of the corrected inputs below which no judgement is made. */
  minObservationShare: number;
}

export const DEFAULT_MISMATCH: MismatchSettings = { tolerancePercent: 25, minObservationShare: 0.5 };

export type CheckedFigure = 'goodput' | 'roundSeconds' | 'acceptance';

export interface ResidualGap {
  figure: CheckedFigure;
  observed: number;
  predicted: number;
  /** (observed − predicted) / predicted × 100. */
  gapPercent: number;
}

const FIGURE_OF: Record<CheckedFigure, keyof ServingFigures> = {
  goodput: 'goodputTokensPerSecond',
  roundSeconds: 'roundSeconds',
  acceptance: 'acceptanceRate',
};

/** The figure whose residual gap is largest in magnitude, and whether it exceeds the tolerance. */
export function largestResidual(observed: ServingFigures, corrected: ServingFigures): ResidualGap {
  let worst: ResidualGap | undefined;
  for (const figure of Object.keys(FIGURE_OF) as CheckedFigure[]) {
    const key = FIGURE_OF[figure];
    const gapPercent = relativeGap(observed[key], corrected[key]) * 100;
    if (!worst || Math.abs(gapPercent) > Math.abs(worst.gapPercent))
      worst = { figure, observed: observed[key], predicted: corrected[key], gapPercent };
  }
  return worst!;
}

export interface MismatchState {
  /** When the residual first exceeded the tolerance without a break (epoch ms); undefined when it does not. */
  sinceMs: number | undefined;
  /** True when it has exceeded the tolerance for longer than the cooldown: raise ModelMismatch, hold. */
  raised: boolean;
  residual: ResidualGap | undefined;
}

export function assessMismatch(params: {
  observed: ServingFigures | undefined;
  corrected: ServingFigures | undefined;
  observationShare: number;
  previousSinceMs: number | undefined;
  nowMs: number;
  cooldownSeconds: number;
  settings?: MismatchSettings;
}): MismatchState {
  const settings = params.settings ?? DEFAULT_MISMATCH;
  if (!params.observed || !params.corrected || params.observationShare < settings.minObservationShare)
    // Not enough evidence to judge: keep the clock running only if it was running (a scrape gap is no cure).
    return { sinceMs: params.previousSinceMs, raised: false, residual: undefined };
  const residual = largestResidual(params.observed, params.corrected);
  if (!(Math.abs(residual.gapPercent) > settings.tolerancePercent))
    return { sinceMs: undefined, raised: false, residual };
  const sinceMs = params.previousSinceMs ?? params.nowMs;
  return { sinceMs, raised: (params.nowMs - sinceMs) / 1000 > params.cooldownSeconds, residual };
}
