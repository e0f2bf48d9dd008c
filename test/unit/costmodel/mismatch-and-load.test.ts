// The cannot-explain check and the verifier load fit.
import {
  NO_LOAD,
  accumulateVerifierWindow,
  assessMismatch,
  batchPerReplica,
  fitVerifierLoad,
  loadedVerification,
} from '../../../src/costmodel/index.js';

const figures = (goodput: number) => ({
  goodputTokensPerSecond: goodput,
  acceptanceRate: 0.7,
  roundSeconds: 0.1,
  draftSeconds: 0.05,
  verifySeconds: 0.03,
  rttSeconds: 0.02,
});

describe('cannot-explain check', () => {
  const base = { observationShare: 0.9, cooldownSeconds: 600 };

  it('judges nothing before the observations carry the corrected inputs', () => {
    const s = assessMismatch({
      ...base,
      observed: figures(5),
      corrected: figures(20),
      observationShare: 0.2,
      previousSinceMs: undefined,
      nowMs: 0,
    });
    expect(s.raised).toBe(false);
    expect(s.sinceMs).toBeUndefined();
  });

  it('starts the clock on a residual beyond the tolerance and raises only after the cooldown', () => {
    const first = assessMismatch({
      ...base,
      observed: figures(10),
      corrected: figures(20),
      previousSinceMs: undefined,
      nowMs: 1_000,
    });
    expect(first).toMatchObject({ sinceMs: 1_000, raised: false });
    expect(first.residual).toMatchObject({ figure: 'goodput', observed: 10, predicted: 20, gapPercent: -50 });
    const within = assessMismatch({
      ...base,
      observed: figures(10),
      corrected: figures(20),
      previousSinceMs: 1_000,
      nowMs: 600_000,
    });
    expect(within.raised).toBe(false);
    const after = assessMismatch({
      ...base,
      observed: figures(10),
      corrected: figures(20),
      previousSinceMs: 1_000,
      nowMs: 602_000,
    });
    expect(after.raised).toBe(true);
  });

  it('clears when the residual comes back within the tolerance', () => {
    const s = assessMismatch({
      ...base,
      observed: figures(18),
      corrected: figures(20),
      previousSinceMs: 1_000,
      nowMs: 10_000_000,
    });
    expect(s).toMatchObject({ sinceMs: undefined, raised: false });
  });
});

describe('verifier load', () => {
  const base = { interceptSeconds: 0.03, secondsPerToken: 0.002 };
  const truth = (batch: number, k: number) => 0.03 + 0.002 * (k + 1) + (batch - 1) * (0.004 + 0.0015 * (k + 1));

  it('recovers c and d from windows over several batches and K', () => {
    const windows = [1, 4, 8, 16].flatMap((batch) =>
      [1, 4, 8].map((k) => ({ batch, k, seconds: truth(batch, k), requests: 100 })),
    );
    const model = fitVerifierLoad(base, windows);
    expect(model.extraInterceptSeconds).toBeCloseTo(0.004, 6);
    expect(model.extraSecondsPerToken).toBeCloseTo(0.0015, 6);
    const line = loadedVerification(base, model, 16);
    expect(line.interceptSeconds + line.secondsPerToken * 5).toBeCloseTo(truth(16, 4), 6);
  });

  it('has no load without windows, and a proportional one when only one K was seen', () => {
    expect(fitVerifierLoad(base, [])).toEqual(NO_LOAD);
    const model = fitVerifierLoad(base, [{ batch: 8, k: 4, seconds: truth(8, 4), requests: 10 }]);
    const line = loadedVerification(base, model, 8);
    expect(line.interceptSeconds + line.secondsPerToken * 5).toBeCloseTo(truth(8, 4), 6);
    expect(model.extraInterceptSeconds / model.extraSecondsPerToken).toBeCloseTo(
      base.interceptSeconds / base.secondsPerToken,
    );
  });

  it('never fits negative load', () => {
    const model = fitVerifierLoad(base, [
      { batch: 4, k: 1, seconds: 0.01, requests: 10 },
      { batch: 8, k: 8, seconds: 0.02, requests: 10 },
    ]);
    expect(model.extraInterceptSeconds).toBeGreaterThanOrEqual(0);
    expect(model.extraSecondsPerToken).toBeGreaterThanOrEqual(0);
  });

  it('keeps one decayed cell per (batch, K), so a K seen earlier is not forgotten by the fit', () => {
    let cells = accumulateVerifierWindow([], { batch: 4, k: 4, seconds: 0.1, requests: 100 }, 0, 3600);
    cells = accumulateVerifierWindow(cells, { batch: 4, k: 1, seconds: 0.05, requests: 100 }, 60, 3600);
    for (let i = 0; i < 100; i++)
      cells = accumulateVerifierWindow(cells, { batch: 4, k: 4, seconds: 0.2, requests: 100 }, 60, 3600);
    expect(cells).toHaveLength(2);
    expect(cells.find((c) => c.k === 1)!.requests).toBeGreaterThan(10);
    expect(cells.find((c) => c.k === 4)!.seconds).toBeGreaterThan(0.19);
  });

  it('puts ceil(drafters / replicas) drafters on a replica', () => {
    expect(batchPerReplica(40, 3)).toBe(14);
    expect(batchPerReplica(0, 2)).toBe(1);
  });
});
