// Verification time under load. One verifier replica serves B drafters; their requests share its passes (and
// queue for them), so a round's verification time grows with B and with the tokens each request carries:
//   T_v(B, K) = a + b·(K+1) + (B − 1)·(c + d·(K+1))
// a, b are the single-drafter figures (profiled or prior); c, d come from the verifier's own metrics: windows of
// (mean concurrent requests B, mean K, mean queue + compute seconds per request), fitted by non-negative least
// squares on the residual over the single-drafter line. With no windows c = d = 0 and nothing changes.
// B for planning is drafters ÷ replicas (each drafter streaming continuously: an upper bound on contention).

import type { CandidateInputs } from './types.js';

export interface VerifierWindow {
  /** Mean concurrent requests per replica over the window (≥ 1 when busy). */
  batch: number;
  /** Mean K of the requests. */
  k: number;
  /** Mean verifier seconds per request (queue + compute). */
  seconds: number;
  /** Requests in the window: the weight of this window in the fit. */
  requests: number;
}

export interface VerifierLoadModel {
  /** c: seconds each further drafter adds to every round. */
  extraInterceptSeconds: number;
  /** d: seconds per verified token each further drafter adds. */
  extraSecondsPerToken: number;
  /** Windows the fit used (0: no load model). */
  windows: number;
}

export const NO_LOAD: VerifierLoadModel = { extraInterceptSeconds: 0, extraSecondsPerToken: 0, windows: 0 };

/** Fits c, d ≥ 0 from windows, given the single-drafter line a + b·(K+1). */
export function fitVerifierLoad(
  base: { interceptSeconds: number; secondsPerToken: number },
  windows: readonly VerifierWindow[],
): VerifierLoadModel {
  const usable = windows.filter(
    (w) => w.requests > 0 && Number.isFinite(w.seconds) && w.batch >= 1 && Number.isFinite(w.batch) && w.k >= 0,
  );
  if (usable.length === 0) return NO_LOAD;
  // Weighted least squares without intercept on x1 = B − 1, x2 = (B − 1)(K + 1), y = seconds − a − b(K + 1).
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (const w of usable) {
    const x1 = w.batch - 1;
    const x2 = x1 * (w.k + 1);
    const y = w.seconds - base.interceptSeconds - base.secondsPerToken * (w.k + 1);
    s11 += w.requests * x1 * x1;
    s12 += w.requests * x1 * x2;
    s22 += w.requests * x2 * x2;
    s1y += w.requests * x1 * y;
    s2y += w.requests * x2 * y;
  }
  const single = (sxx: number, sxy: number) => (sxx > 0 ? Math.max(0, sxy / sxx) : 0);
  const det = s11 * s22 - s12 * s12;
  let c: number;
  let d: number;
  if (det > 1e-12 * Math.max(1, s11 * s22)) {
    c = (s22 * s1y - s12 * s2y) / det;
    d = (s11 * s2y - s12 * s1y) / det;
    // Non-negativity: a negative coefficient means that feature explains nothing; refit with the other alone.
    if (c < 0 || d < 0) {
      const onlyC = single(s11, s1y);
      const onlyD = single(s22, s2y);
      const sse = (cc: number, dd: number) =>
        s11 * cc * cc + 2 * s12 * cc * dd + s22 * dd * dd - 2 * (s1y * cc + s2y * dd);
      if (sse(onlyC, 0) <= sse(0, onlyD)) {
        c = onlyC;
        d = 0;
      } else {
        c = 0;
        d = onlyD;
      }
    }
  } else {
    // All windows at one K (or one B): the split between c and d is not identified. Assume the load stretches
    // the single-drafter line in proportion (c/a = d/b = λ, the GPU shared among B requests), which neither
    // favours small nor large K beyond what the single-drafter line already does.
    let sxx = 0;
    let sxy = 0;
    for (const w of usable) {
      const x = (w.batch - 1) * (base.interceptSeconds + base.secondsPerToken * (w.k + 1));
      const y = w.seconds - base.interceptSeconds - base.secondsPerToken * (w.k + 1);
      sxx += w.requests * x * x;
      sxy += w.requests * x * y;
    }
    const lambda = single(sxx, sxy);
    c = lambda * base.interceptSeconds;
    d = lambda * base.secondsPerToken;
  }
  return { extraInterceptSeconds: c, extraSecondsPerToken: d, windows: usable.length };
}

