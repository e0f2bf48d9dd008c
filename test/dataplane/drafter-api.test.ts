// The drafter's OpenAI-compatible API through the official `openai` client, K hot reload from the watched file,
// and behaviour when the verifier goes away and comes back. Also the verifier's answers to malformed requests.
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startDrafter, type RunningDrafter } from '../../src/agent/drafter/run.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { draftPath, referenceGreedy, targetPath } from './support.js';

jest.setTimeout(120_000);

let verifier: RunningVerifier;
let drafter: RunningDrafter;
let openai: OpenAI;
let dir: string;
let kFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'configspec-k-'));
  kFile = join(dir, 'k');
  writeFileSync(kFile, '4\n');
  verifier = await startVerifier({ modelPath: targetPath(), threads: 1, sequences: 2 }, { defaultMetrics: false });
  drafter = await startDrafter({
    modelPath: draftPath(0.8),
    verifierUrl: verifier.url,
    kFile,
    kPollMs: 50,
    defaultMetrics: false,
    modelName: 'test-draft',
    log: () => undefined,
  });
  openai = new OpenAI({ baseURL: `${drafter.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await drafter?.close();
  await verifier?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function expectedText(prompt: string, count: number): Promise<string> {
  const tokens = await referenceGreedy(verifier.engine.model, [1, ...drafter.engine.tokenize(prompt)], count);
  return drafter.engine.detokenize(tokens);
}

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await drafter.metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OpenAI-compatible API (official client)', () => {
  const prompt = 'the people who came home';

  it('lists the model', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['test-draft']);
  });

  it('serves completions equal to the target greedy output', async () => {
    const completion = await openai.completions.create({ model: 'test-draft', prompt, max_tokens: 12, temperature: 0 });
    expect(completion.choices[0]?.text).toBe(await expectedText(prompt, 12));
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(12);
  });

  it('streams completions whose concatenation is the same text', async () => {
    const stream = await openai.completions.create({
      model: 'test-draft',
      prompt,
      max_tokens: 12,
      temperature: 0,
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text).toBe(await expectedText(prompt, 12));
  });

  it('cuts at a stop string and reports finish_reason stop', async () => {
    const full = await expectedText(prompt, 12);
    const stop = full.split(' ').filter(Boolean)[3] as string;
    const completion = await openai.completions.create({
      model: 'test-draft',
      prompt,
      max_tokens: 12,
      temperature: 0,
      stop,
    });
    expect(completion.choices[0]?.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('serves chat completions, streaming and not', async () => {
    const messages = [{ role: 'user' as const, content: 'tell me about the water' }];
    const chat = await openai.chat.completions.create({
      model: 'test-draft',
      messages,
      max_tokens: 10,
      temperature: 0,
    });
    const content = chat.choices[0]?.message.content ?? '';
    expect(content.length).toBeGreaterThan(0);
    expect(chat.choices[0]?.message.role).toBe('assistant');
    const stream = await openai.chat.completions.create({
      model: 'test-draft',
      messages,
      max_tokens: 10,
      temperature: 0,
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(content);
  });

  it('samples at temperature > 0, reproducibly for a given seed', async () => {
    const ask = () =>
      openai.completions.create({ model: 'test-draft', prompt, max_tokens: 16, temperature: 1.5, seed: 9 });
    const [a, b] = [await ask(), await ask()];
    expect(a.choices[0]?.text).toBe(b.choices[0]?.text);
    expect(a.choices[0]?.text.length).toBeGreaterThan(0);
  });

  it('rejects malformed requests with a 400 and a message', async () => {
    await expect(openai.completions.create({ model: 'x', prompt, max_tokens: 0 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('max_tokens'),
    });
  });
});

describe('K from the watched file', () => {
  it('applies a new K on the next round without a restart, and ignores invalid content', async () => {
    const roundsBefore = await metricValue('configspec_drafter_rounds_total');
    writeFileSync(kFile, '0\n');
    await waitFor(() => drafter.k.current() === 0);
    await openai.completions.create({ model: 'test-draft', prompt: 'the water', max_tokens: 8, temperature: 0 });
    // K = 0: one verified token per round.
    expect((await metricValue('configspec_drafter_rounds_total')) - roundsBefore).toBe(8);

    const position6Before = await metricValue('configspec_drafter_drafted_tokens_total', { position: '6' });
    writeFileSync(kFile, '8');
    await waitFor(() => drafter.k.current() === 8);
    await openai.completions.create({ model: 'test-draft', prompt: 'the water', max_tokens: 24, temperature: 0 });
    expect(await metricValue('configspec_drafter_drafted_tokens_total', { position: '6' })).toBeGreaterThan(
      position6Before,
    );

    writeFileSync(kFile, 'banana');
    await new Promise((r) => setTimeout(r, 300));
    expect(drafter.k.current()).toBe(8);
  });
});

describe('verifier outage', () => {
  it('answers 503 with a clear message while the verifier is down and recovers when it returns', async () => {
    const port = verifier.port;
    await verifier.close(false);
    await expect(
      openai.completions.create({ model: 'test-draft', prompt: 'the', max_tokens: 4, temperature: 0 }),
    ).rejects.toMatchObject({ status: 503, message: expect.stringContaining('unreachable') });
    const engine = verifier.engine;
    verifier = await startVerifier({ modelPath: targetPath() }, { port, engine, defaultMetrics: false });
    const completion = await openai.completions.create({
      model: 'test-draft',
      prompt: 'the',
      max_tokens: 4,
      temperature: 0,
    });
    expect(completion.choices[0]?.text).toBe(await expectedText('the', 4));
  });
});

describe('verifier protocol errors', () => {
  const post = async (body: string) => {
    const res = await fetch(`${verifier.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };

  it.each([
    ['{not json', 400, 'not valid JSON'],
    [JSON.stringify({ sessionId: 's', context: [1], draft: [99999] }), 400, 'draft[0]'],
    [JSON.stringify({ sessionId: 's', draft: [] }), 400, 'exactly one of context and delta'],
    [JSON.stringify({ sessionId: 's', context: [1], draft: [], extra: 1 }), 400, 'unknown field'],
    [
      JSON.stringify({ sessionId: 's', context: [1], draft: [5], mode: 'sampling', temperature: 1 }),
      400,
      'draftDistributions',
    ],
    [
      JSON.stringify({ sessionId: 'never-seen', delta: { keep: 3, append: [] }, draft: [] }),
      409,
      'send the full context',
    ],
    [JSON.stringify({ sessionId: 's', context: new Array(600_000).fill(1), draft: [] }), 413, 'too large'],
  ])('malformed request %# gets its 4xx', async (body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.body.error?.message).toContain(message);
  });

  it('verifies greedily and reuses the session prefix for a delta', async () => {
    const first = await post(JSON.stringify({ sessionId: 'p', context: [1, 300, 301], draft: [] }));
    expect(first.status).toBe(200);
    const next = (first.body as unknown as { next: number; confirmedLength: number }).next;
    const second = await post(JSON.stringify({ sessionId: 'p', delta: { keep: 3, append: [next] }, draft: [] }));
    expect(second.status).toBe(200);
    expect((second.body as unknown as { confirmedLength: number }).confirmedLength).toBe(4);
    const metrics = await (await fetch(`${verifier.url}/metrics`)).text();
    expect(metrics).toMatch(/configspec_verifier_reused_prefix_tokens_total [1-9]/);
  });
});

