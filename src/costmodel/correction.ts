// Online correction: what the drafters measure while serving updates the model's inputs, weighted by evidence.
//
// Every input is a mean of something counted (accepted/drafted tokens at a position, seconds per round), so both
// sides are expressed as counts and combined by their counts:
//   - the profile (or prior) counts as `n0` samples: its own sample count, capped (a profile measured over a
//     million rounds must still yield to a day of traffic) and halved for every `profileHalfLifeSeconds` of age;
//     an unmeasured prior counts as `priorWeight` samples only;
//   - observations count as their rounds (timings) or their drafted tokens per position (acceptance), already
//     decayed by the accumulator (`accumulateServing`) so that evidence from before a change of the world fades.
// Acceptance per position is a Beta-binomial update: a_i' = (n0_i·a_i + accepted_i) / (n0_i + drafted_i), the
// profile's pseudo-count spread over positions in proportion to how often the profile reached each one. Timings
// are a precision-weighted mean of the ratio observed/predicted: scale = 1 + w·(ratio − 1), w = n/(n + n0),
// applied to intercept and slope alike (a throttled device slows both). RTT is blended directly.
// So 50 rounds against a 1,000-sample profile move an input by ~5 % of the gap; a day of traffic (tens of
// thousands of rounds) by ~95 %+. Pure: ages and windows come in as numbers.
import { clampProbability } from './acceptance.js';
import type { ServingFigures } from '../api/types.js';
import { estimate, verificationTerms } from './estimate.js';
import type { CandidateInputs, ModelSettings } from './types.js';

export type { ServingFigures } from '../api/types.js';

/** Counters of one (device class, draft, quantisation) over a window, as summed from drafter metrics. */
export interface ServingCounters {
  /** Speculative rounds. */
  rounds: number;
  /** Verified tokens returned to clients. */
  tokens: number;
  /** Draft tokens judged by the verifier at position i+1 (position i+1 is judged only when 1..i were accepted). */
  drafted: readonly number[];
  /** Of those, accepted. */
  accepted: readonly number[];
  /** Σ over rounds of the K in force (rounds × K while K is constant). */
  kRounds: number;
  /** Σ drafting seconds. */
  draftSeconds: number;
  /** Σ verifier seconds (queue + compute): the drafter's verification round trip minus the network part. */
  verifySeconds: number;
  /** Σ network seconds of the verification round trip. */
  networkSeconds: number;
  /** Window the counters cover, in seconds (decayed like the counters). */
  windowSeconds: number;
}

export const EMPTY_COUNTERS: ServingCounters = {
  rounds: 0,
  tokens: 0,
  drafted: [],
  accepted: [],
  kRounds: 0,
  draftSeconds: 0,
  verifySeconds: 0,
  networkSeconds: 0,
  windowSeconds: 0,
};

export interface CorrectionSettings {
  /** Most samples a profile counts as, however many it measured. */
  profileWeightCap: number;
  /** Samples an unmeasured prior counts as. */
  priorWeight: number;
  /** A profile's weight halves with every this many seconds of its age. */
  profileHalfLifeSeconds: number;
  /** Observations halve in weight with every this many seconds (see accumulateServing). */
  observationHalfLifeSeconds: number;
}

export const DEFAULT_CORRECTION: CorrectionSettings = {
  profileWeightCap: 1000,
  priorWeight: 20,
  profileHalfLifeSeconds: 86_400,
  observationHalfLifeSeconds: 7_200,
};

/** How much evidence the profile side has, per input group (samples before the cap and age decay). */
export interface ProfileEvidence {
  /** AlignmentProfile samples (draft tokens judged), or undefined when acceptance is a prior. */
  acceptanceSamples?: number;
  acceptanceAgeSeconds?: number;
  /** DraftProfile timing samples (rounds), or undefined when drafting speed is a prior. */
  draftSamples?: number;
  draftAgeSeconds?: number;
  /** Verification timing samples (rounds), or undefined when T_v is a prior. */
  verifySamples?: number;
  verifyAgeSeconds?: number;
  /** RTT samples, or undefined when the RTT is the DeviceClass's figure. */
  networkSamples?: number;
  networkAgeSeconds?: number;
}

/** Share of the observations in each corrected input, 0 (profile only) to 1 (observations only). */
export interface CorrectionWeights {
  acceptance: number;
  draft: number;
  verify: number;
  network: number;
}

export interface Correction {
  inputs: CandidateInputs;
  weights: CorrectionWeights;
  /** Multipliers applied to t_draft and T_v, and the blended RTT (1, 1, input RTT when nothing was observed). */
  draftScale: number;
  verifyScale: number;
}

