// Losslessness of the data plane on real llama.cpp: greedy output through drafter + verifier equals the target's
// own greedy output token for token, and speculative sampling reproduces the target's distribution.
import { jest } from '@jest/globals';
import type { Token } from 'node-llama-cpp';
import { buildTestModel, chainAcceptance, draftSpec } from '../../src/agent/gguf/bigram-model.js';
import { DraftEngine } from '../../src/agent/drafter/draft-engine.js';
import { generate } from '../../src/agent/drafter/speculative-loop.js';
import { VerifierClient } from '../../src/agent/drafter/verifier-client.js';
import { builtinPrompts } from '../../src/agent/prompts.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { TARGET, chiSquare, draftPath, referenceGreedy, targetPath } from './support.js';

jest.setTimeout(300_000);

const ACCEPTANCE = 0.6;
let verifier: RunningVerifier;
let drafter: DraftEngine;
let client: VerifierClient;

beforeAll(async () => {
  verifier = await startVerifier({ modelPath: targetPath(), threads: 1, sequences: 2 }, { defaultMetrics: false });
  drafter = await DraftEngine.load({
    modelPath: draftPath(ACCEPTANCE),
    threads: 1,
    sequences: 1,
    contextSize: 1024,
    maxWaiting: 4,
  });
  client = new VerifierClient(verifier.url);
});

afterAll(async () => {
  await client?.close();
  await drafter?.close();
  await verifier?.close();
});

describe('greedy speculative decoding', () => {
  const prompts = builtinPrompts(50, 5);
  const maxTokens = 20;

  it('equals the target model alone for 50 prompts and K ∈ {0, 1, 2, 4, 8}', async () => {
    let acceptedTotal = 0;
    let roundsTotal = 0;
    for (const prompt of prompts) {
      const promptTokens = drafter.tokenize(prompt);
      const reference = await referenceGreedy(verifier.engine.model, [1, ...promptTokens], maxTokens);
      for (const k of [0, 1, 2, 4, 8]) {
        const result = await generate(drafter, client, () => k, { promptTokens, maxTokens, temperature: 0 });
        expect({ prompt, k, tokens: result.tokens }).toEqual({ prompt, k, tokens: reference });
        acceptedTotal += result.rounds.reduce((sum, r) => sum + r.accepted, 0);
        roundsTotal += result.rounds.length;
      }
    }
    // Speculation really happened: far fewer rounds than tokens overall.
    expect(acceptedTotal).toBeGreaterThan(0);
    expect(roundsTotal).toBeLessThan(prompts.length * 5 * maxTokens);
  });
});

describe('speculative sampling', () => {
  it('matches the target distribution over the first two tokens (chi-square), which the draft alone does not', async () => {
    const target = buildTestModel(TARGET);
    const draft = buildTestModel(draftSpec(TARGET, ACCEPTANCE, { seed: 11 }));
    expect(Math.abs(chainAcceptance(target, draft) - ACCEPTANCE)).toBeLessThan(0.01);
    // Start from a state where the draft prefers another token, so rejections and residual sampling happen.
    const start = target.vocabulary.wordPieceIds.find((t) => target.greedySuccessor[t] !== draft.greedySuccessor[t]);
    const temperature = 1;
    const context = [1, start as number];

    // Exact target distribution of (t1, t2) from the target model's own probabilities.
    const ctx = await verifier.engine.model.createContext({ contextSize: 256, threads: 1 });
    const sequence = ctx.getSequence();
    const probs = async (tokens: number[]): Promise<Map<number, number>> => {
      await sequence.clearHistory();
      const options = { temperature, topK: 0, topP: 1, minP: 0 };
      const input = tokens.map((t, i) =>
        i === tokens.length - 1
          ? ([t as Token, { generateNext: { probabilities: true, options } }] as const)
          : (t as Token),
      );
      const out = await sequence.controlledEvaluate(input as Parameters<typeof sequence.controlledEvaluate>[0]);
      return out[tokens.length - 1]?.next.probabilities as Map<number, number>;
    };
    const expected = new Map<string, number>();
    for (const [t1, p1] of await probs(context)) {
      if (p1 < 1e-6) continue;
      for (const [t2, p2] of await probs([...context, t1])) expected.set(`${t1},${t2}`, p1 * p2);
    }
    await ctx.dispose();

    const samples = 1500;
    const observed = new Map<string, number>();
    for (let seed = 0; seed < samples; seed++) {
      const result = await generate(drafter, client, () => 3, {
        promptTokens: [start as number],
        maxTokens: 2,
        temperature,
        seed,
      });
      const key = result.tokens.join(',');
      observed.set(key, (observed.get(key) ?? 0) + 1);
    }
    const test = chiSquare(observed, expected, samples);
    expect(test.pValue).toBeGreaterThan(0.001);

    // Power check: the draft's own distribution, at the same sample size, is rejected decisively.
    const draftTable = draft.table;
    const softmax = (row: Float32Array): number[] => {
      const m = Math.max(...row);
      const e = [...row].map((x) => Math.exp((x - m) / temperature));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    };
    const q1 = softmax(draftTable[start as number] as Float32Array);
    const draftCounts = new Map<string, number>();
    q1.forEach((p1, t1) => {
      if (p1 < 1e-6) return;
      softmax(draftTable[t1] as Float32Array).forEach((p2, t2) => {
        if (p1 * p2 > 1e-6) draftCounts.set(`${t1},${t2}`, p1 * p2 * samples);
      });
    });
    expect(chiSquare(draftCounts, expected, samples).pValue).toBeLessThan(1e-6);
  });
});