describe('verifier concurrency', () => {
  /** The fields of a /v1/verify answer (or its error body) these tests read. */
  interface VerifyAnswer {
    accepted?: number;
    next?: number;
    error?: { code: string };
  }
  const verify = (url: string, sessionId: string, context: number[], draft: number[]) =>
    fetch(`${url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId, context, draft }),
    }).then(async (res) => ({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as VerifyAnswer,
    }));

  it('answers concurrent sessions (batched on its sequences) exactly as it answers them one by one', async () => {
    const contexts = Array.from({ length: 6 }, (_, i) => [1, 300 + i, 310 + i]);
    const drafts = contexts.map((_, i) => [260 + i, 270 + i]);
    const alone = [];
    for (const [i, context] of contexts.entries())
      alone.push(await verify(verifier.url, `alone-${i}`, context, drafts[i]!));
    const together = await Promise.all(contexts.map((c, i) => verify(verifier.url, `together-${i}`, c, drafts[i]!)));
    expect(together.map((r) => r.status)).toEqual(contexts.map(() => 200));
    expect(together.map((r) => [r.body.accepted, r.body.next])).toEqual(
      alone.map((r) => [r.body.accepted, r.body.next]),
    );
  });

  it('sheds load with 503 Overloaded and Retry-After once its wait queue is full', async () => {
    const small = await startVerifier(
      { modelPath: targetPath(), threads: 1, sequences: 1, maxWaiting: 1 },
      { defaultMetrics: false },
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => verify(small.url, `load-${i}`, [1, 300, 301, 302], [303, 304, 305, 306])),
      );
      const overloaded = answers.filter((a) => a.status === 503);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(overloaded[0]?.body.error?.code).toBe('Overloaded');
      expect(overloaded[0]?.retryAfter).toBe('1');
    } finally {
      await small.close();
    }
  });
});
