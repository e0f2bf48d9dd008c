// The selection-regret simulator's pieces (bench/regret.ts runs them). Pure and deterministic from a seed.
//
// Ground truth: per scenario one edge device, one verifier and a grid of (draft, quantisation) candidates, each
// with its own true drafting speed (roofline × a per-candidate deviation, plus a small K² term the linear model
// lacks), per-position acceptance that decays along the draft, power, round trip and verification time.
// Measurement: what the profiler does, with noise — t_draft at a few K (repeated samples with jitter and
// occasional preemption, median per K, least-squares line), acceptance from a bounded number of rounds,
// round trip from a few pings, power and verification timing with relative noise.
// Truth is scored on the full grid exactly; regret = (oracle − chosen) / oracle on the objective.
import { API_VERSION, type Quantization } from '../src/api/types.js';
import type { AlignmentProfile, DeviceClass, DraftProfile, Objective, SpecDecodeDeployment } from '../src/api/types.js';
import { gaussian, seededRandom, type Random } from '../src/agent/rng.js';
import { acceptanceByPosition, fitLine, median } from '../src/agent/profiler/fit.js';

export const QUANTS: readonly Quantization[] = ['Q4_K_M', 'Q5_K_M', 'Q8_0', 'F16'];
const BITS: Record<Quantization, number> = { Q4_K_M: 4.85, Q5_K_M: 5.7, Q8_0: 8.5, F16: 16 } as Record<
  Quantization,
  number
>;
/** Acceptance lost to quantisation (absolute), before the per-candidate deviation. */
const QUANT_ACCEPTANCE_LOSS: Record<string, number> = { Q4_K_M: 0.03, Q5_K_M: 0.015, Q8_0: 0.005, F16: 0 };
const DRAFT_SIZES = [0.3, 0.5, 1, 1.5, 3];
export const TARGET = { name: 'qwen2.5-7b-instruct', billions: 7.6 };

export interface TrueCandidate {
  draft: string;
  billions: number;
  quantization: Quantization;
  /** t_draft(K) = t0 + K·s + c·K² for K > 0. */
  t0: number;
  secondsPerToken: number;
  quadratic: number;
  /** Conditional acceptance a_i for i = 1..kMax. */
  perPosition: number[];
  draftingWatts: number;
}

export interface Scenario {
  id: number;
  device: { bandwidthGBps: number; memoryGiB: number; idleWatts: number; maxWatts: number };
  rttSeconds: number;
  waitingWatts: number;
  verify: { intercept: number; perToken: number; usdPerSecond: number };
  candidates: TrueCandidate[];
  kMax: number;
}

const uniform = (r: Random, lo: number, hi: number) => lo + (hi - lo) * r();
const logUniform = (r: Random, lo: number, hi: number) => Math.exp(uniform(r, Math.log(lo), Math.log(hi)));

