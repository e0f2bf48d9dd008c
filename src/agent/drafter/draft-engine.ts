// The drafter's model side: the small model proposes K tokens after a context, greedily or by sampling at a
// temperature; in sampling mode it also returns the distribution each token was drawn from, which the
// verifier needs for the acceptance test.
import type { LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { evaluateAfter, extendSequence, sharedLlama, vocabularySizeOf } from '../llama.js';
import type { TokenDistribution } from '../protocol.js';
import type { Random } from '../rng.js';
import { SequencePool, type Slot } from '../sequence-pool.js';
import { sampleFrom } from '../verifier/acceptance.js';

/** Probabilities below this are dropped before sampling; the verifier gets exactly the distribution used. */
const MIN_PROBABILITY = 1e-9;

export interface DraftOptions {
  modelPath: string;
  threads: number;
  /** Concurrent generations the drafter serves (one sequence each). */
  sequences: number;
  contextSize: number;
  maxWaiting: number;
}

export type Sampling = { kind: 'greedy' } | { kind: 'sample'; temperature: number; random: Random };

export interface DraftResult {
  tokens: number[];
  distributions?: TokenDistribution[];
}

export class DraftEngine {
  /** Drafting and extension calls running now (each evaluates on a llama.cpp worker thread). */
  private computing = 0;
  private readonly computeListeners = new Set<(computing: boolean) => void>();

  private constructor(
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly pool: SequencePool,
    readonly options: DraftOptions,
  ) {}

  /**
   * Tells `listener` true when the engine starts computing and false when nothing is left to compute (the
   * verifier client holds its busy polling meanwhile); returns the unsubscribe function.
   */
  onComputing(listener: (computing: boolean) => void): () => void {
    this.computeListeners.add(listener);
    return () => void this.computeListeners.delete(listener);
  }

  private async compute<T>(work: () => Promise<T>): Promise<T> {
    if (this.computing++ === 0) for (const listener of this.computeListeners) listener(true);
    try {
      return await work();
    } finally {
      if (--this.computing === 0) for (const listener of this.computeListeners) listener(false);
    }
  }

  static async load(options: DraftOptions): Promise<DraftEngine> {
    const llama = await sharedLlama();
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.sequences,
      threads: options.threads,
    });
    const sequences = Array.from({ length: options.sequences }, () => context.getSequence());
    return new DraftEngine(model, context, new SequencePool(sequences, options.maxWaiting), options);
  }

  get vocabularySize(): number {
    return vocabularySizeOf(this.model);
  }

  get bosToken(): number | undefined {
    return this.model.tokens.bos ?? undefined;
  }

  get eosToken(): number | undefined {
    return this.model.tokens.eos ?? undefined;
  }

  tokenize(text: string): number[] {
    return this.model.tokenize(text, false) as number[];
  }

  detokenize(tokens: readonly number[]): string {
    return this.model.detokenize(tokens as Token[]);
  }

  /** Proposes k tokens after `context` on the slot's sequence (its cache is reused and realigned). */
  draft(slot: Slot, context: readonly number[], k: number, sampling: Sampling): Promise<DraftResult> {
    return this.compute(() => this.draftTokens(slot, context, k, sampling));
  }

  private async draftTokens(
    slot: Slot,
    context: readonly number[],
    k: number,
    sampling: Sampling,
  ): Promise<DraftResult> {
    const tokens: number[] = [];
    const distributions: TokenDistribution[] = [];
    for (let i = 0; i < k; i++) {
      const prefix = [...context, ...tokens];
      if (sampling.kind === 'greedy') {
        const { outputs } = await evaluateAfter(slot.sequence, prefix, [], { kind: 'greedy' });
        tokens.push(outputs[0]?.token as number);
        continue;
      }
      const { outputs } = await evaluateAfter(slot.sequence, prefix, [], {
        kind: 'distribution',
        temperature: sampling.temperature,
      });
      const kept = [...(outputs[0]?.distribution ?? new Map<number, number>())].filter(([, p]) => p >= MIN_PROBABILITY);
      const total = kept.reduce((sum, [, p]) => sum + p, 0);
      const distribution: TokenDistribution = kept.map(([token, p]) => [token, p / total]);
      tokens.push(sampleFrom(distribution, sampling.random));
      distributions.push(distribution);
    }
    return sampling.kind === 'greedy' ? { tokens } : { tokens, distributions };
  }

  /**
   * Evaluates the last drafted token into the cache. The loop runs this while the verifier works, so that when
   * all K drafts are accepted the next round starts from one new token, like every other round.
   */
  extend(slot: Slot, tokens: readonly number[]): Promise<void> {
    return this.compute(() => extendSequence(slot.sequence, tokens));
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