/** Pseudo-count of one side: capped samples halved per half-life of age, or the prior's weight. */
export function profileWeight(
  samples: number | undefined,
  ageSeconds: number | undefined,
  settings: CorrectionSettings,
): number {
  if (samples === undefined || !(samples > 0)) return settings.priorWeight;
  const capped = Math.min(samples, settings.profileWeightCap);
  const age = Math.max(0, ageSeconds ?? 0);
  return Math.max(settings.priorWeight, capped * Math.pow(0.5, age / settings.profileHalfLifeSeconds));
}

/** w = n / (n + n0). */
export function observationShare(observed: number, prior: number): number {
  if (!(observed > 0)) return 0;
  return observed / (observed + Math.max(0, prior));
}

/**
 * Adds a new window of counters to an accumulated one after decaying the old by the time between them:
 * old × 2^(−elapsed/half-life) + new. State lives with the caller (the operator keeps one per class and
 * configuration); this function is the whole update rule.
 */
export function accumulateServing(
  previous: ServingCounters | undefined,
  next: ServingCounters,
  elapsedSeconds: number,
  settings: CorrectionSettings = DEFAULT_CORRECTION,
): ServingCounters {
  if (!previous) return next;
  const f = Math.pow(0.5, Math.max(0, elapsedSeconds) / settings.observationHalfLifeSeconds);
  const positions = Math.max(previous.drafted.length, next.drafted.length);
  const drafted: number[] = [];
  const accepted: number[] = [];
  for (let i = 0; i < positions; i++) {
    drafted.push((previous.drafted[i] ?? 0) * f + (next.drafted[i] ?? 0));
    accepted.push((previous.accepted[i] ?? 0) * f + (next.accepted[i] ?? 0));
  }
  return {
    rounds: previous.rounds * f + next.rounds,
    tokens: previous.tokens * f + next.tokens,
    drafted,
    accepted,
    kRounds: previous.kRounds * f + next.kRounds,
    draftSeconds: previous.draftSeconds * f + next.draftSeconds,
    verifySeconds: previous.verifySeconds * f + next.verifySeconds,
    networkSeconds: previous.networkSeconds * f + next.networkSeconds,
    windowSeconds: previous.windowSeconds * f + next.windowSeconds,
  };
}

/**
 * Whether a new window contradicts the accumulated observations beyond noise: accepted tokens more than
 * `SHIFT_Z` binomial standard errors from what the accumulated per-position rates expect, or mean drafting,
 * verification or network seconds per round more than `SHIFT_RELATIVE` off at the same K; judged only on windows
 * of at least `SHIFT_MIN_ROUNDS` rounds. On a shift the accumulator restarts from the window: waiting for the decay to wash out hours of
 * evidence about a world that has changed would delay the correction by hours (the profile still weighs in).
 */
export const SHIFT_Z = 6;
export const SHIFT_RELATIVE = 0.25;
export const SHIFT_MIN_ROUNDS = 100;

export function servingShifted(accumulated: ServingCounters, window: ServingCounters): boolean {
  if (window.rounds < SHIFT_MIN_ROUNDS || accumulated.rounds < SHIFT_MIN_ROUNDS) return false;
  // Acceptance, position by position (conditional acceptance does not depend on K): the window's accepted count
  // against what the accumulated rates expect, in binomial standard errors.
  let excess = 0;
  let variance = 0;
  let judged = 0;
  const positions = Math.min(accumulated.drafted.length, window.drafted.length);
  for (let i = 0; i < positions; i++) {
    const old = accumulated.drafted[i]!;
    const drafted = window.drafted[i]!;
    if (!(old > 0) || !(drafted > 0)) continue;
    const p = (accumulated.accepted[i] ?? 0) / old;
    excess += (window.accepted[i] ?? 0) - drafted * p;
    variance += drafted * Math.max(p * (1 - p), 1e-3);
    judged += drafted;
  }
  if (judged >= SHIFT_MIN_ROUNDS && variance > 0 && Math.abs(excess) / Math.sqrt(variance) > SHIFT_Z) return true;
  // Timings per round depend on K: compare them only when the window ran at the accumulated mean K.
  if (Math.abs(window.kRounds / window.rounds - accumulated.kRounds / accumulated.rounds) > 0.5) return false;
  for (const key of ['draftSeconds', 'verifySeconds', 'networkSeconds'] as const) {
    const before = accumulated[key] / accumulated.rounds;
    const now = window[key] / window.rounds;
    // Times of a millisecond or less per round are noise-dominated and move no decision.
    if (before > 0.001 && Math.abs(now / before - 1) > SHIFT_RELATIVE) return true;
  }
  return false;
}