/** One ground-truth scenario; the same id and seed give the same scenario. */
export function makeScenario(seed: number, id: number, kMax = 16): Scenario {
  const r = seededRandom(seed * 1_000_003 + id);
  const bandwidthGBps = logUniform(r, 8, 200);
  const efficiency = uniform(r, 0.3, 0.65);
  const idleWatts = uniform(r, 2, 12);
  const maxWatts = idleWatts * uniform(r, 2, 4);
  const candidates: TrueCandidate[] = [];
  for (const billions of DRAFT_SIZES) {
    const draftOffset = 0.05 * gaussian(r);
    const decay = uniform(r, 0, 0.03);
    const base = Math.min(0.92, 0.5 + 0.12 * Math.log10(billions * 10) + draftOffset);
    for (const quantization of QUANTS) {
      const bytes = billions * 1e9 * (BITS[quantization] / 8);
      // Kernels differ per quantisation and device: ±20 % around the roofline.
      const secondsPerToken = bytes / (efficiency * bandwidthGBps * 1e9) / Math.exp(0.2 * gaussian(r));
      const alpha = base - QUANT_ACCEPTANCE_LOSS[quantization]! + 0.01 * gaussian(r);
      candidates.push({
        draft: `sim-draft-${billions}b`,
        billions,
        quantization,
        t0: uniform(r, 0.002, 0.012),
        secondsPerToken,
        quadratic: uniform(r, 0, 0.01) * secondsPerToken,
        perPosition: Array.from({ length: kMax }, (_, i) => clamp(alpha * (1 - decay * i), 0.05, 0.98)),
        draftingWatts: idleWatts + (maxWatts - idleWatts) * uniform(r, 0.7, 1),
      });
    }
  }
  return {
    id,
    device: { bandwidthGBps, memoryGiB: 16, idleWatts, maxWatts },
    rttSeconds: uniform(r, 0.005, 0.06),
    waitingWatts: idleWatts * uniform(r, 1, 1.3),
    verify: { intercept: uniform(r, 0.02, 0.08), perToken: uniform(r, 0.0005, 0.003), usdPerSecond: 5.12 / 3600 },
    candidates,
    kMax,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export function trueDraftSeconds(c: TrueCandidate, k: number): number {
  return k > 0 ? c.t0 + k * c.secondsPerToken + c.quadratic * k * k : 0;
}

/** The true objective value (larger is better) of (candidate, K): goodput, tokens per $ or tokens per joule. */
export function trueObjective(s: Scenario, c: TrueCandidate, k: number, objective: Objective): number {
  let expected = 1;
  let survival = 1;
  for (let i = 0; i < k; i++) {
    survival *= c.perPosition[i]!;
    expected += survival;
  }
  const draft = trueDraftSeconds(c, k);
  const verify = s.verify.intercept + s.verify.perToken * (k + 1);
  if (objective === 'Goodput') return expected / (draft + s.rttSeconds + verify);
  if (objective === 'CostEfficiency') return expected / (verify * s.verify.usdPerSecond);
  return expected / (c.draftingWatts * draft + s.waitingWatts * (s.rttSeconds + verify));
}

/** The best true objective over the full grid (K 0..kMax), among rows `allowed` admits. */
export function oracle(
  s: Scenario,
  objective: Objective,
  allowed: (candidate: number, k: number) => boolean = () => true,
): { value: number; candidate: number; k: number } {
  let best = { value: -Infinity, candidate: -1, k: -1 };
  s.candidates.forEach((c, i) => {
    for (let k = 0; k <= s.kMax; k++) {
      if (!allowed(i, k)) continue;
      const value = trueObjective(s, c, k, objective);
      if (value > best.value) best = { value, candidate: i, k };
    }
  });
  return best;
}

export interface MeasurementPlan {
  /** K values at which t_draft is timed. */
  draftKs: readonly number[];
  /** Timed repetitions per K. */
  repetitions: number;
  /** Speculative rounds at K = acceptanceK counted for acceptance. */
  acceptanceRounds: number;
  acceptanceK: number;
  /** Relative timing jitter (log-normal σ) and the chance a sample is preempted (× 1.2–2). */
  timingNoise: number;
  preemption: number;
}

export const OPERATOR_PROFILING: MeasurementPlan = {
  draftKs: [1, 4, 8],
  repetitions: 12,
  acceptanceRounds: 64,
  acceptanceK: 8,
  timingNoise: 0.06,
  preemption: 0.05,
};

function timed(r: Random, seconds: number, plan: MeasurementPlan): number {
  const jitter = Math.exp(plan.timingNoise * gaussian(r));
  return seconds * jitter * (r() < plan.preemption ? uniform(r, 1.2, 2) : 1);
}

/** Speculative rounds at K with the true acceptance: how many drafts each round accepted. */
export function sampleRounds(r: Random, perPosition: readonly number[], k: number, rounds: number) {
  return Array.from({ length: rounds }, () => {
    let accepted = 0;
    while (accepted < k && r() < perPosition[accepted]!) accepted++;
    return { k, accepted };
  });
}

/** What the profiler would write for one candidate: DraftProfile and AlignmentProfile status. */
export function measureCandidate(r: Random, s: Scenario, c: TrueCandidate, plan: MeasurementPlan) {
  const points = plan.draftKs.map((k) => ({
    x: k,
    y: median(Array.from({ length: plan.repetitions }, () => timed(r, trueDraftSeconds(c, k), plan))),
  }));
  const fit = fitLine(points, { nonNegativeIntercept: true });
  const acceptance = acceptanceByPosition(sampleRounds(r, c.perPosition, plan.acceptanceK, plan.acceptanceRounds));
  const rtt = median(Array.from({ length: 20 }, () => s.rttSeconds * Math.exp(0.1 * gaussian(r))));
  return {
    draft: {
      draftSecondsIntercept: Math.max(0, fit.intercept),
      draftSecondsPerToken: Math.max(fit.slope, 1e-6),
      powerDraftingWatts: c.draftingWatts * (1 + 0.03 * gaussian(r)),
      powerIdleWatts: s.waitingWatts * (1 + 0.03 * gaussian(r)),
      rttSeconds: rtt,
      samples: plan.draftKs.length * plan.repetitions,
    },
    alignment: {
      acceptanceRate: acceptance.overall,
      // As the profiler writes it: positions past the deepest one reached fall back to the overall rate.
      perPosition: acceptance.perPosition,
      samples: acceptance.reached.reduce((sum, n) => sum + n, 0),
    },
  };
}

// ------------------------------------------------------------------------------ the operator's view as objects

export function deviceClassOf(s: Scenario): DeviceClass[] {
  return [
    {
      apiVersion: API_VERSION,
      kind: 'DeviceClass',
      metadata: { name: 'sim-edge' },
      spec: {
        role: 'Edge',
        nodeSelector: { 'configspec.io/device-class': 'sim-edge' },
        hardware: { arch: 'arm64', memoryGiB: s.device.memoryGiB, memoryBandwidthGBps: s.device.bandwidthGBps },
        power: { idleWatts: s.device.idleWatts, maxWatts: s.device.maxWatts, sensor: 'None' },
        network: { rttMilliseconds: 20 },
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'DeviceClass',
      metadata: { name: 'sim-gpu' },
      spec: {
        role: 'Verifier',
        nodeSelector: { 'configspec.io/device-class': 'sim-gpu' },
        hardware: { arch: 'amd64', memoryGiB: 80, memoryBandwidthGBps: 2039, computeTFLOPS: 312 },
        power: { idleWatts: 60, maxWatts: 400, sensor: 'None' },
        price: { usdPerHour: s.verify.usdPerSecond * 3600 },
      },
    },
  ];
}

export function deploymentOf(s: Scenario, objective: Objective): SpecDecodeDeployment {
  const drafts = [...new Set(s.candidates.map((c) => c.billions))].map((billions) => ({
    model: { name: `sim-draft-${billions}b`, family: 'qwen2.5', parametersBillions: billions },
    quantizations: [...QUANTS],
  }));
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: `sim-${s.id}`, namespace: 'default' },
    spec: {
      target: {
        model: { name: TARGET.name },
        verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'sim-gpu' },
      },
      drafts,
      speculation: { k: { min: 0, max: s.kMax } },
      edge: { deviceClasses: ['sim-edge'] },
      objective: { maximize: objective },
      policy: { mode: 'Auto', minImprovementPercent: 5, cooldownSeconds: 300 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 86400, maxConcurrentJobs: 2 },
      accounting: 'Full',
    },
  } as SpecDecodeDeployment;
}

