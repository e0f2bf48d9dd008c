// The speculative loop of one generation: draft K tokens locally, have the verifier check them in one round
// trip, keep the accepted prefix plus the verifier's next token, repeat. Only tokens the verifier returned are
// ever handed to `onTokens`, so a failing verifier can never leak unverified text. K is read at the start of
// every round, so a new K applies from the next round on.
import { randomUUID } from 'node:crypto';
import type { TokenDistribution } from '../protocol.js';
import { seededRandom, type Random } from '../rng.js';
import type { DraftEngine, Sampling } from './draft-engine.js';
import type { VerifierClient } from './verifier-client.js';

export interface RoundRecord {
  k: number;
  accepted: number;
  /** Drafting the K tokens. */
  draftMs: number;
  /** The verification request as the drafter waits for it: encoding, HTTP round trip, decoding. */
  roundTripMs: number;
  verifierQueueMs: number;
  verifierComputeMs: number;
  /** The verifier's whole handling of the request (body parse to answer written), when it reports it. */
  verifierServerMs?: number;
  /**
   * The whole round: drafting, the verification round trip, waiting for the overlapped draft-cache extension
   * if it outlasts the round trip, and the loop's own bookkeeping. roundMs − draftMs − queue − compute is the
   * round's time outside model compute (what the cost model's RTT term stands for).
   */
  roundMs: number;
}

export interface GenerationRequest {
  /** Prompt tokens without BOS. */
  promptTokens: number[];
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  seed?: number;
  /** Called with each round's verified tokens; return true to stop (e.g. a stop string appeared). */
  onTokens?: (tokens: number[]) => boolean | void;
}

export interface GenerationResult {
  tokens: number[];
  finishReason: 'length' | 'stop';
  rounds: RoundRecord[];
  wallMs: number;
}

export interface LoopObserver {
  round(record: RoundRecord): void;
}

export async function generate(
  drafter: DraftEngine,
  verifier: VerifierClient,
  currentK: () => number,
  request: GenerationRequest,
  observer?: LoopObserver,
): Promise<GenerationResult> {
  const startedAt = performance.now();
  const sessionId = randomUUID();
  const random: Random = seededRandom(request.seed ?? Math.floor(Math.random() * 2 ** 32));
  const bos = drafter.bosToken;
  const context = [...(bos === undefined ? [] : [bos]), ...request.promptTokens];
  const generated: number[] = [];
  const rounds: RoundRecord[] = [];
  let confirmed = 0;
  let finishReason: GenerationResult['finishReason'] = 'length';
  const slot = await drafter.pool.acquire(sessionId);
  try {
    while (generated.length < request.maxTokens) {
      // A round yields at most K+1 tokens; drafting past max_tokens would be wasted work.
      const k = Math.max(0, Math.min(currentK(), request.maxTokens - generated.length - 1));
      const draftStart = performance.now();
      const sampling: Sampling =
        request.temperature > 0 ? { kind: 'sample', temperature: request.temperature, random } : { kind: 'greedy' };
      const draft = k > 0 ? await drafter.draft(slot, context, k, sampling) : { tokens: [] as number[] };
      const draftMs = performance.now() - draftStart;
      const verification = verifier.verify(
        request.temperature > 0
          ? {
              sessionId,
              draft: draft.tokens,
              mode: 'sampling',
              temperature: request.temperature,
              draftDistributions: draft.distributions as TokenDistribution[],
              seed: Math.floor(random() * 2 ** 31),
            }
          : { sessionId, draft: draft.tokens },
        context,
        confirmed,
      );
      // Overlap: cache the last draft token in the draft model while the verifier works (idle time otherwise).
      const extension = k > 0 ? drafter.extend(slot, [...context, ...draft.tokens]) : Promise.resolve();
      const [verifiedResult, extended] = await Promise.allSettled([verification, extension]);
      if (verifiedResult.status === 'rejected') throw verifiedResult.reason;
      if (extended.status === 'rejected') throw extended.reason;
      const call = verifiedResult.value;
      const { accepted, next, confirmedLength, timings } = call.response;
      let verified = [...draft.tokens.slice(0, accepted), next];
      const eos = drafter.eosToken;
      const eosAt = eos === undefined ? -1 : verified.indexOf(eos);
      if (eosAt >= 0) verified = verified.slice(0, eosAt);
      verified = verified.slice(0, request.maxTokens - generated.length);
      context.push(...verified);
      generated.push(...verified);
      confirmed = confirmedLength;
      const record: RoundRecord = {
        k,
        accepted,
        draftMs,
        roundTripMs: call.roundTripMs,
        verifierQueueMs: timings.queueMs,
        verifierComputeMs: timings.computeMs,
        roundMs: performance.now() - draftStart,
      };
      if (timings.serverMs !== undefined) record.verifierServerMs = timings.serverMs;
      rounds.push(record);
      observer?.round(record);
      const stop = request.onTokens?.(verified) === true;
      if (eosAt >= 0 || stop) {
        finishReason = 'stop';
        break;
      }
    }
  } finally {
    drafter.pool.release(slot);
  }
  return { tokens: generated, finishReason, rounds, wallMs: performance.now() - startedAt };
}