/** accumulateServing, restarting from the window when it shows a shift (servingShifted). */
export function accumulateWithShiftDetection(
  previous: ServingCounters | undefined,
  next: ServingCounters,
  elapsedSeconds: number,
  settings: CorrectionSettings = DEFAULT_CORRECTION,
): { counters: ServingCounters; shifted: boolean } {
  if (previous && servingShifted(previous, next)) return { counters: next, shifted: true };
  return { counters: accumulateServing(previous, next, elapsedSeconds, settings), shifted: false };
}

/** Conditional acceptance by position of the inputs, up to `positions` (the fallback α past the measured ones). */
export function acceptanceByPosition(inputs: CandidateInputs, positions: number): number[] {
  const alpha = clampProbability(inputs.acceptanceRate);
  const list: number[] = [];
  for (let i = 0; i < positions; i++) list.push(clampProbability(inputs.perPositionAcceptance?.[i] ?? alpha));
  return list;
}

/** Beta-binomial update of acceptance; positions without observations shift by the observed positions' ratio. */
function correctAcceptance(
  inputs: CandidateInputs,
  observed: ServingCounters,
  n0Total: number,
): { perPosition: number[] | undefined; alpha: number; weight: number } {
  const measured = inputs.perPositionAcceptance?.length ?? 0;
  const positions = Math.max(measured, observed.drafted.length);
  const prior = acceptanceByPosition(inputs, positions);
  const judged = observed.drafted.reduce((s, v) => s + Math.max(0, v), 0);
  if (positions === 0 || !(judged > 0))
    return { perPosition: inputs.perPositionAcceptance?.slice(), alpha: inputs.acceptanceRate, weight: 0 };
  // The profile's samples were judged at each position as often as the profile's own acceptance reached it.
  const reach: number[] = [];
  let survival = 1;
  for (const p of prior) {
    reach.push(survival);
    survival *= p;
  }
  const reachSum = reach.reduce((s, v) => s + v, 0);
  const posterior: number[] = [];
  let observedPosterior = 0;
  let observedPrior = 0;
  for (let i = 0; i < positions; i++) {
    const n0 = (n0Total * reach[i]!) / reachSum;
    const drafted = Math.max(0, observed.drafted[i] ?? 0);
    const accepted = Math.min(drafted, Math.max(0, observed.accepted[i] ?? 0));
    const value = n0 + drafted > 0 ? (n0 * prior[i]! + accepted) / (n0 + drafted) : prior[i]!;
    posterior.push(value);
    observedPosterior += drafted * value;
    observedPrior += drafted * prior[i]!;
  }
  // Positions beyond the K in force are not observed; acceptance there moves by the same ratio as where it is.
  const ratio = observedPrior > 0 ? observedPosterior / observedPrior : 1;
  for (let i = 0; i < positions; i++)
    if (!((observed.drafted[i] ?? 0) > 0)) posterior[i] = clampProbability(prior[i]! * ratio);
  return {
    perPosition: posterior,
    alpha: clampProbability(clampProbability(inputs.acceptanceRate) * ratio),
    weight: observationShare(judged, n0Total),
  };
}

/**
 * The inputs of one candidate corrected by what was observed serving it. `observed` may come from this
 * candidate (acceptance and timings) or, for `timingOnly`, from another candidate on the same device class:
 * drafting slowdown (throttling), the network and the verifier are properties of the device, link and verifier,
 * while acceptance belongs to the (draft, target) pair and the traffic, so it is never carried across.
 */
