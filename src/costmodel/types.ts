// Inputs and outputs of the ConfigSpec cost model (design/cost-model.md). All pure data.
import type { Accounting, Constraints, InputBasis, Objective, Quantization, SecondsAtK } from '../api/types.js';

/**
 * Everything the model needs about one (device class, draft, quantisation), i.e. a configuration without K.
 * Each input is a measurement or a prior; `basis` says which.
 */
export interface CandidateInputs {
  draft: string;
  quantization: Quantization;
  /** t_draft(K) = draftInterceptSeconds + K · draftSecondsPerToken for K > 0, and 0 at K = 0. */
  draftInterceptSeconds: number;
  draftSecondsPerToken: number;
  /** i.i.d. per-token acceptance α in [0, 1]. */
  acceptanceRate: number;
  /** Conditional acceptance a_1..a_n by draft position; positions beyond n use acceptanceRate. */
  perPositionAcceptance?: readonly number[];
  /** T_v(K) = verifyInterceptSeconds + verifySecondsPerToken · (K + 1)  (full accounting). */
  verifyInterceptSeconds: number;
  verifySecondsPerToken: number;
  rttSeconds: number;
  /**
   * T_v and RTT measured at particular K, where profiles have them. Real verifiers are not on one line: a
   * one-token decode step runs other kernels than a multi-token pass, GPU kernels cost the same up to a tile
   * size, and an edge device drafting alongside slows a shared machine. Between measured K the model
   * interpolates; beyond them it follows the line (or RTT) shifted by the nearest measurement's difference.
   */
  verifySecondsByK?: readonly SecondsAtK[];
  rttSecondsByK?: readonly SecondsAtK[];
  /** Edge power while drafting and while waiting for the verifier. */
  draftingWatts: number;
  waitingWatts: number;
  /** Full accounting: dollars per second of the verifier GPUs one round occupies (all GPUs of a replica). */
  verifierUsdPerSecond: number;
  /** Paper accounting: list price per token the target processes. */
  usdPerProcessedToken: number;
  /** Draft weights + KV cache + runtime, against the device's memory. */
  requiredMemoryBytes: number;
  availableMemoryBytes: number;
  basis: InputBasis;
}

export interface ModelSettings {
  accounting: Accounting;
  /** Constant verification time of the paper's model (Paper accounting only). */
  paperVerifySeconds: number;
}

/** The model's prediction for one configuration. */
export interface Estimate {
  k: number;
  /** E[N]: tokens produced per round, the target's correction or bonus token included. */
  expectedTokens: number;
  acceptanceRate: number;
  draftSeconds: number;
  verifySeconds: number;
  roundSeconds: number;
  goodputTokensPerSecond: number;
  usdPerMillionTokens: number;
  joulesPerToken: number;
}

export type FeasibilityCode =
  'MemoryExceeded' | 'KOutOfRange' | 'GoodputBelowMinimum' | 'CostAboveMaximum' | 'EnergyAboveMaximum';

export interface FeasibilityReason {
  code: FeasibilityCode;
  message: string;
}

export interface KBounds {
  min: number;
  max: number;
}

export type { Accounting, Constraints, Objective };
