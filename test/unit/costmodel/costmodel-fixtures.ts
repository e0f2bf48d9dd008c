// Candidate inputs for cost-model tests: a plausible edge drafter against a GPU verifier, overridable per test.
import type { CandidateInputs } from '../../../src/costmodel/index.js';

export function candidate(overrides: Partial<CandidateInputs> = {}): CandidateInputs {
  return {
    draft: 'draft-a',
    quantization: 'Q4_K_M',
    draftInterceptSeconds: 0.005,
    draftSecondsPerToken: 0.02,
    acceptanceRate: 0.75,
    verifyInterceptSeconds: 0.05,
    verifySecondsPerToken: 0.001,
    rttSeconds: 0.02,
    draftingWatts: 8,
    waitingWatts: 3,
    verifierUsdPerSecond: 5 / 3600,
    usdPerProcessedToken: 0.2e-6,
    requiredMemoryBytes: 1e9,
    availableMemoryBytes: 8e9,
    basis: { draftSpeed: 'Prior', acceptance: 'Prior', power: 'Prior', network: 'Prior', verification: 'Prior' },
    ...overrides,
  };
}
