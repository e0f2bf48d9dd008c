// Tiny llama-architecture models whose next-token distribution depends only on the last token, so that the
// draft/target acceptance rate is a property we set, not a surprise.
//
// How: embeddings are one-hot (vocabulary ≤ width), attention output and MLP down projections are zero, so the
// residual stream leaving the last layer is the one-hot embedding of the current token. The final RMS norm scales
// it by r = 1/sqrt(1/width + eps) and the output matrix then reads out one column: logits[v] = r · output[v][t].
// We write the bigram logit table L[t][v] into that matrix. The layers still hold random Q/K/V and gate/up
// weights, so evaluation costs what a real model of that shape costs.
//
// The target's table is a Markov chain: over the "▁word" pieces a single random cycle (the greedy successor),
// plus three weaker alternatives per state. A draft is a copy in which a chosen number of cycle states prefer an
// alternative instead, with small noise on every candidate logit, so greedy acceptance per state is exactly
// "does the draft's argmax equal the target's" and the rate along the cycle is the fraction of agreeing states.
import { gaussian, seededRandom, shuffled, type Random } from '../rng.js';
import { decodeTensor, encodeTensor, type TensorEncoding } from './encoding.js';
import { BOS_ID, EOS_ID, UNK_ID, buildVocabulary, type Vocabulary } from './vocabulary.js';
import { serializeGguf, type GgufTensor, type MetadataValue } from './writer.js';

export const RMS_EPSILON = 1e-5;
/** Logits of the greedy successor and the three alternatives in the target; everything else is far below. */
const SUCCESSOR_LOGIT = 6;
const ALTERNATIVE_LOGITS = [4, 3, 2] as const;
const BACKGROUND_LOGIT = -12;
const EOS_LOGIT = -16;
const DRAFT_NOISE = 0.25;

export interface ModelShape {
  layers: number;
  feedForward: number;
  heads: number;
}

export const TARGET_SHAPE: ModelShape = { layers: 4, feedForward: 1024, heads: 6 };
export const DRAFT_SHAPE: ModelShape = { layers: 1, feedForward: 512, heads: 6 };

export interface TestModelSpec {
  /** Seed of the Markov chain; a target and its drafts share it. */
  chainSeed: number;
  vocabSize: number;
  /** Model width; must be ≥ vocabSize (one-hot embeddings) and a multiple of 32 (Q8_0 blocks). */
  width: number;
  shape: ModelShape;
  encoding: Exclude<TensorEncoding, 'F32'>;
  contextLength: number;
  /** Absent for the target; for a draft, the greedy agreement rate over the chain's states and its own seed. */
  draft?: { acceptance: number; seed: number };
}

export const DEFAULT_VOCAB_SIZE = 384;
export const DEFAULT_WIDTH = 384;

export function targetSpec(options: Partial<Omit<TestModelSpec, 'draft'>> = {}): TestModelSpec {
  return {
    chainSeed: 1,
    vocabSize: DEFAULT_VOCAB_SIZE,
    width: DEFAULT_WIDTH,
    shape: TARGET_SHAPE,
    encoding: 'F16',
    contextLength: 2048,
    ...options,
  };
}

export function draftSpec(
  target: TestModelSpec,
  acceptance: number,
  options: Partial<Omit<TestModelSpec, 'draft' | 'chainSeed' | 'vocabSize' | 'width'>> & { seed?: number } = {},
): TestModelSpec {
  const { seed = 7, ...rest } = options;
  return {
    ...target,
    shape: DRAFT_SHAPE,
    ...rest,
    draft: { acceptance, seed },
  };
}

/** Bigram logit table, row t = logits of the token after t. */
export type LogitTable = Float32Array[];

interface Chain {
  successor: number[];
  alternatives: number[][];
}