export function correctInputs(
  inputs: CandidateInputs,
  evidence: ProfileEvidence,
  observed: ServingCounters | undefined,
  settings: CorrectionSettings = DEFAULT_CORRECTION,
  options: {
    timingOnly?: boolean;
    observedInputs?: CandidateInputs;
    /** T_v comes from the verifier's own load fit (which sees every drafter's requests): leave it alone. */
    verificationFromVerifier?: boolean;
  } = {},
): Correction {
  const none: Correction = {
    inputs,
    weights: { acceptance: 0, draft: 0, verify: 0, network: 0 },
    draftScale: 1,
    verifyScale: 1,
  };
  if (!observed || !(observed.rounds > 0)) return none;
  // Timings are compared with what the model predicted for the rounds observed, under the inputs of the
  // configuration that served them.
  const basis = options.observedInputs ?? inputs;
  const rounds = observed.rounds;

  const draftPredicted = rounds * basis.draftInterceptSeconds + observed.kRounds * basis.draftSecondsPerToken;
  const draftWeight = observationShare(
    rounds,
    profileWeight(evidence.draftSamples, evidence.draftAgeSeconds, settings),
  );
  const draftScale =
    draftPredicted > 0 && observed.draftSeconds > 0
      ? 1 + draftWeight * (observed.draftSeconds / draftPredicted - 1)
      : 1;

  // Verification and RTT as predicted at the rounds' mean K: on the line that is rounds·a + (Σ(K+1))·b;
  // measured K points shift it.
  const predictedAtK = verificationTerms(basis, observed.kRounds / rounds);
  const verifyPredicted = rounds * predictedAtK.verifySeconds;
  const verifyWeight = options.verificationFromVerifier
    ? 0
    : observationShare(rounds, profileWeight(evidence.verifySamples, evidence.verifyAgeSeconds, settings));
  const verifyScale =
    verifyPredicted > 0 && observed.verifySeconds > 0
      ? 1 + verifyWeight * (observed.verifySeconds / verifyPredicted - 1)
      : 1;

  const networkN0 = profileWeight(evidence.networkSamples, evidence.networkAgeSeconds, settings);
  const networkWeight = observationShare(rounds, networkN0);
  const predictedRtt = predictedAtK.rttSeconds;
  const rttSeconds = (networkN0 * predictedRtt + observed.networkSeconds) / (networkN0 + rounds);
  const rttShift = rttSeconds - predictedRtt;

  const corrected: CandidateInputs = {
    ...inputs,
    draftInterceptSeconds: inputs.draftInterceptSeconds * draftScale,
    draftSecondsPerToken: inputs.draftSecondsPerToken * draftScale,
    verifyInterceptSeconds: inputs.verifyInterceptSeconds * verifyScale,
    verifySecondsPerToken: inputs.verifySecondsPerToken * verifyScale,
    rttSeconds: Math.max(0, inputs.rttSeconds + rttShift),
  };
  // Times measured at particular K move with the rest: the same verifier and the same network.
  if (inputs.verifySecondsByK)
    corrected.verifySecondsByK = inputs.verifySecondsByK.map(({ k, seconds }) => ({
      k,
      seconds: seconds * verifyScale,
    }));
  if (inputs.rttSecondsByK)
    corrected.rttSecondsByK = inputs.rttSecondsByK.map(({ k, seconds }) => ({
      k,
      seconds: Math.max(0, seconds + rttShift),
    }));
  let acceptanceWeight = 0;
  if (!options.timingOnly) {
    const acceptance = correctAcceptance(
      inputs,
      observed,
      profileWeight(evidence.acceptanceSamples, evidence.acceptanceAgeSeconds, settings),
    );
    corrected.acceptanceRate = acceptance.alpha;
    if (acceptance.perPosition) corrected.perPositionAcceptance = acceptance.perPosition;
    acceptanceWeight = acceptance.weight;
  }
  return {
    inputs: corrected,
    weights: { acceptance: acceptanceWeight, draft: draftWeight, verify: verifyWeight, network: networkWeight },
    draftScale,
    verifyScale,
  };
}

/** Observed serving figures of a window: means per round, pooled acceptance, goodput over busy time. */
export function observedFigures(observed: ServingCounters): ServingFigures | undefined {
  if (!(observed.rounds > 0)) return undefined;
  const drafted = observed.drafted.reduce((s, v) => s + v, 0);
  const accepted = observed.accepted.reduce((s, v) => s + v, 0);
  const busy = observed.draftSeconds + observed.verifySeconds + observed.networkSeconds;
  return {
    goodputTokensPerSecond: busy > 0 ? observed.tokens / busy : 0,
    acceptanceRate: drafted > 0 ? clampProbability(accepted / drafted) : 0,
    roundSeconds: busy / observed.rounds,
    draftSeconds: observed.draftSeconds / observed.rounds,
    verifySeconds: observed.verifySeconds / observed.rounds,
    rttSeconds: observed.networkSeconds / observed.rounds,
  };
}

/** Relative gap (observed − predicted) / predicted; 0 when the prediction is 0. */
export function relativeGap(observed: number, predicted: number): number {
  if (!(predicted > 0) || !Number.isFinite(predicted)) return 0;
  return (observed - predicted) / predicted;
}

/** The model's serving figures for a candidate at K, in the form observations take (pooled acceptance over 1..K). */
export function predictedServing(inputs: CandidateInputs, k: number, settings: ModelSettings): ServingFigures {
  const e = estimate(inputs, k, settings);
  const a = acceptanceByPosition(inputs, Math.max(1, k));
  let reach = 1;
  let judged = 0;
  let accepted = 0;
  for (const p of a) {
    judged += reach;
    accepted += reach * p;
    reach *= p;
  }
  return {
    goodputTokensPerSecond: e.goodputTokensPerSecond,
    acceptanceRate: judged > 0 ? accepted / judged : 0,
    roundSeconds: e.roundSeconds,
    draftSeconds: e.draftSeconds,
    verifySeconds: e.verifySeconds,
    rttSeconds: Math.max(0, e.roundSeconds - e.draftSeconds - e.verifySeconds),
  };
}