/** Profile objects as the profiler writes them; verification timing measured once (3 % noise). */
export function profilesOf(
  r: Random,
  s: Scenario,
  plan: MeasurementPlan,
  measuredAt: string,
  which: (candidate: number) => boolean = () => true,
): { draftProfiles: DraftProfile[]; alignmentProfiles: AlignmentProfile[] } {
  const draftProfiles: DraftProfile[] = [];
  const alignmentProfiles: AlignmentProfile[] = [];
  const verifyIntercept = s.verify.intercept * (1 + 0.03 * gaussian(r));
  const verifyPerToken = s.verify.perToken * (1 + 0.03 * gaussian(r));
  s.candidates.forEach((c, i) => {
    if (!which(i)) return;
    const m = measureCandidate(r, s, c, plan);
    draftProfiles.push({
      apiVersion: API_VERSION,
      kind: 'DraftProfile',
      metadata: { name: `d-${i}` },
      spec: { deviceClass: 'sim-edge', draft: c.draft, quantization: c.quantization },
      status: { ...m.draft, measuredAt },
    });
    alignmentProfiles.push({
      apiVersion: API_VERSION,
      kind: 'AlignmentProfile',
      metadata: { name: `a-${i}` },
      spec: { draft: c.draft, quantization: c.quantization, target: TARGET.name, promptSet: 'builtin' },
      status: {
        ...m.alignment,
        verifySecondsIntercept: verifyIntercept,
        verifySecondsPerToken: verifyPerToken,
        measuredAt,
      },
    });
  });
  return { draftProfiles, alignmentProfiles };
}

/** Measure every grid point directly (goodput-style: timing and acceptance at that K): the full-grid baseline. */
export function measuredGridObjective(
  r: Random,
  s: Scenario,
  c: TrueCandidate,
  k: number,
  objective: Objective,
  plan: MeasurementPlan,
): number {
  const draft =
    k > 0 ? median(Array.from({ length: plan.repetitions }, () => timed(r, trueDraftSeconds(c, k), plan))) : 0;
  const rounds = k > 0 ? sampleRounds(r, c.perPosition, k, plan.acceptanceRounds) : [];
  const expected = k > 0 ? 1 + rounds.reduce((sum, x) => sum + x.accepted, 0) / rounds.length : 1;
  const rtt = s.rttSeconds * Math.exp((0.1 * gaussian(r)) / Math.sqrt(20));
  const verify = (s.verify.intercept + s.verify.perToken * (k + 1)) * (1 + 0.03 * gaussian(r));
  if (objective === 'Goodput') return expected / (draft + rtt + verify);
  if (objective === 'CostEfficiency') return expected / (verify * s.verify.usdPerSecond);
  return expected / (c.draftingWatts * draft + s.waitingWatts * (rtt + verify));
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export { seededRandom };
