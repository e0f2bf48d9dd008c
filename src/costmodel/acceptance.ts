// Expected tokens per round under speculative decoding (Leviathan et al. 2023), bonus/correction token included.

/** E[N] = (1 − α^(K+1)) / (1 − α) for i.i.d. acceptance α; K + 1 when α = 1; 1 when K = 0. */
export function expectedTokensIid(alpha: number, k: number): number {
  if (k <= 0) return 1;
  if (alpha >= 1) return k + 1;
  if (alpha <= 0) return 1;
  return (1 - Math.pow(alpha, k + 1)) / (1 - alpha);
}

/**
 * E[N] = 1 + Σ_{i=1..K} Π_{j≤i} a_j with conditional acceptance a_j by position; positions past the measured
 * ones use `fallbackAlpha` (the profile's overall rate).
 */
export function expectedTokensPerPosition(perPosition: readonly number[], fallbackAlpha: number, k: number): number {
  let expected = 1;
  let survival = 1;
  for (let position = 1; position <= k; position++) {
    const conditional = position <= perPosition.length ? perPosition[position - 1]! : fallbackAlpha;
    survival *= clampProbability(conditional);
    expected += survival;
  }
  return expected;
}

export function clampProbability(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
