// Times measured at particular K laid over a model of all K: exact at the measured K, interpolated between
// them, and beyond them the model shifted by the nearest measurement's difference from it. Pure.
import type { SecondsAtK } from '../api/types.js';

/** `model(k)` corrected by `points` (sorted or not; duplicate K use the first); never negative. */
export function secondsAtK(model: (k: number) => number, points: readonly SecondsAtK[] | undefined, k: number): number {
  if (!points || points.length === 0) return Math.max(0, model(k));
  let below: SecondsAtK | undefined;
  let above: SecondsAtK | undefined;
  for (const point of points) {
    if (point.k <= k && (!below || point.k > below.k)) below = point;
    if (point.k >= k && (!above || point.k < above.k)) above = point;
  }
  const residual = (point: SecondsAtK): number => point.seconds - model(point.k);
  let shift: number;
  if (below && above && above.k > below.k) {
    const weight = (k - below.k) / (above.k - below.k);
    shift = residual(below) * (1 - weight) + residual(above) * weight;
  } else {
    shift = residual((below ?? above) as SecondsAtK);
  }
  return Math.max(0, model(k) + shift);
}
