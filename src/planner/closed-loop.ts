// The closed loop inside the planner: verifier load and serving observations turn the profiles' inputs into the
// inputs the selection uses, and the status reports observed against predicted. Pure: observations, the load
// model and the clock come in with the PlanRequest; the operator gathers them (src/controller).
//
// Order per class: (1) the verifier's load at B = drafters ÷ replicas goes into T_v (src/costmodel/verifier-load);
// (2) each candidate is corrected by its own observations, and candidates never served take the device-wide
// timing factors (drafting, network, verification) from the configuration serving now; acceptance is never
// carried across candidates (src/costmodel/correction); (3) the residual gap of the serving configuration is
// checked (src/costmodel/mismatch) and, when persistent, holds the selection.
import type {
  Configuration,
  DeviceClassStatus,
  ObservationGap,
  ObservedFigures,
  Objective,
  Quantization,
  ServingFigures,
} from '../api/types.js';
import {
  DEFAULT_CORRECTION,
  DEFAULT_MISMATCH,
  assessMismatch,
  batchPerReplica,
  correctInputs,
  estimate,
  improvementPercent,
  loadedInputs,
  observedFigures,
  predictedServing,
  relativeGap,
  type CandidateInputs,
  type Correction,
  type CorrectionSettings,
  type MismatchSettings,
  type MismatchState,
  type ModelSettings,
  type ProfileEvidence,
  type ServingCounters,
  type VerifierLoadModel,
  type VerifierWindow,
  fitVerifierLoad,
  NO_LOAD,
} from '../costmodel/index.js';
import { formatTimestamp, hasVerificationTiming, parseTimestamp, type PlanContext } from './inputs.js';

/** What the operator observed serving one configuration of a class (accumulated with decay). */
export interface ObservedCandidate {
  draft: string;
  quantization: Quantization;
  /** K in force at the last observation. */
  k: number;
  counters: ServingCounters;
}

export interface ClassObservations {
  candidates: readonly ObservedCandidate[];
}

export interface VerifierLoadInput {
  /** A fitted load model; else `windows` are fitted here against the deployment's verification line. */
  model?: VerifierLoadModel;
  /** The verifier's (batch, K) windows (src/controller/serving-observer.ts). */
  windows?: readonly VerifierWindow[];
  /** Edge drafters sharing the verifier's replicas (every class of the deployment). */
  drafters: number;
}

export interface ClosedLoopSettings {
  correction: CorrectionSettings;
  mismatch: MismatchSettings;
}

export const DEFAULT_CLOSED_LOOP: ClosedLoopSettings = { correction: DEFAULT_CORRECTION, mismatch: DEFAULT_MISMATCH };

/** Verifier-bound report of one class (plan only; its sentence goes into the status message). */
export interface VerifierLoadReport {
  drafters: number;
  replicas: number;
  /** Drafters per replica the prediction uses. */
  batch: number;
  /** Seconds the load adds to the selected configuration's round. */
  addedRoundSeconds: number;
  /** How much better the objective would be with no contention (one drafter per replica), in percent. */
  lossPercent: number;
  /** True when that loss exceeds minImprovementPercent: more replicas would be a switch-worthy gain. */
  verifierBound: boolean;
  /** Fewest replicas that bring the loss within minImprovementPercent. */
  replicasNeeded: number;
}

export interface ClassLoop {
  /** Inputs the selection uses. */
  candidates: CandidateInputs[];
  /** Inputs of profiles and priors alone (with verifier load), for the 'predicted' side of status.observed. */
  profileCandidates: CandidateInputs[];
  corrections: (Correction | undefined)[];
  /** The configuration serving now, when observed. */
  observed?: ObservedFigures;
  mismatch?: MismatchState;
  /** Inputs at another batch size (for the verifier-bound report). */
  atBatch(index: number, batch: number): CandidateInputs;
  batch: number;
  /** The verifier load model in use (NO_LOAD without one). */
  load: VerifierLoadModel;
}