function buildChain(vocab: Vocabulary, seed: number): Chain {
  const random = seededRandom(seed);
  const cycle = shuffled(vocab.wordPieceIds, random);
  const successor = new Array<number>(vocab.tokens.length);
  const pick = (exclude: number[]): number => {
    for (;;) {
      const id = vocab.wordPieceIds[Math.floor(random() * vocab.wordPieceIds.length)] as number;
      if (!exclude.includes(id)) return id;
    }
  };
  for (let t = 0; t < vocab.tokens.length; t++) successor[t] = pick([]);
  cycle.forEach((id, i) => (successor[id] = cycle[(i + 1) % cycle.length] as number));
  const alternatives = successor.map((next) => {
    const chosen: number[] = [next];
    for (let i = 0; i < ALTERNATIVE_LOGITS.length; i++) chosen.push(pick(chosen));
    return chosen.slice(1);
  });
  return { successor, alternatives };
}

function targetTable(vocab: Vocabulary, chain: Chain): LogitTable {
  return chain.successor.map((next, t) => {
    const row = new Float32Array(vocab.tokens.length).fill(BACKGROUND_LOGIT);
    row[EOS_ID] = EOS_LOGIT;
    row[next] = SUCCESSOR_LOGIT;
    (chain.alternatives[t] as number[]).forEach((alt, i) => (row[alt] = ALTERNATIVE_LOGITS[i] as number));
    return row;
  });
}

function draftTable(vocab: Vocabulary, chain: Chain, acceptance: number, seed: number): LogitTable {
  if (!(acceptance >= 0 && acceptance <= 1)) throw new Error(`draft acceptance must be in [0, 1], got ${acceptance}`);
  const random = seededRandom(seed);
  // Exactly round(acceptance · |cycle|) cycle states agree, so the rate along the cycle is as asked.
  const agreeing = new Set(
    shuffled(vocab.wordPieceIds, random).slice(0, Math.round(acceptance * vocab.wordPieceIds.length)),
  );
  return chain.successor.map((next, t) => {
    const alternatives = chain.alternatives[t] as number[];
    const agrees = vocab.wordPieceIds.includes(t) ? agreeing.has(t) : random() < acceptance;
    const row = new Float32Array(vocab.tokens.length).fill(BACKGROUND_LOGIT);
    row[EOS_ID] = EOS_LOGIT;
    const [first, ...rest] = agrees
      ? [next, ...alternatives]
      : [alternatives[0] as number, next, ...alternatives.slice(1)];
    const noise = (): number => Math.max(-2, Math.min(2, gaussian(random))) * DRAFT_NOISE;
    row[first as number] = SUCCESSOR_LOGIT + noise();
    rest.forEach((id, i) => (row[id] = (ALTERNATIVE_LOGITS[i] as number) + noise()));
    return row;
  });
}