/** The verification line at batch B: a + (B−1)c and b + (B−1)d. */
export function loadedVerification(
  base: { interceptSeconds: number; secondsPerToken: number },
  model: VerifierLoadModel,
  batch: number,
): { interceptSeconds: number; secondsPerToken: number } {
  const extra = Math.max(0, batch - 1);
  return {
    interceptSeconds: base.interceptSeconds + extra * model.extraInterceptSeconds,
    secondsPerToken: base.secondsPerToken + extra * model.extraSecondsPerToken,
  };
}

/**
 * The inputs with verification at `batch` drafters per replica: the line and every time measured per K (at batch 1)
 * get the same extra `(batch − 1)·(c + d·(K+1))`, or measured points would cancel the load out again.
 */
export function loadedInputs(inputs: CandidateInputs, model: VerifierLoadModel, batch: number): CandidateInputs {
  const extra = Math.max(0, batch - 1);
  if (extra === 0 || model.windows === 0) return inputs;
  const line = loadedVerification(
    { interceptSeconds: inputs.verifyInterceptSeconds, secondsPerToken: inputs.verifySecondsPerToken },
    model,
    batch,
  );
  const loaded: CandidateInputs = {
    ...inputs,
    verifyInterceptSeconds: line.interceptSeconds,
    verifySecondsPerToken: line.secondsPerToken,
  };
  if (inputs.verifySecondsByK) {
    loaded.verifySecondsByK = inputs.verifySecondsByK.map(({ k, seconds }) => ({
      k,
      seconds: seconds + extra * (model.extraInterceptSeconds + model.extraSecondsPerToken * (k + 1)),
    }));
  }
  return loaded;
}

/** Drafters per replica: ceil(drafters / replicas), at least 1. */
export function batchPerReplica(drafters: number, replicas: number): number {
  return Math.max(1, Math.ceil(Math.max(0, drafters) / Math.max(1, replicas)));
}

/**
 * The verifier's windows kept per (batch, K) cell, each cell a decayed request-weighted mean: a fit over the last
 * N windows forgets the K it saw before a switch, re-opens the split between c and d, and can swing the choice
 * of K back and forth; cells keep what each (batch, K) showed until newer evidence of that cell replaces it.
 */
export function accumulateVerifierWindow(
  cells: readonly VerifierWindow[],
  window: VerifierWindow,
  elapsedSeconds: number,
  halfLifeSeconds: number,
  maxCells = 64,
): VerifierWindow[] {
  if (!(window.requests > 0)) return [...cells];
  const f = Math.pow(0.5, Math.max(0, elapsedSeconds) / halfLifeSeconds);
  const batch = Math.max(1, Math.round(window.batch));
  const k = Math.round(window.k);
  const next: VerifierWindow[] = [];
  let merged = false;
  for (const cell of cells) {
    const requests = cell.requests * f;
    if (cell.batch === batch && cell.k === k) {
      const total = requests + window.requests;
      next.push({
        batch,
        k,
        seconds: (cell.seconds * requests + window.seconds * window.requests) / total,
        requests: total,
      });
      merged = true;
    } else if (requests > 1e-6) next.push({ ...cell, requests });
  }
  if (!merged) next.push({ batch, k, seconds: window.seconds, requests: window.requests });
  // Keep the best-evidenced cells.
  return next.sort((x, y) => y.requests - x.requests).slice(0, maxCells);
}