/** The load model given, else fitted from the windows against the deployment's single-drafter verification line. */
function resolveLoadModel(context: PlanContext, input: VerifierLoadInput | undefined): VerifierLoadModel {
  if (!input) return NO_LOAD;
  if (input.model) return input.model;
  if (!input.windows || input.windows.length === 0) return NO_LOAD;
  const measured = context.profiles.verification()?.status;
  const base =
    measured && hasVerificationTiming(measured)
      ? { interceptSeconds: measured.verifySecondsIntercept, secondsPerToken: measured.verifySecondsPerToken ?? 0 }
      : context.verificationPrior;
  return fitVerifierLoad(base, input.windows);
}

const SIGNIFICANT = 4;
const round = (v: number) => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(SIGNIFICANT)) : 0);
// Within the CRD's bounds (a status the apiserver rejects would stop every status write of the deployment).
const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
const roundFigures = (f: ServingFigures): ServingFigures => ({
  goodputTokensPerSecond: clamp(round(f.goodputTokensPerSecond), 1e6),
  acceptanceRate: clamp(round(f.acceptanceRate), 1),
  roundSeconds: clamp(round(f.roundSeconds), 3600),
  draftSeconds: clamp(round(f.draftSeconds), 3600),
  verifySeconds: clamp(round(f.verifySeconds), 3600),
  rttSeconds: clamp(round(f.rttSeconds), 3600),
});
const gap = (observed: number, predicted: number) =>
  Math.min(1e6, Math.max(-1, round(relativeGap(observed, predicted))));
const gapOf = (observed: ServingFigures, predicted: ServingFigures): ObservationGap => ({
  goodput: gap(observed.goodputTokensPerSecond, predicted.goodputTokensPerSecond),
  acceptance: gap(observed.acceptanceRate, predicted.acceptanceRate),
  roundSeconds: gap(observed.roundSeconds, predicted.roundSeconds),
});

/** How much evidence the profiles behind one candidate have, with their ages at `nowMs`. */
export function evidenceFor(
  context: PlanContext,
  deviceClass: string,
  inputs: CandidateInputs,
  nowMs: number,
): ProfileEvidence {
  const age = (measuredAt: string | undefined) => {
    const ms = parseTimestamp(measuredAt);
    return ms === undefined ? undefined : Math.max(0, (nowMs - ms) / 1000);
  };
  const evidence: ProfileEvidence = {};
  const draft = context.profiles.draft(deviceClass, inputs.draft, inputs.quantization);
  if (inputs.basis.draftSpeed === 'Measured' && draft.profile?.status) {
    evidence.draftSamples = draft.profile.status.samples ?? 1;
    evidence.draftAgeSeconds = age(draft.profile.status.measuredAt);
  }
  if (inputs.basis.network === 'Measured' && draft.profile?.status) {
    evidence.networkSamples = draft.profile.status.samples ?? 1;
    evidence.networkAgeSeconds = age(draft.profile.status.measuredAt);
  }
  const alignment = context.profiles.alignment(inputs.draft, inputs.quantization).profile?.status;
  if (inputs.basis.acceptance === 'Measured' && alignment) {
    evidence.acceptanceSamples = alignment.samples ?? 1;
    evidence.acceptanceAgeSeconds = age(alignment.measuredAt);
  }
  const verification = hasVerificationTiming(alignment) ? alignment : context.profiles.verification()?.status;
  if (inputs.basis.verification === 'Measured' && verification) {
    // Verification timing rounds of the profile: its judged tokens are a fair count of the rounds behind it.
    evidence.verifySamples = verification.samples ?? 1;
    evidence.verifyAgeSeconds = age(verification.measuredAt);
  }
  return evidence;
}

