// Shared set-up of the data-plane tests: the generated models (cached on disk) and the target's own greedy
// output, produced with node-llama-cpp's ordinary generation API as the reference.
import type { LlamaModel, Token } from 'node-llama-cpp';
import { draftSpec, targetSpec } from '../../src/agent/gguf/bigram-model.js';
import { ensureTestModel } from '../../src/agent/gguf/model-cache.js';

export const TARGET = targetSpec({ chainSeed: 3 });
export function targetPath(): string {
  return ensureTestModel(TARGET);
}
export function draftPath(acceptance: number): string {
  return ensureTestModel(draftSpec(TARGET, acceptance, { seed: 11 }));
}

export async function referenceGreedy(model: LlamaModel, context: number[], count: number): Promise<number[]> {
  const ctx = await model.createContext({ contextSize: 512, threads: 1 });
  try {
    const sequence = ctx.getSequence();
    const out: number[] = [];
    for await (const token of sequence.evaluate(context as Token[], { temperature: 0 })) {
      out.push(token);
      if (out.length >= count) break;
    }
    return out;
  } finally {
    await ctx.dispose();
  }
}

/** Upper regularised incomplete gamma Q(a, x): the chi-square survival function is Q(df/2, x/2). */
export function chiSquarePValue(statistic: number, degreesOfFreedom: number): number {
  const a = degreesOfFreedom / 2;
  const x = statistic / 2;
  if (x <= 0) return 1;
  const lnGammaA = lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGammaA);
  }
  // Continued fraction (Lentz).
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGammaA) * h;
}

function lnGamma(z: number): number {
  const g = [
    676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  let x = 0.99999999999980993;
  const t = z + 6.5;
  for (let i = 0; i < g.length; i++) x += (g[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z - 0.5) * Math.log(t) - t + Math.log(x);
}

/**
 * Pearson chi-square of observed counts against expected probabilities. Cells expected below 5 are pooled; a
 * pool still below 5 joins the smallest kept cell, as the usual validity rule asks.
 */
export function chiSquare(observed: Map<string, number>, expected: Map<string, number>, samples: number) {
  const keys = [...new Set([...observed.keys(), ...expected.keys()])].sort(
    (a, b) => (expected.get(b) ?? 0) - (expected.get(a) ?? 0),
  );
  const cells: Array<{ o: number; e: number }> = [];
  const pool = { o: 0, e: 0 };
  for (const key of keys) {
    const cell = { o: observed.get(key) ?? 0, e: (expected.get(key) ?? 0) * samples };
    if (cell.e >= 5) cells.push(cell);
    else {
      pool.o += cell.o;
      pool.e += cell.e;
    }
  }
  if (pool.e >= 5) cells.push(pool);
  else if (cells.length > 0) {
    const last = cells[cells.length - 1] as { o: number; e: number };
    last.o += pool.o;
    last.e += pool.e;
  }
  const statistic = cells.reduce((sum, { o, e }) => sum + (o - e) ** 2 / e, 0);
  const degreesOfFreedom = Math.max(1, cells.length - 1);
  return { statistic, degreesOfFreedom, pValue: chiSquarePValue(statistic, degreesOfFreedom) };
}
