// Data-plane benchmark: for K ∈ {0, 1, 2, 4, 8}, the measured goodput of drafter + verifier on loopback, the
// goodput the cost model predicts from the profiler's own measurements, the protocol overhead per round (round
// time outside model compute) and the speedup over K = 0. Prints a table; asserts nothing.
//
//   npm run build && node dist/bench/dataplane.js [--acceptance 0.8] [--prompts 16] [--tokens 64]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { estimate, type CandidateInputs } from '../src/costmodel/index.js';
import { DraftEngine } from '../src/agent/drafter/draft-engine.js';
import { generate } from '../src/agent/drafter/speculative-loop.js';
import { VerifierClient } from '../src/agent/drafter/verifier-client.js';
import { buildTestModel, chainAcceptance, draftSpec, targetSpec } from '../src/agent/gguf/bigram-model.js';
import { ensureTestModel } from '../src/agent/gguf/model-cache.js';
import { runProfile } from '../src/agent/profiler/profile.js';
import { builtinPrompts } from '../src/agent/prompts.js';

const { values } = parseArgs({
  options: {
    acceptance: { type: 'string', default: '0.8' },
    prompts: { type: 'string', default: '16' },
    tokens: { type: 'string', default: '64' },
    encoding: { type: 'string', default: 'F16' },
  },
});
const acceptance = Number(values.acceptance);
const promptCount = Number(values.prompts);
const maxTokens = Number(values.tokens);
const encoding = values.encoding === 'Q8_0' ? 'Q8_0' : 'F16';
const K_VALUES = [0, 1, 2, 4, 8];
const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

const target = targetSpec({ chainSeed: 5, encoding });
const draft = draftSpec(target, acceptance, { encoding, seed: 17 });
const intended = chainAcceptance(buildTestModel(target), buildTestModel(draft));
const draftPath = ensureTestModel(draft);

