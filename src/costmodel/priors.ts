// Priors from hardware facts, used until a profile measures the real value (design/cost-model.md, inputs table).
import type { Quantization } from '../api/types.js';
import {
  LIST_PRICE_TIERS,
  QUANTIZATION_ACCEPTANCE_FACTOR,
  SIZE_RATIO_ACCEPTANCE,
  VERIFIER_COMPUTE_UTILISATION,
  VERIFY_REQUEST_OVERHEAD_SECONDS,
} from '../catalog/heuristics.js';

/** Roofline drafting speed: v ≈ η · bandwidth ÷ model bytes, returned as seconds per token (1/v). */
export function priorDraftSecondsPerToken(
  memoryBandwidthGBps: number,
  decodeEfficiency: number,
  modelBytes: number,
): number {
  return modelBytes / (decodeEfficiency * memoryBandwidthGBps * 1e9);
}

/** Compute assumed for a verifier GPU class that declares no computeTFLOPS (a conservative mid-range GPU). */
export const FALLBACK_VERIFIER_TFLOPS = 60;

/**
 * T_v(K) ≈ a_v + b_v·(K+1): a_v streams the target's weights once (bytes ÷ (η · bandwidth · GPUs)) plus a fixed
 * request overhead; b_v is the compute of one more token (2 · parameters FLOPs at a modest utilisation).
 */
export function priorVerification(params: {
  targetBytes: number;
  targetParametersBillions: number;
  memoryBandwidthGBps: number;
  decodeEfficiency: number;
  computeTFLOPS: number | undefined;
  gpus: number;
}): { interceptSeconds: number; secondsPerToken: number } {
  const gpus = Math.max(1, params.gpus);
  const streamSeconds = params.targetBytes / (params.decodeEfficiency * params.memoryBandwidthGBps * 1e9 * gpus);
  const flopsPerSecond =
    (params.computeTFLOPS ?? FALLBACK_VERIFIER_TFLOPS) * 1e12 * VERIFIER_COMPUTE_UTILISATION.value * gpus;
  return {
    interceptSeconds: VERIFY_REQUEST_OVERHEAD_SECONDS.value + streamSeconds,
    secondsPerToken: (2 * params.targetParametersBillions * 1e9) / flopsPerSecond,
  };
}

/** Acceptance prior from the draft/target size ratio and the draft's quantisation (catalog/heuristics.ts). */
export function priorAcceptance(
  draftParametersBillions: number,
  targetParametersBillions: number,
  quantization: Quantization,
  publishedF16Alpha?: number,
): number {
  const { base, slopePerDecade, min, max } = SIZE_RATIO_ACCEPTANCE.value;
  const ratio = draftParametersBillions / targetParametersBillions;
  const f16 = publishedF16Alpha ?? Math.min(max, Math.max(min, base + slopePerDecade * Math.log10(ratio)));
  return f16 * QUANTIZATION_ACCEPTANCE_FACTOR.value[quantization];
}

/** F16 KV cache for `contextTokens`: 2 (K and V) × layers × KV heads × head dim × 2 bytes per token. */
export function kvCacheBytes(layers: number, kvHeads: number, headDim: number, contextTokens: number): number {
  return 2 * layers * kvHeads * headDim * 2 * contextTokens;
}

/** List price per processed token for a target of this size (Paper accounting). */
export function listPricePerToken(targetParametersBillions: number): number {
  const tier = LIST_PRICE_TIERS.value.find((t) => targetParametersBillions < t.maxParametersBillions);
  return (tier ?? LIST_PRICE_TIERS.value[LIST_PRICE_TIERS.value.length - 1]!).usdPerMillionTokens / 1e6;
}