/** Uniform weights: their distribution is irrelevant (their outputs are zeroed), only their cost matters. */
function randomTensor(random: Random, elements: number, scale: number): Float32Array {
  const values = new Float32Array(elements);
  for (let i = 0; i < elements; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}

export interface BuiltModel {
  gguf: Buffer;
  vocabulary: Vocabulary;
  /** The logit table as llama.cpp will read it back (after F16/Q8_0 rounding). */
  table: LogitTable;
  /** Greedy successor of each token, from `table`. */
  greedySuccessor: number[];
}

export function buildTestModel(spec: TestModelSpec): BuiltModel {
  const { vocabSize: vocabularySize, width, shape, encoding } = spec;
  if (vocabularySize > width) throw new Error(`width ${width} must be ≥ vocabulary size ${vocabularySize}`);
  if (width % 32 !== 0 || shape.feedForward % 32 !== 0)
    throw new Error('width and feedForward must be multiples of 32');
  if (width % shape.heads !== 0) throw new Error(`width ${width} is not divisible by ${shape.heads} heads`);
  const vocab = buildVocabulary(vocabularySize);
  const chain = buildChain(vocab, spec.chainSeed);
  const logits = spec.draft
    ? draftTable(vocab, chain, spec.draft.acceptance, spec.draft.seed)
    : targetTable(vocab, chain);
  const random = seededRandom((spec.draft?.seed ?? spec.chainSeed) * 7919 + shape.layers);

  const tensors: GgufTensor[] = [];
  const add = (name: string, dims: number[], values: Float32Array, tensorEncoding: TensorEncoding = encoding): void => {
    tensors.push({ name, dims, encoding: tensorEncoding, data: encodeTensor(tensorEncoding, values) });
  };
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

  const embedding = new Float32Array(width * vocabularySize);
  for (let t = 0; t < vocabularySize; t++) embedding[t * width + t] = 1;
  add('token_embd.weight', [width, vocabularySize], embedding);
  add('output_norm.weight', [width], ones(width), 'F32');
  const normScale = 1 / Math.sqrt(1 / width + RMS_EPSILON);
  const output = new Float32Array(width * vocabularySize);
  for (let t = 0; t < vocabularySize; t++) {
    const row = logits[t] as Float32Array;
    for (let v = 0; v < vocabularySize; v++) output[v * width + t] = (row[v] as number) / normScale;
  }
  add('output.weight', [width, vocabularySize], output);
  const outputTensor = tensors[tensors.length - 1] as GgufTensor;

  const init = 0.02;
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    add(`${blk}.attn_norm.weight`, [width], ones(width), 'F32');
    add(`${blk}.attn_q.weight`, [width, width], randomTensor(random, width * width, init));
    add(`${blk}.attn_k.weight`, [width, width], randomTensor(random, width * width, init));
    add(`${blk}.attn_v.weight`, [width, width], randomTensor(random, width * width, init));
    add(`${blk}.attn_output.weight`, [width, width], new Float32Array(width * width));
    add(`${blk}.ffn_norm.weight`, [width], ones(width), 'F32');
    add(`${blk}.ffn_gate.weight`, [width, shape.feedForward], randomTensor(random, width * shape.feedForward, init));
    add(`${blk}.ffn_up.weight`, [width, shape.feedForward], randomTensor(random, width * shape.feedForward, init));
    add(`${blk}.ffn_down.weight`, [shape.feedForward, width], new Float32Array(width * shape.feedForward));
  }

  const metadata = new Map<string, MetadataValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: spec.draft ? 'configspec-test-draft' : 'configspec-test-target' }],
    ['general.file_type', { type: 'u32', value: encoding === 'F16' ? 1 : 7 }],
    ['general.alignment', { type: 'u32', value: 32 }],
    ['llama.context_length', { type: 'u32', value: spec.contextLength }],
    ['llama.embedding_length', { type: 'u32', value: width }],
    ['llama.block_count', { type: 'u32', value: shape.layers }],
    ['llama.feed_forward_length', { type: 'u32', value: shape.feedForward }],
    ['llama.attention.head_count', { type: 'u32', value: shape.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: shape.heads }],
    ['llama.rope.dimension_count', { type: 'u32', value: width / shape.heads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: RMS_EPSILON }],
    ['llama.vocab_size', { type: 'u32', value: vocabularySize }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: BOS_ID }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: EOS_ID }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: UNK_ID }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ]);

  const decoded = decodeTensor(encoding, outputTensor.data, width * vocabularySize);
  const table: LogitTable = [];
  for (let t = 0; t < vocabularySize; t++) {
    const row = new Float32Array(vocabularySize);
    for (let v = 0; v < vocabularySize; v++) row[v] = (decoded[v * width + t] as number) * normScale;
    table.push(row);
  }
  return { gguf: serializeGguf(metadata, tensors), vocabulary: vocab, table, greedySuccessor: table.map(argmax) };
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

/**
 * Greedy acceptance rate a draft has against a target along the target's own chain: the fraction of cycle
 * states where both tables have the same argmax. With i.i.d.-looking agreement this is α and every
 * per-position conditional rate a_i.
 */
export function chainAcceptance(target: BuiltModel, draft: BuiltModel): number {
  const states = target.vocabulary.wordPieceIds;
  const agree = states.filter((t) => target.greedySuccessor[t] === draft.greedySuccessor[t]).length;
  return agree / states.length;
}
