import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  argmax,
  buildTestModel,
  chainAcceptance,
  draftSpec,
  targetSpec,
} from '../../../src/agent/gguf/bigram-model.js';
import { decodeTensor, encodeTensor, fromHalfBits, toHalfBits } from '../../../src/agent/gguf/encoding.js';
import { ensureTestModel } from '../../../src/agent/gguf/model-cache.js';
import { buildVocabulary } from '../../../src/agent/gguf/vocabulary.js';

describe('tensor encodings', () => {
  it('rounds to the nearest f16 value', () => {
    for (const value of [0, 1, -2.5, 0.1, 65504, 1e-6, -3.14159]) {
      const back = fromHalfBits(toHalfBits(value));
      expect(Math.abs(back - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -24);
    }
  });

  it('quantises Q8_0 blocks to within half a step of the block scale', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * (i < 32 ? 1 : 0.01));
    const decoded = decodeTensor('Q8_0', encodeTensor('Q8_0', values), values.length);
    expect(encodeTensor('Q8_0', values).length).toBe(2 * 34);
    values.forEach((value, i) => {
      const blockMax = i < 32 ? 1 : 0.01;
      expect(Math.abs((decoded[i] as number) - value)).toBeLessThanOrEqual((blockMax / 127) * 0.51 + 1e-6);
    });
  });

  it('rejects Q8_0 tensors that are not whole blocks', () => {
    expect(() => encodeTensor('Q8_0', new Float32Array(33))).toThrow(/multiple of 32/);
  });
});

describe('vocabulary', () => {
  it('has unique token strings, specials first, 256 byte tokens and word pieces', () => {
    const vocab = buildVocabulary(384);
    expect(new Set(vocab.tokens).size).toBe(384);
    expect(vocab.tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(vocab.tokens[258]).toBe('<0xFF>');
    expect(vocab.wordPieceIds.length).toBeGreaterThan(100);
  });
});

// Acceptance depends only on the logit tables, so most cases use a one-layer, narrow-MLP shape to stay fast.
const small = { layers: 1, feedForward: 32, heads: 6 };

describe('generated bigram models', () => {
  const target = buildTestModel(targetSpec({ shape: small }));

  it('writes a GGUF v3 header', () => {
    expect(target.gguf.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(target.gguf.readUInt32LE(4)).toBe(3);
  });

  it('is deterministic from its seed', () => {
    expect(buildTestModel(targetSpec({ shape: small })).gguf.equals(target.gguf)).toBe(true);
    expect(buildTestModel(targetSpec({ shape: small, chainSeed: 2 })).gguf.equals(target.gguf)).toBe(false);
  });

  it('makes the target a single cycle over the word pieces with a clear greedy choice', () => {
    const states = target.vocabulary.wordPieceIds;
    let token = states[0] as number;
    const seen = new Set<number>();
    for (let i = 0; i < states.length; i++) {
      seen.add(token);
      const row = target.table[token] as Float32Array;
      const best = argmax(row);
      const runnerUp = Math.max(...row.filter((_, v) => v !== best));
      expect((row[best] as number) - runnerUp).toBeGreaterThan(1.5);
      token = target.greedySuccessor[token] as number;
    }
    expect(seen.size).toBe(states.length);
    expect(token).toBe(states[0]);
  });

  it.each([0.3, 0.5, 0.7, 0.95])('gives a draft the acceptance it was asked for (%s)', (acceptance) => {
    for (const encoding of ['F16', 'Q8_0'] as const) {
      const encodedTarget = buildTestModel(targetSpec({ encoding, shape: small }));
      const draft = buildTestModel(
        draftSpec(targetSpec({ encoding, shape: small }), acceptance, { encoding, shape: small }),
      );
      const states = target.vocabulary.wordPieceIds.length;
      expect(Math.abs(chainAcceptance(encodedTarget, draft) - acceptance)).toBeLessThanOrEqual(0.5 / states);
    }
  });

  it('caches files by spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'configspec-models-'));
    try {
      const spec = draftSpec(targetSpec({ shape: small }), 0.6, { encoding: 'Q8_0', shape: small });
      const path = ensureTestModel(spec, dir);
      expect(ensureTestModel(spec, dir)).toBe(path);
      expect(readFileSync(path).equals(buildTestModel(spec).gguf)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
