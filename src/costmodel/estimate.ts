// Per-configuration estimates: round time, goodput, $/Mtoken and J/token in both accounting modes.
//
// Full accounting (the default; design/cost-model.md "where this project goes past the paper"):
//   t_draft(K) = t0 + K/v (0 at K = 0),  T_v(K) = a_v + b_v·(K+1),  T_round = t_draft + RTT + T_v
//   with T_v and RTT taken from measurements at particular K where profiles have them (verificationTerms)
//   $/token = T_v(K) · verifier $/s ÷ E[N]        (the GPU time the round holds, shared over its tokens)
//   J/token = (P_draft·t_draft + P_wait·(RTT + T_v)) ÷ E[N]
// Paper accounting (reproduces the paper's findings):
//   T_round = K/v + T_v with T_v constant (0.5 s),  $/token = p · (K+1) ÷ E[N],  J/token = P_draft · K/v ÷ E[N]
//   The target processes K+1 tokens per round (the K drafts and the one it adds), each billed at the list price p.
//   Because E[N]/(K+1) falls with K for every α < 1, cost peaks at the smallest K and favours high α (finding 2/3).
import { clampProbability, expectedTokensIid, expectedTokensPerPosition } from './acceptance.js';
import { secondsAtK } from './measured-k.js';
import type { CandidateInputs, Estimate, ModelSettings } from './types.js';

export function estimate(inputs: CandidateInputs, k: number, settings: ModelSettings): Estimate {
  const alpha = clampProbability(inputs.acceptanceRate);
  const expectedTokens = inputs.perPositionAcceptance
    ? expectedTokensPerPosition(inputs.perPositionAcceptance, alpha, k)
    : expectedTokensIid(alpha, k);
  return figuresFor(inputs, k, expectedTokens, settings);
}

function figuresFor(inputs: CandidateInputs, k: number, expectedTokens: number, settings: ModelSettings): Estimate {
  let draftSeconds: number;
  let verifySeconds: number;
  let roundSeconds: number;
  let usdPerToken: number;
  let joulesPerRound: number;
  if (settings.accounting === 'Paper') {
    draftSeconds = k * inputs.draftSecondsPerToken;
    verifySeconds = settings.paperVerifySeconds;
    roundSeconds = draftSeconds + verifySeconds;
    usdPerToken = (inputs.usdPerProcessedToken * (k + 1)) / expectedTokens;
    joulesPerRound = inputs.draftingWatts * draftSeconds;
  } else {
    draftSeconds = k > 0 ? inputs.draftInterceptSeconds + k * inputs.draftSecondsPerToken : 0;
    const terms = verificationTerms(inputs, k);
    verifySeconds = terms.verifySeconds;
    roundSeconds = draftSeconds + terms.rttSeconds + verifySeconds;
    usdPerToken = (verifySeconds * inputs.verifierUsdPerSecond) / expectedTokens;
    joulesPerRound = inputs.draftingWatts * draftSeconds + inputs.waitingWatts * (terms.rttSeconds + verifySeconds);
  }
  return {
    k,
    expectedTokens,
    acceptanceRate: clampProbability(inputs.acceptanceRate),
    draftSeconds,
    verifySeconds,
    roundSeconds,
    goodputTokensPerSecond: expectedTokens / roundSeconds,
    usdPerMillionTokens: usdPerToken * 1e6,
    joulesPerToken: joulesPerRound / expectedTokens,
  };
}

/** T_v(K) and RTT of one round in full accounting (K may be fractional: a mean over rounds). */
export function verificationTerms(inputs: CandidateInputs, k: number): { verifySeconds: number; rttSeconds: number } {
  return {
    verifySeconds: secondsAtK(
      (x) => inputs.verifyInterceptSeconds + inputs.verifySecondsPerToken * (x + 1),
      inputs.verifySecondsByK,
      k,
    ),
    rttSeconds: secondsAtK(() => inputs.rttSeconds, inputs.rttSecondsByK, k),
  };
}
