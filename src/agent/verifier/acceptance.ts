// Accept/reject rules of speculative decoding, separate from the model so they can be tested exactly.
import type { Random } from '../rng.js';

/** Greedy: accept drafts while they equal the target's argmax; the next token is the target's argmax there. */
export function acceptGreedy(
  draft: readonly number[],
  targetChoices: readonly number[],
): { accepted: number; next: number } {
  let accepted = 0;
  while (accepted < draft.length && draft[accepted] === targetChoices[accepted]) accepted++;
  return { accepted, next: targetChoices[accepted] as number };
}

export type Distribution = ReadonlyMap<number, number>;

export function sampleFrom(weights: Iterable<[number, number]>, random: Random): number {
  const entries = [...weights].filter(([, w]) => w > 0);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (!(total > 0)) throw new Error('cannot sample from an empty distribution');
  let u = random() * total;
  for (const [token, weight] of entries) {
    u -= weight;
    if (u < 0) return token;
  }
  return (entries[entries.length - 1] as [number, number])[0];
}

/**
 * Speculative sampling (Leviathan et al. 2023; Chen et al. 2023): accept draft x_i with probability
 * min(1, p_i(x)/q_i(x)); at the first rejection sample from norm(max(0, p_i − q_i)); when all K are accepted
 * sample a bonus token from p_K. The output is distributed exactly as sampling from the target alone.
 * `target` holds K+1 distributions (positions 0..K), `draftDists` K.
 */
export function acceptSampling(
  draft: readonly number[],
  draftDists: readonly Distribution[],
  target: readonly Distribution[],
  random: Random,
): { accepted: number; next: number } {
  for (let i = 0; i < draft.length; i++) {
    const token = draft[i] as number;
    const p = target[i] as Distribution;
    const q = draftDists[i] as Distribution;
    const px = p.get(token) ?? 0;
    const qx = q.get(token) ?? 0;
    if (random() * qx < px) continue;
    const residual: Array<[number, number]> = [];
    for (const [id, pv] of p) residual.push([id, Math.max(0, pv - (q.get(id) ?? 0))]);
    const hasMass = residual.some(([, w]) => w > 0);
    return { accepted: i, next: sampleFrom(hasMass ? residual : p, random) };
  }
  return { accepted: draft.length, next: sampleFrom(target[draft.length] as Distribution, random) };
}
