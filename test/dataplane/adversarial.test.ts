// Hostile input to the drafter's OpenAI API and the verifier's /v1/verify: malformed, oversized and adversarial
// requests each get a 4xx with a JSON error (never a 5xx, a hang or a crash), and the servers still answer a valid
// request afterwards. Then a bounded soak: 10,000 requests (mostly hostile, some valid, many distinct verifier
// sessions) with the process RSS sampled after a warm-up and at the end; the growth must stay under a bound far
// below what a per-request leak would add (see SOAK_RSS_GROWTH_MB).
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startDrafter, type RunningDrafter } from '../../src/agent/drafter/run.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { draftPath, targetPath } from './support.js';

jest.setTimeout(600_000);

/** 10,000 requests; a leak of even 5 KB per request would add ~48 MiB. */
const SOAK_REQUESTS = Number(process.env.CONFIGSPEC_SOAK_REQUESTS ?? 10_000);
const SOAK_RSS_GROWTH_MB = 48;

let verifier: RunningVerifier;
let drafter: RunningDrafter;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'configspec-adv-'));
  writeFileSync(join(dir, 'k'), '3\n');
  verifier = await startVerifier({ modelPath: targetPath(), threads: 1, sequences: 2 }, { defaultMetrics: false });
  drafter = await startDrafter({
    modelPath: draftPath(0.8),
    verifierUrl: verifier.url,
    kFile: join(dir, 'k'),
    kPollMs: 1000,
    defaultMetrics: false,
    modelName: 'test-draft',
    log: () => undefined,
  });
});

