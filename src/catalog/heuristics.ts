// Assumptions the priors rest on where no public figure exists. Each is documented here once, with its
// reasoning, so the cost model and the planner never hide a magic number.
import type { Quantization } from '../api/types.js';
import type { AcceptancePrior, FigureSource } from './types.js';

export interface Heuristic<T> {
  value: T;
  source: FigureSource;
}

/** Fixed edge-side time per drafting round (sampling, request framing): t0 of t_draft(K) = t0 + K/v. */
export const DRAFT_ROUND_OVERHEAD_SECONDS: Heuristic<number> = {
  value: 0.005,
  source: {
    kind: 'heuristic',
    note: '5 ms per round for sampling and serialising the request on a small ARM board; profiling fits the real intercept.',
  },
};

/** Fixed verifier time per request (HTTP, batch assembly, kernel launches): part of a_v. */
export const VERIFY_REQUEST_OVERHEAD_SECONDS: Heuristic<number> = {
  value: 0.015,
  source: {
    kind: 'heuristic',
    note: '15 ms per verification request besides streaming the weights: request handling and launch overheads of a batch-1 llama.cpp forward pass.',
  },
};

/** Share of dense tensor throughput a verification pass achieves per extra token: b_v's denominator. */
export const VERIFIER_COMPUTE_UTILISATION: Heuristic<number> = {
  value: 0.3,
  source: {
    kind: 'heuristic',
    note: '30 % of dense FP16 tensor throughput for a short (K+1 token) prefill; each token costs 2 × parameters FLOPs.',
  },
};

/** Precision the verifier holds the target in, for the T_v prior and the verifier memory warning. */
export const TARGET_PRECISION: Heuristic<Quantization> = {
  value: 'F16',
  source: {
    kind: 'heuristic',
    note: 'The verifier is assumed to hold the target unquantised (F16), the usual choice for a lossless reference.',
  },
};

/** Context length the KV cache of the draft model is sized for in the memory check. */
export const PLANNING_CONTEXT_TOKENS: Heuristic<number> = {
  value: 4096,
  source: {
    kind: 'heuristic',
    note: '4096 tokens of F16 KV cache: 2 × layers × KV heads × head dim × 2 bytes per token.',
  },
};

/** KV-cache bytes per token per billion parameters, for models outside the catalog (no config.json at hand). */
export const KV_BYTES_PER_TOKEN_PER_BILLION: Heuristic<number> = {
  value: 16_384,
  source: {
    kind: 'heuristic',
    note: '16 KiB per token per billion parameters: Llama-3.1-8B has 128 KiB/token (32 layers × 8 KV heads × 128 × 2 × 2 bytes), Qwen2.5-7B 56 KiB; GQA models sit at or below this line.',
  },
};

/** Memory the OS and the llama.cpp runtime need on an edge node besides weights and KV cache. */
export const EDGE_RUNTIME_OVERHEAD_BYTES: Heuristic<number> = {
  value: 0.75 * 2 ** 30,
  source: {
    kind: 'heuristic',
    note: '0.75 GiB: a headless Linux (K3s agent included) plus llama.cpp compute buffers.',
  },
};

/** Multiplier on the F16 acceptance prior per draft quantisation. */
export const QUANTIZATION_ACCEPTANCE_FACTOR: Heuristic<Readonly<Record<Quantization, number>>> = {
  value: { F16: 1, Q8_0: 0.995, Q5_K_M: 0.98, Q4_K_M: 0.96 },
  source: {
    kind: 'heuristic',
    url: 'https://github.com/ggml-org/llama.cpp/blob/master/tools/quantize/quantize.cpp',
    note:
      'Lower-bit drafts agree less with the target. llama.cpp reports perplexity increases of +0.0026 (Q8_0), ' +
      '+0.0569 (Q5_K_M) and +0.1754 (Q4_K_M) on Llama-3-8B; the factors 0.995 / 0.98 / 0.96 scale with that order.',
  },
};

/**
 * Acceptance prior when the catalog has no measurement for the pair: rises with the draft/target size ratio.
 * α = clamp(0.95 + 0.10 · log10(draft ÷ target parameters), 0.30, 0.95), at F16.
 */
export const SIZE_RATIO_ACCEPTANCE: Heuristic<{ base: number; slopePerDecade: number; min: number; max: number }> = {
  value: { base: 0.95, slopePerDecade: 0.1, min: 0.3, max: 0.95 },
  source: {
    kind: 'heuristic',
    url: 'https://devquasar.com/uncategorized/speculative-decoding-tradeoffs-gpu-with-large-models-llama-70b-8b/',
    note:
      'Anchored on one public llama.cpp measurement: Llama-3-8B Q4_K_M drafting Llama-3-70B Q4_K_M accepted 58.68 % ' +
      'of drafted tokens at draft length 8, i.e. α ≈ 0.88 under i.i.d. acceptance. A ratio of 0.11 gives ' +
      '0.95 − 0.096 = 0.854 (×0.96 at Q4_K_M ≈ 0.82, deliberately a little conservative); ten times smaller drafts lose 0.1.',
  },
};

/** Fixed verification latency of the paper's model (`Paper` accounting). */
export const PAPER_VERIFY_SECONDS: Heuristic<number> = {
  value: 0.5,
  source: {
    kind: 'published',
    url: 'https://arxiv.org/abs/2604.09722',
    note: "ConfigSpec's goodput figure is computed at T_v = 0.5 s (its file name goodput_vs_speclen_Tv0p5s); see research/configspec-paper.md §2.",
  },
};

/** Serverless list price per million tokens by model size, the paper's per-token pricing (`Paper` accounting). */
export const LIST_PRICE_TIERS: Heuristic<readonly { maxParametersBillions: number; usdPerMillionTokens: number }[]> = {
  value: [
    { maxParametersBillions: 4, usdPerMillionTokens: 0.1 },
    { maxParametersBillions: 16, usdPerMillionTokens: 0.2 },
    { maxParametersBillions: Number.POSITIVE_INFINITY, usdPerMillionTokens: 0.9 },
  ],
  source: {
    kind: 'published',
    url: 'https://fireworks.ai/pricing',
    note:
      'Fireworks serverless text models: < 4B parameters $0.10, 4B–16B $0.20, > 16B $0.90 per million tokens ' +
      '(tiers as recalled, not re-checked in this session). The paper cites this page for its cost model.',
  },
};

/** Published or derived acceptance for specific pairs; other pairs use SIZE_RATIO_ACCEPTANCE. */
export const ACCEPTANCE_PRIORS: readonly AcceptancePrior[] = [
  {
    draft: 'llama-3.1-8b-instruct',
    target: 'llama-3.3-70b-instruct',
    alpha: 0.917,
    source: {
      kind: 'computed',
      url: 'https://devquasar.com/uncategorized/speculative-decoding-tradeoffs-gpu-with-large-models-llama-70b-8b/',
      note:
        'Llama-3-8B Q4_K_M drafting Llama-3-70B Q4_K_M in llama.cpp: 58.68 % of drafted tokens accepted at draft 8, ' +
        'which solves α(1−α⁸)/(8(1−α)) = 0.5868 for α ≈ 0.88; ÷ 0.96 (Q4_K_M factor) ≈ 0.917 at F16. Measured on ' +
        'Llama 3 rather than 3.1/3.3, so treat as indicative.',
    },
  },
];

/** Name of the built-in prompt set AlignmentProfiles refer to when the deployment names none. */
export const BUILTIN_PROMPT_SET = 'builtin';