export function applyClosedLoop(params: {
  deviceClass: string;
  context: PlanContext;
  candidates: readonly CandidateInputs[];
  observations: ClassObservations | undefined;
  verifierLoad: VerifierLoadInput | undefined;
  /** The selection in status (what serves now). */
  current: Configuration | undefined;
  previous: DeviceClassStatus | undefined;
  settings: ModelSettings;
  loop?: ClosedLoopSettings;
  nowMs: number;
  cooldownSeconds: number;
}): ClassLoop {
  const loop = params.loop ?? DEFAULT_CLOSED_LOOP;
  const load = resolveLoadModel(params.context, params.verifierLoad);
  const replicas = Math.max(1, params.context.spec.target.verifier.replicas);
  const batch = params.verifierLoad ? batchPerReplica(params.verifierLoad.drafters, replicas) : 1;
  const withLoad = (inputs: CandidateInputs, b: number): CandidateInputs => loadedInputs(inputs, load, b);
  const profileCandidates = params.candidates.map((c) => withLoad(c, batch));
  const observedOf = (c: { draft: string; quantization: Quantization }) =>
    params.observations?.candidates.find(
      (o) => o.draft === c.draft && o.quantization === c.quantization && o.counters.rounds > 0,
    );
  // The serving configuration: the status selection when observed, else the most observed one.
  const serving =
    (params.current && observedOf(params.current)) ??
    [...(params.observations?.candidates ?? [])].sort((a, b) => b.counters.rounds - a.counters.rounds)[0];
  const servingIndex = serving
    ? profileCandidates.findIndex((c) => c.draft === serving.draft && c.quantization === serving.quantization)
    : -1;

  const verificationFromVerifier = load.windows > 0;
  const corrections = profileCandidates.map((inputs) => {
    const evidence = evidenceFor(params.context, params.deviceClass, inputs, params.nowMs);
    const own = observedOf(inputs);
    if (own) return correctInputs(inputs, evidence, own.counters, loop.correction, { verificationFromVerifier });
    if (serving && servingIndex >= 0 && serving.counters.rounds > 0)
      return correctInputs(inputs, evidence, serving.counters, loop.correction, {
        timingOnly: true,
        observedInputs: profileCandidates[servingIndex]!,
        verificationFromVerifier,
      });
    return undefined;
  });
  const candidates = profileCandidates.map((inputs, i) => corrections[i]?.inputs ?? inputs);
  const atBatch = (index: number, b: number): CandidateInputs => {
    const scaled = withLoad(params.candidates[index]!, b);
    const correction = corrections[index];
    if (!correction) return scaled;
    const s = correction.verifyScale;
    return {
      ...candidates[index]!,
      verifyInterceptSeconds: scaled.verifyInterceptSeconds * s,
      verifySecondsPerToken: scaled.verifySecondsPerToken * s,
      ...(scaled.verifySecondsByK
        ? { verifySecondsByK: scaled.verifySecondsByK.map(({ k, seconds }) => ({ k, seconds: seconds * s })) }
        : {}),
    };
  };
  const result: ClassLoop = { candidates, profileCandidates, corrections, atBatch, batch, load };

  if (serving && servingIndex >= 0) {
    const figures = observedFigures(serving.counters);
    const correction = corrections[servingIndex];
    if (figures && correction) {
      const predicted = predictedServing(profileCandidates[servingIndex]!, serving.k, params.settings);
      const corrected = predictedServing(candidates[servingIndex]!, serving.k, params.settings);
      const share = Math.min(correction.weights.acceptance, correction.weights.draft);
      const previousSince = parseTimestamp(params.previous?.observed?.mismatchSince);
      const mismatch = assessMismatch({
        observed: figures,
        corrected,
        observationShare: share,
        previousSinceMs: previousSince,
        nowMs: params.nowMs,
        cooldownSeconds: params.cooldownSeconds,
        settings: loop.mismatch,
      });
      const c = serving.counters;
      const byPosition = c.drafted
        .map((d, i) => (d > 0 ? Math.min(1, round((c.accepted[i] ?? 0) / d)) : -1))
        .filter((v) => v >= 0);
      result.mismatch = mismatch;
      result.observed = {
        configuration: {
          draft: serving.draft,
          quantization: serving.quantization,
          k: Math.min(32, Math.max(0, Math.round(serving.k))),
        },
        rounds: clamp(round(c.rounds), Number.MAX_SAFE_INTEGER),
        tokens: clamp(round(c.tokens), Number.MAX_SAFE_INTEGER),
        windowSeconds: clamp(round(c.windowSeconds), Number.MAX_SAFE_INTEGER),
        figures: roundFigures(figures),
        ...(byPosition.length > 0 ? { acceptanceByPosition: byPosition.slice(0, 64) } : {}),
        predicted: roundFigures(predicted),
        gap: gapOf(figures, predicted),
        weights: {
          acceptance: clamp(round(correction.weights.acceptance), 1),
          draftSpeed: clamp(round(correction.weights.draft), 1),
          verification: clamp(round(correction.weights.verify), 1),
          network: clamp(round(correction.weights.network), 1),
        },
        residualGap: gapOf(figures, corrected),
        ...(mismatch.sinceMs !== undefined ? { mismatchSince: formatTimestamp(mismatch.sinceMs) } : {}),
      };
    }
  }
  return result;
}