afterAll(async () => {
  await drafter?.close();
  await verifier?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** A raw HTTP request (fetch would refuse some of these), resolving to the status and body. */
function send(base: string, req: Raw): Promise<{ status: number; body: string }> {
  const url = new URL(req.path, base);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      url,
      {
        method: req.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...(req.headers ?? {}) },
        agent: keepAlive,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.setTimeout(30_000, () => r.destroy(new Error(`no answer in 30 s to ${req.method ?? 'POST'} ${req.path}`)));
    r.end(req.body);
  });
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

/** A full garbage collection (the gc function exposed at run time: Jest is not started with --expose-gc). */
const fullGc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const completions = (body: unknown): Raw => ({ path: '/v1/completions', body: JSON.stringify(body) });
const chat = (body: unknown): Raw => ({ path: '/v1/chat/completions', body: JSON.stringify(body) });
const verify = (body: unknown): Raw => ({ path: '/v1/verify', body: JSON.stringify(body) });

const DRAFTER_CASES: [string, Raw][] = [
  ['not JSON', { path: '/v1/completions', body: '{"prompt": "the' }],
  ['empty body', { path: '/v1/completions', body: '' }],
  ['JSON array body', { path: '/v1/completions', body: '[1,2,3]' }],
  ['JSON string body', { path: '/v1/completions', body: '"the"' }],
  ['deeply nested JSON', { path: '/v1/completions', body: `{"prompt": ${nested(5000)}}` }],
  ['body over 1 MiB', { path: '/v1/completions', body: JSON.stringify({ prompt: 'a'.repeat(2 * 1024 * 1024) }) }],
  ['invalid UTF-8', { path: '/v1/completions', body: Buffer.from([0x7b, 0x22, 0x70, 0xff, 0xfe, 0x22, 0x7d]) }],
  ['prompt missing', completions({ model: 'test-draft', max_tokens: 4 })],
  ['prompt a number', completions({ prompt: 42 })],
  ['prompt an object', completions({ prompt: { toString: 'x' } })],
  ['prompt list of several', completions({ prompt: ['a', 'b'] })],
  ['prompt of token ids out of range', completions({ prompt: [[-1, 1e12]] })],
  ['prompt too long', completions({ prompt: 'the '.repeat(200_000) })],
  ['max_tokens 0', completions({ prompt: 'the', max_tokens: 0 })],
  ['max_tokens negative', completions({ prompt: 'the', max_tokens: -5 })],
  ['max_tokens huge', completions({ prompt: 'the', max_tokens: 1e9 })],
  ['max_tokens fractional', completions({ prompt: 'the', max_tokens: 2.5 })],
  ['max_tokens a string', completions({ prompt: 'the', max_tokens: '4' })],
  ['temperature negative', completions({ prompt: 'the', temperature: -1 })],
  ['temperature huge', completions({ prompt: 'the', temperature: 1e308 })],
  ['temperature a string', completions({ prompt: 'the', temperature: 'hot' })],
  ['top_p out of range', completions({ prompt: 'the', top_p: 7 })],
  ['too many stop strings', completions({ prompt: 'the', stop: ['a', 'b', 'c', 'd', 'e'] })],
  ['empty stop string', completions({ prompt: 'the', stop: [''] })],
  ['huge stop string', completions({ prompt: 'the', stop: ['x'.repeat(10_000)] })],
  ['stop of wrong type', completions({ prompt: 'the', stop: [1, 2] })],
  ['n > 1', completions({ prompt: 'the', n: 50 })],
  ['seed not an integer', completions({ prompt: 'the', temperature: 1, seed: 'abc' })],
  ['chat without messages', chat({ model: 'test-draft' })],
  ['chat with empty messages', chat({ messages: [] })],
  ['chat message without content', chat({ messages: [{ role: 'user' }] })],
  ['chat message with unknown role', chat({ messages: [{ role: 'root', content: 'hi' }] })],
  ['chat content a number', chat({ messages: [{ role: 'user', content: 5 }] })],
  [
    'chat with 10,000 messages',
    chat({ messages: Array.from({ length: 10_000 }, () => ({ role: 'user', content: 'x' })) }),
  ],
  ['GET on a POST endpoint', { method: 'GET', path: '/v1/completions' }],
  ['unknown path', { method: 'GET', path: '/v1/../../etc/passwd' }],
  ['text/plain body', { path: '/v1/completions', body: 'prompt=the', headers: { 'content-type': 'text/plain' } }],
];

const VERIFIER_CASES: [string, Raw][] = [
  ['not JSON', { path: '/v1/verify', body: '{"sessionId":' }],
  ['empty body', { path: '/v1/verify', body: '' }],
  ['deeply nested JSON', { path: '/v1/verify', body: `{"context": ${nested(5000)}}` }],
  ['body over the limit', verify({ sessionId: 's', context: new Array(600_000).fill(1), draft: [] })],
  ['no sessionId', verify({ context: [1], draft: [] })],
  ['sessionId a number', verify({ sessionId: 7, context: [1], draft: [] })],
  ['sessionId 100 KB', verify({ sessionId: 's'.repeat(100_000), context: [1], draft: [] })],
  ['context and delta both', verify({ sessionId: 's', context: [1], delta: { keep: 0, append: [] }, draft: [] })],
  ['token id out of vocabulary', verify({ sessionId: 's', context: [1], draft: [99_999] })],
  ['negative token id', verify({ sessionId: 's', context: [-1], draft: [] })],
  ['fractional token id', verify({ sessionId: 's', context: [1.5], draft: [] })],
  ['token id a string', verify({ sessionId: 's', context: ['1'], draft: [] })],
  ['draft too long', verify({ sessionId: 's', context: [1], draft: new Array(5000).fill(5) })],
  ['unknown field', verify({ sessionId: 's', context: [1], draft: [], extra: 1 })],
  [
    'sampling without distributions',
    verify({ sessionId: 's', context: [1], draft: [5], mode: 'sampling', temperature: 1 }),
  ],
  ['delta for an unknown session', verify({ sessionId: 'never', delta: { keep: 3, append: [] }, draft: [] })],
  ['delta keep negative', verify({ sessionId: 's', delta: { keep: -3, append: [] }, draft: [] })],
  ['GET on /v1/verify', { method: 'GET', path: '/v1/verify' }],
];

function expectClientError(name: string, res: { status: number; body: string }) {
  if (res.status < 400 || res.status > 499) {
    throw new Error(`${name}: expected a 4xx, got ${res.status}: ${res.body.slice(0, 300)}`);
  }
}

describe('hostile requests to the drafter', () => {
  it.each(DRAFTER_CASES)('%s gets a 4xx', async (name, req) => {
    expectClientError(name, await send(drafter.url, req));
  });

  it('ignores a __proto__ key (no prototype pollution: the default max_tokens of 16 holds)', async () => {
    const res = await send(drafter.url, {
      path: '/v1/completions',
      body: '{"prompt":"the","temperature":0,"__proto__":{"max_tokens":4000,"polluted":true}}',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).usage.completion_tokens).toBeLessThanOrEqual(16);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still answers a valid request afterwards', async () => {
    const res = await send(drafter.url, completions({ prompt: 'the', max_tokens: 3, temperature: 0 }));
    expect(res.status).toBe(200);
  });
});

describe('hostile requests to the verifier', () => {
  it.each(VERIFIER_CASES)('%s gets a 4xx', async (name, req) => {
    const res = await send(verifier.url, req);
    expectClientError(name, res);
    if (req.method !== 'GET') expect(() => JSON.parse(res.body)).not.toThrow();
  });

  it('still answers a valid request afterwards', async () => {
    const res = await send(verifier.url, verify({ sessionId: 'ok', context: [1, 300], draft: [] }));
    expect(res.status).toBe(200);
  });
});

describe('soak', () => {
  it(`${SOAK_REQUESTS} requests, mostly hostile: every answer as expected, RSS stable`, async () => {
    const hostile = [
      ...DRAFTER_CASES.filter(([name]) => !/over 1 MiB|too long|10,000 messages|nested/.test(name)).map(
        ([, r]) => [drafter.url, r] as const,
      ),
      ...VERIFIER_CASES.filter(([name]) => !/over the limit|100 KB|nested/.test(name)).map(
        ([, r]) => [verifier.url, r] as const,
      ),
    ];
    const big = [
      ...DRAFTER_CASES.filter(([name]) => /over 1 MiB|too long|nested/.test(name)).map(
        ([, r]) => [drafter.url, r] as const,
      ),
      ...VERIFIER_CASES.filter(([name]) => /over the limit|100 KB/.test(name)).map(
        ([, r]) => [verifier.url, r] as const,
      ),
    ];
    // RSS after a full collection: what the process retains, not how much garbage V8 let pile up before its next
    // major GC (which depends on what ran before in the same Jest process, e.g. the profiler suite).
    const rss = () => {
      fullGc();
      return Math.round(process.memoryUsage().rss / (1024 * 1024));
    };
    let afterWarmup = 0;
    const samples: number[] = [];
    const counts = { hostile: 0, big: 0, validDrafter: 0, validVerifier: 0 };
    const one = async (i: number) => {
      if (i % 50 === 0) {
        counts.validDrafter += 1;
        const res = await send(drafter.url, completions({ prompt: `the ${i % 7}`, max_tokens: 2, temperature: 0 }));
        if (res.status !== 200) throw new Error(`valid completion ${i}: ${res.status} ${res.body}`);
      } else if (i % 10 === 0) {
        // A fresh session each time: the session store must evict, not grow.
        counts.validVerifier += 1;
        const res = await send(
          verifier.url,
          verify({ sessionId: `soak-${i}`, context: [1, 300 + (i % 50)], draft: [] }),
        );
        if (res.status !== 200) throw new Error(`valid verify ${i}: ${res.status} ${res.body}`);
      } else if (i % 97 === 0) {
        counts.big += 1;
        const [url, req] = big[i % big.length]!;
        expectClientError(`big request ${i}`, await send(url, req));
      } else {
        counts.hostile += 1;
        const [url, req] = hostile[i % hostile.length]!;
        expectClientError(`hostile request ${i}`, await send(url, req));
      }
    };
    const started = Date.now();
    const concurrency = 8;
    for (let i = 0; i < SOAK_REQUESTS; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, SOAK_REQUESTS - i) }, (_, j) => one(i + j)));
      if (i % 1000 === 0) samples.push(rss());
      if (i === 2000) afterWarmup = rss();
    }
    const end = rss();
    samples.push(end);
    console.log(
      `soak: ${SOAK_REQUESTS} requests in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${JSON.stringify(counts)}); RSS MiB after warm-up ${afterWarmup}, at end ${end}, ` +
        `samples every 1,000: ${samples.join(' ')}`,
    );
    expect(end - afterWarmup).toBeLessThan(SOAK_RSS_GROWTH_MB);
    expect((await send(drafter.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await send(verifier.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});