// The verifier runs as its own process (`configspec verify`), as it would on its own machine: its HTTP and JSON
// work does not share the drafter's event loop.
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const address = probe.address();
    probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
  });
});
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const child = spawn(
  process.execPath,
  [
    cli,
    'verify',
    '--model',
    ensureTestModel(target),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--threads',
    '1',
    '--sequences',
    '1',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const verifier = { url: `http://127.0.0.1:${port}` };
for (let ready = false; !ready;) {
  await new Promise((r) => setTimeout(r, 200));
  ready = await fetch(`${verifier.url}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (child.exitCode !== null) throw new Error('the verifier process exited');
}

// The profile is taken before and after the measurement and the two are averaged: on a shared machine the load
// drifts, and the mean of the two brackets what the measurement saw. The cost model sees only these profiles.
const profileOnce = (label: string) => {
  log(`profiling (${label})`);
  return runProfile({
    draftModelPath: draftPath,
    verifierUrl: verifier.url,
    prompts: builtinPrompts(32, 99),
    draftKs: [1, 2, 4, 8],
    repetitions: 12,
    acceptanceK: 8,
    maxTokens: 48,
    verifyKs: K_VALUES,
    verifyPromptsPerK: 4,
    rttSamples: 50,
    temperature: 0,
    threads: 1,
    idleWindowMs: 10,
    estimatedWatts: { idle: 3, max: 8 },
  });
};
const before = await profileOnce('before the measurement');

function inputsFrom(profiles: Array<Awaited<ReturnType<typeof runProfile>>>): CandidateInputs {
  const mean = (pick: (p: (typeof profiles)[number]) => number | undefined): number =>
    profiles.reduce((sum, p) => sum + (pick(p) ?? 0), 0) / profiles.length;
  const positions = Math.max(...profiles.map((p) => p.alignmentProfile.perPosition?.length ?? 0));
  return {
    draft: 'bench-draft',
    quantization: encoding,
    draftInterceptSeconds: mean((p) => p.draftProfile.draftSecondsIntercept),
    draftSecondsPerToken: mean((p) => p.draftProfile.draftSecondsPerToken),
    acceptanceRate: mean((p) => p.alignmentProfile.acceptanceRate),
    perPositionAcceptance: Array.from({ length: positions }, (_, i) =>
      mean((p) => p.alignmentProfile.perPosition?.[i]),
    ),
    verifyInterceptSeconds: mean((p) => p.alignmentProfile.verifySecondsIntercept),
    verifySecondsPerToken: mean((p) => p.alignmentProfile.verifySecondsPerToken),
    rttSeconds: mean((p) => p.draftProfile.rttSeconds),
    draftingWatts: mean((p) => p.draftProfile.powerDraftingWatts),
    waitingWatts: mean((p) => p.draftProfile.powerIdleWatts),
    verifierUsdPerSecond: 0,
    usdPerProcessedToken: 0,
    requiredMemoryBytes: 0,
    availableMemoryBytes: 1,
    basis: {
      draftSpeed: 'Measured',
      acceptance: 'Measured',
      power: 'Prior',
      network: 'Measured',
      verification: 'Measured',
    },
  };
}

const engine = await DraftEngine.load({
  modelPath: draftPath,
  threads: 1,
  sequences: 1,
  contextSize: 2048,
  maxWaiting: 1,
});
const client = new VerifierClient(verifier.url);
const prompts = builtinPrompts(promptCount, 2024).map((p) => engine.tokenize(p));
interface Row {
  k: number;
  measured: number;
  /** Mean tokens per round over the median round time: goodput without the tail of preempted rounds. */
  typical: number;
  predicted: number;
  /** Medians over full-K rounds, next to the cost model's components. */
  draftMs: number;
  predictedDraftMs: number;
  tripMs: number;
  predictedTripMs: number;
  /** Median of (verification round trip − verifier time): HTTP, JSON and loopback per round. */
  protocolMedianMs: number;
  overheadMs: number;
  rounds: number;
  tokensPerRound: number;
}
// K values are interleaved prompt by prompt, so drift in machine load spreads over all of them alike.
const loadBefore = loadavg()[0] as number;
interface Totals {
  tokens: number;
  wallMs: number;
  rounds: number;
  draftMs: number;
  verifierMs: number;
  roundMs: number[];
  draftRoundMs: number[];
  tripMs: number[];
  protocolMs: number[];
}
const totals = new Map<number, Totals>(
  K_VALUES.map((k) => [
    k,
    {
      tokens: 0,
      wallMs: 0,
      rounds: 0,
      draftMs: 0,
      verifierMs: 0,
      roundMs: [],
      draftRoundMs: [],
      tripMs: [],
      protocolMs: [],
    },
  ]),
);
for (const [i, promptTokens] of prompts.entries()) {
  if (i % 4 === 0) log(`measuring prompt ${i + 1}/${prompts.length}`);
  for (const k of K_VALUES) {
    const result = await generate(engine, client, () => k, { promptTokens, maxTokens, temperature: 0 });
    const t = totals.get(k) as Totals;
    t.tokens += result.tokens.length;
    t.wallMs += result.wallMs;
    t.rounds += result.rounds.length;
    for (const r of result.rounds) {
      t.draftMs += r.draftMs;
      t.verifierMs += r.verifierComputeMs + r.verifierQueueMs;
      t.roundMs.push(r.draftMs + r.roundTripMs);
      t.protocolMs.push(r.roundTripMs - r.verifierComputeMs - r.verifierQueueMs);
      if (r.k === k) {
        t.draftRoundMs.push(r.draftMs);
        t.tripMs.push(r.roundTripMs);
      }
    }
  }
}
const loadAfter = loadavg()[0] as number;
await engine.close();
const after = await profileOnce('after the measurement');
const inputs = inputsFrom([before, after]);
const rows: Row[] = K_VALUES.map((k) => {
  const t = totals.get(k) as Totals;
  const med = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
  const medianRoundMs = med(t.roundMs);
  const predictedRound = estimate(inputs, k, { accounting: 'Full', paperVerifySeconds: 0.5 });
  return {
    k,
    measured: t.tokens / (t.wallMs / 1000),
    typical: t.tokens / t.rounds / (medianRoundMs / 1000),
    predicted: predictedRound.goodputTokensPerSecond,
    draftMs: med(t.draftRoundMs),
    predictedDraftMs: predictedRound.draftSeconds * 1000,
    tripMs: med(t.tripMs),
    predictedTripMs: (inputs.rttSeconds + predictedRound.verifySeconds) * 1000,
    protocolMedianMs: med(t.protocolMs),
    overheadMs: (t.wallMs - t.draftMs - t.verifierMs) / t.rounds,
    rounds: t.rounds,
    tokensPerRound: t.tokens / t.rounds,
  };
});
await client.close();
child.kill('SIGTERM');

const base = rows[0]?.measured ?? 1;
const pad = (s: string, n: number): string => s.padStart(n);
const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const out: string[] = [];
out.push(
  `target ${encoding} 4×1024, draft ${encoding} 1×512, built acceptance ${fmt(intended, 3)}; ${promptCount} prompts × ${maxTokens} tokens, threads 1, loopback HTTP`,
);
out.push(
  `profile (mean of before/after): t_draft = ${fmt(inputs.draftInterceptSeconds * 1000, 3)} ms + ${fmt(inputs.draftSecondsPerToken * 1000, 3)} ms·K; ` +
    `T_v = ${fmt(inputs.verifyInterceptSeconds * 1000, 3)} ms + ${fmt(inputs.verifySecondsPerToken * 1000, 3)} ms·(K+1); ` +
    `RTT ${fmt(inputs.rttSeconds * 1000, 3)} ms; α ${fmt(inputs.acceptanceRate, 3)}; a_i ${(inputs.perPositionAcceptance ?? []).map((x) => fmt(x, 2)).join(' ')}`,
);
out.push(`1-minute load average ${fmt(loadBefore, 2)} before, ${fmt(loadAfter, 2)} after (machine has 2 cores)`);
out.push('');
out.push(
  `${pad('K', 2)} ${pad('measured tok/s', 15)} ${pad('typical tok/s', 14)} ${pad('predicted tok/s', 16)} ${pad('err vs meas.', 13)} ${pad('err vs typ.', 12)} ${pad('overhead ms/round', 18)} ${pad('tok/round', 10)} ${pad('speedup', 8)}`,
);
const pct = (p: number, m: number): string => `${fmt((100 * (p - m)) / m)}%`;
for (const r of rows) {
  out.push(
    `${pad(String(r.k), 2)} ${pad(fmt(r.measured), 15)} ${pad(fmt(r.typical), 14)} ${pad(fmt(r.predicted), 16)} ${pad(pct(r.predicted, r.measured), 13)} ${pad(pct(r.predicted, r.typical), 12)} ${pad(fmt(r.overheadMs, 3), 18)} ${pad(fmt(r.tokensPerRound, 2), 10)} ${pad(`${fmt(r.measured / base, 2)}×`, 8)}`,
  );
}
out.push('');
out.push(
  `${pad('K', 2)} ${pad('draft ms (meas/pred)', 21)} ${pad('verify round trip ms (meas/pred)', 33)} ${pad('protocol ms/round (median)', 27)}`,
);
for (const r of rows) {
  out.push(
    `${pad(String(r.k), 2)} ${pad(`${fmt(r.draftMs, 2)} / ${fmt(r.predictedDraftMs, 2)}`, 21)} ${pad(`${fmt(r.tripMs, 2)} / ${fmt(r.predictedTripMs, 2)}`, 33)} ${pad(fmt(r.protocolMedianMs, 3), 27)}`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