/** How much the verifier's load costs the selected configuration, and how many replicas would remove that. */
export function verifierLoadReport(params: {
  loop: ClassLoop;
  index: number;
  k: number;
  verifierLoad: VerifierLoadInput | undefined;
  replicas: number;
  objective: Objective;
  minImprovementPercent: number;
  settings: ModelSettings;
}): VerifierLoadReport | undefined {
  const { loop, index, k, verifierLoad } = params;
  if (!verifierLoad || loop.load.windows === 0 || params.settings.accounting === 'Paper') return undefined;
  const replicas = Math.max(1, params.replicas);
  const figuresAt = (b: number) => estimate(loop.atBatch(index, b), k, params.settings);
  const ideal = figuresAt(1);
  const now = figuresAt(loop.batch);
  const loss = (b: number) => Math.max(0, improvementPercent(params.objective, ideal, figuresAt(b)));
  const lossPercent = loss(loop.batch);
  let replicasNeeded = replicas;
  if (lossPercent > params.minImprovementPercent) {
    // The loss falls as replicas rise (B = ceil(drafters / R) falls): the first R within the threshold.
    const most = Math.max(replicas, verifierLoad.drafters);
    let low = replicas;
    let high = most;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (loss(batchPerReplica(verifierLoad.drafters, mid)) <= params.minImprovementPercent) high = mid;
      else low = mid + 1;
    }
    replicasNeeded = low;
  } else {
    // Could fewer replicas do? Report the fewest that still keep the loss within the threshold.
    let low = 1;
    let high = replicas;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (loss(batchPerReplica(verifierLoad.drafters, mid)) <= params.minImprovementPercent) high = mid;
      else low = mid + 1;
    }
    replicasNeeded = low;
  }
  return {
    drafters: verifierLoad.drafters,
    replicas,
    batch: loop.batch,
    addedRoundSeconds: Math.max(0, now.roundSeconds - ideal.roundSeconds),
    lossPercent,
    verifierBound: lossPercent > params.minImprovementPercent,
    replicasNeeded,
  };
}

export function describeVerifierLoad(report: VerifierLoadReport, minImprovementPercent: number): string {
  const ms = (report.addedRoundSeconds * 1000).toFixed(1);
  const loss = report.lossPercent.toFixed(1);
  return report.verifierBound
    ? `verifier-bound: ${report.drafters} drafters on ${report.replicas} verifier replicas add ${ms} ms per round (${loss}% on the objective); ${report.replicasNeeded} replicas would bring that within ${minImprovementPercent}%`
    : `verifier load: ${report.drafters} drafters on ${report.replicas} replicas add ${ms} ms per round (${loss}% on the objective, within ${minImprovementPercent}%)`;
}
