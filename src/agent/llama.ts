// One llama.cpp binding per process (node-llama-cpp loads the native addon once), and the one evaluation
// primitive both agents use: append tokens to a sequence and read the model's next-token choice (or
// distribution) after chosen positions.
import {
  getLlama,
  LlamaLogLevel,
  type ControlledEvaluateInputItem,
  type Llama,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;

export function sharedLlama(): Promise<Llama> {
  // CPU only: the data plane's test models are tiny and the build machines have no GPU.
  llamaPromise ??= getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  return llamaPromise;
}

export type NextRequest = { kind: 'greedy' } | { kind: 'distribution'; temperature: number };

export interface NextOutput {
  token?: number;
  distribution?: Map<number, number>;
}

/**
 * Makes the sequence's KV cache hold exactly `tokens` minus the last one, evaluating only what is not cached yet,
 * then evaluates the rest of `tokens` + `extra` in one pass. Returns outputs for the last context token and
 * every extra token (so `extra.length + 1` outputs).
 */
export async function evaluateAfter(
  sequence: LlamaContextSequence,
  tokens: readonly number[],
  extra: readonly number[],
  next: NextRequest,
): Promise<{ outputs: NextOutput[]; reusedTokens: number; evaluatedTokens: number }> {
  const { firstDifferentIndex } = sequence.compareContextTokens(tokens as Token[]);
  // The last context token is always re-evaluated: its logits are what we need.
  const keep = Math.min(firstDifferentIndex, tokens.length - 1);
  if (sequence.nextTokenIndex > keep) {
    await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  }
  const pending = [...tokens.slice(keep), ...extra];
  const firstOutput = tokens.length - 1 - keep;
  const generateNext =
    next.kind === 'greedy'
      ? { token: true }
      : { probabilities: true, options: { temperature: next.temperature, topK: 0, topP: 1, minP: 0 } };
  const input: ControlledEvaluateInputItem[] = pending.map((token, i) =>
    i >= firstOutput ? [token as Token, { generateNext }] : (token as Token),
  );
  const results = await sequence.controlledEvaluate(input);
  const outputs: NextOutput[] = [];
  for (let i = firstOutput; i < pending.length; i++) {
    const result = results[i]?.next;
    if (!result) throw new Error(`llama.cpp returned no output for position ${keep + i}`);
    outputs.push({
      token: result.token ?? undefined,
      distribution: result.probabilities as Map<number, number> | undefined,
    });
  }
  return { outputs, reusedTokens: keep, evaluatedTokens: pending.length };
}

/** Makes the sequence's cache hold all of `tokens`, evaluating only the uncached tail, without any output. */
export async function extendSequence(sequence: LlamaContextSequence, tokens: readonly number[]): Promise<void> {
  const { firstDifferentIndex } = sequence.compareContextTokens(tokens as Token[]);
  if (sequence.nextTokenIndex > firstDifferentIndex) {
    await sequence.eraseContextTokenRanges([{ start: firstDifferentIndex, end: sequence.nextTokenIndex }]);
  }
  const pending = tokens.slice(firstDifferentIndex) as Token[];
  if (pending.length > 0) await sequence.controlledEvaluate(pending);
}

/** Drops cached tokens from `length` on, e.g. rejected drafts. */
export async function truncateSequence(sequence: LlamaContextSequence, length: number): Promise<void> {
  if (sequence.nextTokenIndex > length) {
    await sequence.eraseContextTokenRanges([{ start: length, end: sequence.nextTokenIndex }]);
  }
}

export function vocabularySizeOf(model: LlamaModel): number {
  return model.fileInfo.metadata.tokenizer.ggml.tokens.length;
}
