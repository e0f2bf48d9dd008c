// The verifier's model side: loads the target, resolves each request's context, evaluates context + drafts in
// one pass on the session's sequence, applies the acceptance rule and rolls rejected drafts out of the cache.
import type { LlamaContext, LlamaModel } from 'node-llama-cpp';
import { evaluateAfter, sharedLlama, truncateSequence, vocabularySizeOf } from '../llama.js';
import { ProtocolError, type VerifyRequest, type VerifyResponse } from '../protocol.js';
import { seededRandom } from '../rng.js';
import { acceptGreedy, acceptSampling } from './acceptance.js';
import { SequencePool } from '../sequence-pool.js';
import { SessionStore } from './session-store.js';

export interface VerifierOptions {
  modelPath: string;
  threads: number;
  /** Sequences evaluated together in one llama context (the batching width). */
  sequences: number;
  /** Tokens per sequence. */
  contextSize: number;
  /** Requests allowed to wait for a sequence before new ones get Overloaded. */
  maxWaiting: number;
  maxSessions: number;
}

export const DEFAULT_VERIFIER_OPTIONS: Omit<VerifierOptions, 'modelPath'> = {
  threads: 1,
  sequences: 4,
  contextSize: 2048,
  maxWaiting: 64,
  maxSessions: 1024,
};

export interface VerifyStats {
  evaluatedTokens: number;
  reusedTokens: number;
}

export class VerifierEngine {
  private constructor(
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly pool: SequencePool,
    readonly sessions: SessionStore,
    readonly options: VerifierOptions,
  ) {}

  static async load(options: VerifierOptions): Promise<VerifierEngine> {
    const llama = await sharedLlama();
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.sequences,
      threads: options.threads,
    });
    const sequences = Array.from({ length: options.sequences }, () => context.getSequence());
    const pool = new SequencePool(sequences, options.maxWaiting);
    const sessions = new SessionStore(options.maxSessions, options.maxSessions * 256);
    return new VerifierEngine(model, context, pool, sessions, options);
  }

  get vocabularySize(): number {
    return vocabularySizeOf(this.model);
  }

  /** Largest context a request may carry: drafts and the next token must still fit. */
  get maxContextTokens(): number {
    return this.options.contextSize - 1 - 64;
  }

  async verify(request: VerifyRequest, stats?: (s: VerifyStats) => void): Promise<VerifyResponse> {
    const context = this.resolveContext(request);
    if (context.length + request.draft.length >= this.options.contextSize) {
      throw new ProtocolError(
        'ContextTooLong',
        `context (${context.length}) + drafts (${request.draft.length}) exceed the verifier's ${this.options.contextSize} tokens`,
      );
    }
    const queuedAt = performance.now();
    const slot = await this.pool.acquire(request.sessionId);
    const startedAt = performance.now();
    try {
      const sampling = request.mode === 'sampling';
      const { outputs, reusedTokens, evaluatedTokens } = await evaluateAfter(
        slot.sequence,
        context,
        request.draft,
        sampling ? { kind: 'distribution', temperature: request.temperature as number } : { kind: 'greedy' },
      );
      const decision = sampling
        ? acceptSampling(
            request.draft,
            (request.draftDistributions ?? []).map((d) => new Map(d)),
            outputs.map((o) => o.distribution ?? new Map()),
            seededRandom(request.seed ?? Math.floor(Math.random() * 2 ** 32)),
          )
        : acceptGreedy(
            request.draft,
            outputs.map((o) => o.token as number),
          );
      const confirmed = [...context, ...request.draft.slice(0, decision.accepted)];
      await truncateSequence(slot.sequence, confirmed.length);
      this.sessions.set(request.sessionId, confirmed);
      stats?.({ evaluatedTokens, reusedTokens });
      const finishedAt = performance.now();
      return {
        sessionId: request.sessionId,
        accepted: decision.accepted,
        next: decision.next,
        confirmedLength: confirmed.length,
        timings: { queueMs: startedAt - queuedAt, computeMs: finishedAt - startedAt },
      };
    } catch (err) {
      // The sequence's state is unknown after a failure: drop the binding so the next request rebuilds it.
      await slot.sequence.clearHistory().catch(() => undefined);
      slot.sessionId = undefined;
      this.sessions.delete(request.sessionId);
      throw err;
    } finally {
      this.pool.release(slot);
    }
  }

  private resolveContext(request: VerifyRequest): number[] {
    if (request.context) return request.context;
    const delta = request.delta as { keep: number; append: number[] };
    const known = this.sessions.get(request.sessionId);
    if (!known) {
      throw new ProtocolError('SessionUnknown', `session ${request.sessionId} is not cached; send the full context`);
    }
    if (delta.keep > known.length) {
      throw new ProtocolError(
        'SessionUnknown',
        `delta keeps ${delta.keep} tokens but session ${request.sessionId} has ${known.length}; send the full context`,
      );
    }
    const context = [...known.slice(0, delta.keep), ...delta.append];
    if (context.length === 0) throw new ProtocolError('BadRequest', 'the resulting context is empty');
    if (context.length > this.maxContextTokens) {
      throw new ProtocolError('ContextTooLong', `context of ${context.length} tokens exceeds ${this.maxContextTokens}`);
    }
    return context;
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
