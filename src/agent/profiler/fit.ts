// Ordinary least squares for y = intercept + slope·x, the fit of t_draft(K) and T_v(K).
export interface LinearFit {
  intercept: number;
  slope: number;
  /** Coefficient of determination; 1 when the points lie on the line. */
  r2: number;
}

/**
 * With `nonNegativeIntercept`, a fit whose intercept comes out negative is redone through the origin
 * (slope = Σxy / Σx²), the least-squares line among those with intercept ≥ 0: clamping the intercept afterwards
 * would leave a line that no longer fits.
 */
export function fitLine(
  points: ReadonlyArray<{ x: number; y: number }>,
  options: { nonNegativeIntercept?: boolean } = {},
): LinearFit {
  const n = points.length;
  if (n < 2) throw new Error(`a line needs at least 2 points, got ${n}`);
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (sxx === 0) throw new Error('a line needs at least two distinct x values');
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  const intercept = meanY - slope * meanX;
  if (options.nonNegativeIntercept && intercept < 0) {
    const sumXY = points.reduce((s, p) => s + p.x * p.y, 0);
    const sumXX = points.reduce((s, p) => s + p.x * p.x, 0);
    const throughOrigin = sumXY / sumXX;
    const residual = points.reduce((s, p) => s + (p.y - throughOrigin * p.x) ** 2, 0);
    return { intercept: 0, slope: throughOrigin, r2: syy === 0 ? 1 : 1 - residual / syy };
  }
  return { intercept, slope, r2 };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Conditional acceptance by position from speculative rounds (position i counts only if 1..i-1 were accepted). */
export function acceptanceByPosition(rounds: ReadonlyArray<{ k: number; accepted: number }>): {
  overall: number;
  perPosition: number[];
  reached: number[];
} {
  const reached: number[] = [];
  const accepted: number[] = [];
  for (const round of rounds) {
    for (let i = 1; i <= Math.min(round.k, round.accepted + 1); i++) {
      reached[i - 1] = (reached[i - 1] ?? 0) + 1;
      if (i <= round.accepted) accepted[i - 1] = (accepted[i - 1] ?? 0) + 1;
    }
  }
  const totalReached = reached.reduce((s, v) => s + v, 0);
  const totalAccepted = accepted.reduce((s, v) => s + (v ?? 0), 0);
  const perPosition = reached.map((r, i) => (accepted[i] ?? 0) / r);
  return { overall: totalReached ? totalAccepted / totalReached : 0, perPosition, reached };
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the mean of no values');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
