// Data-plane benchmark: for K ∈ {0, 1, 2, 4, 8}, the measured goodput of drafter + verifier on loopback, the
// goodput the cost model predicts from the profiler's own measurements, the protocol overhead per round (round
// time outside model compute) and the speedup over K = 0, then one round broken down (drafting, verifier
// compute, verifier HTTP, transport, loop) next to the cost model's terms. Prints tables; asserts nothing.
// The drafter side runs in this process through the same loop and client (verification stream) the drafter
// command uses; the verifier is its own `configspec verify` process. See bench/README.md.
//
//   make bench-dataplane   (node dist/bench/dataplane.js [--acceptance 0.8] [--prompts 16] [--tokens 64])
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { estimate, verificationTerms, type CandidateInputs } from '../src/costmodel/index.js';
import { DraftEngine } from '../src/agent/drafter/draft-engine.js';
import { generate, type RoundRecord } from '../src/agent/drafter/speculative-loop.js';
import { VerifierClient } from '../src/agent/drafter/verifier-client.js';
import { buildTestModel, chainAcceptance, draftSpec, targetSpec } from '../src/agent/gguf/bigram-model.js';
import { ensureTestModel } from '../src/agent/gguf/model-cache.js';
import { runProfile } from '../src/agent/profiler/profile.js';
import type { SecondsAtK } from '../src/api/types.js';
import { builtinPrompts } from '../src/agent/prompts.js';
import { socketFloorMs } from './socket-floor.js';

const { values } = parseArgs({
  options: {
    acceptance: { type: 'string', default: '0.8' },
    prompts: { type: 'string', default: '48' },
    tokens: { type: 'string', default: '96' },
    encoding: { type: 'string', default: 'F16' },
    cycles: { type: 'string', default: '4' },
    'no-pin': { type: 'boolean', default: false },
    'busy-poll-ms': { type: 'string', default: '5' },
  },
});
const acceptance = Number(values.acceptance);
const promptCount = Number(values.prompts);
const maxTokens = Number(values.tokens);
const cycles = Math.max(1, Math.min(promptCount, Math.floor(Number(values.cycles)) || 1));
const encoding = values.encoding === 'Q8_0' ? 'Q8_0' : 'F16';
// Both sides poll instead of sleeping while the other side's answer is due (--busy-poll-ms of `configspec
// verify`, `draft` and `profile`): on loopback a round is a few ms, and each of its two wake-ups of an idle
// vCPU costs this VM 0.1–0.2 ms. 5 ms covers the longest gap here (drafting or verifying at K = 8).
// `--busy-poll-ms=0` measures sleeping waits.
const busyPollMs = Number(values['busy-poll-ms']);
if (!(busyPollMs >= 0 && busyPollMs <= 100)) throw new Error('--busy-poll-ms must be from 0 to 100');
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
// Drafter and verifier stand for two machines. On a small machine they would otherwise share cores, and the
// verifier's pass would compete with the drafter's overlapped cache extension (and each side's HTTP with the
// other's compute) — contention a per-machine profile cannot see and a real edge/cloud split does not have. So
// this process (every thread, and the threads it starts later) is pinned to the first core and the verifier to
// the second, where `taskset` and two cores exist; `--no-pin` measures the shared-core case.
const pinned = !values['no-pin'] && cpus().length >= 2 && pinToCore(process.pid, 0);
function pinToCore(pid: number, core: number): boolean {
  try {
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    log('taskset is not available: drafter and verifier share the cores');
    return false;
  }
}
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const verifierCommand = [
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
  `--busy-poll-ms=${busyPollMs}`,
];
const child = pinned
  ? spawn('taskset', ['--cpu-list', '1', process.execPath, ...verifierCommand], {
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  : spawn(process.execPath, verifierCommand, { stdio: ['ignore', 'ignore', 'inherit'] });
const verifier = { url: `http://127.0.0.1:${port}` };
for (let ready = false; !ready;) {
  await new Promise((r) => setTimeout(r, 200));
  ready = await fetch(`${verifier.url}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (child.exitCode !== null) throw new Error('the verifier process exited');
}

// Profiles and measurement take turns: a profile, a share of the prompts, a profile, … . Each share is predicted
// from the mean of the profiles just before and after it: on this shared machine speed drifts by 10–30 % from
// one ten-second window to the next, and a profile taken once, minutes away from the rounds it predicts, would
// mostly measure that drift. The cost model sees only these profiles.
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
    verifyPromptsPerK: 8,
    rttSamples: 50,
    temperature: 0,
    threads: 1,
    idleWindowMs: 10,
    busyPollMs,
    estimatedWatts: { idle: 3, max: 8 },
  });
};

/** The mean at each K over the profiles (all measured the same K values). */
function meanAtK(tables: Array<SecondsAtK[] | undefined>): SecondsAtK[] {
  const ks = [...new Set(tables.flatMap((t) => (t ?? []).map((p) => p.k)))].sort((a, b) => a - b);
  return ks.map((k) => {
    const values = tables.map((t) => t?.find((p) => p.k === k)?.seconds).filter((v): v is number => v !== undefined);
    return { k, seconds: values.reduce((sum, v) => sum + v, 0) / values.length };
  });
}
const atKText = (points: readonly SecondsAtK[] | undefined): string =>
  `${(points ?? []).map((p) => `${p.k}:${(p.seconds * 1000).toFixed(2)}`).join(' ')} ms`;

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
    verifySecondsByK: meanAtK(profiles.map((p) => p.alignmentProfile.verifySecondsByK)),
    rttSecondsByK: meanAtK(profiles.map((p) => p.draftProfile.rttSecondsByK)),
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
const client = new VerifierClient(verifier.url, { busyPollMs });
engine.onComputing((computing) => client.holdPolling(computing));
const prompts = builtinPrompts(promptCount, 2024).map((p) => engine.tokenize(p));
// Untimed warm-up of both models and the connection, so neither the first profile nor the first measured
// prompt pays for page faults, allocations and unoptimised code.
for (const promptTokens of prompts.slice(0, 4)) {
  for (const k of K_VALUES) await generate(engine, client, () => k, { promptTokens, maxTokens: 32, temperature: 0 });
}
const profiles = [await profileOnce(`1 of ${cycles + 1}`)];

interface Totals {
  /** Whole generations: every token over the wall time of the call (prompt evaluation in the first round included). */
  tokens: number;
  wallMs: number;
  /** Rounds after each generation's first: the steady state the cost model describes. */
  rounds: RoundRecord[];
  steadyTokens: number;
  /** Steady tokens per cycle, to predict each cycle from its own profiles. */
  cycleTokens: number[];
}
const totals = new Map<number, Totals>(
  K_VALUES.map((k) => [
    k,
    { tokens: 0, wallMs: 0, rounds: [], steadyTokens: 0, cycleTokens: Array.from({ length: cycles }, () => 0) },
  ]),
);
// K values are interleaved prompt by prompt, so drift in machine load spreads over all of them alike.
const loadBefore = loadavg()[0] as number;
for (const [i, promptTokens] of prompts.entries()) {
  const cycle = Math.floor((i * cycles) / prompts.length);
  log(`measuring prompt ${i + 1}/${prompts.length}`);
  for (const k of K_VALUES) {
    const produced: number[] = [];
    const result = await generate(engine, client, () => k, {
      promptTokens,
      maxTokens,
      temperature: 0,
      onTokens: (tokens) => void produced.push(tokens.length),
    });
    const t = totals.get(k) as Totals;
    t.tokens += result.tokens.length;
    t.wallMs += result.wallMs;
    t.rounds.push(...result.rounds.slice(1));
    const steadyTokens = produced.slice(1).reduce((sum, n) => sum + n, 0);
    t.steadyTokens += steadyTokens;
    (t.cycleTokens[cycle] as number) += steadyTokens;
  }
  const lastOfCycle = i === prompts.length - 1 || Math.floor(((i + 1) * cycles) / prompts.length) !== cycle;
  if (lastOfCycle) profiles.push(await profileOnce(`${cycle + 2} of ${cycles + 1}`));
}
const loadAfter = loadavg()[0] as number;
await engine.close();
const sum = (values: number[]): number => values.reduce((s, v) => s + v, 0);
const inputs = inputsFrom(profiles);
const cycleInputs = Array.from({ length: cycles }, (_, c) => inputsFrom(profiles.slice(c, c + 2)));
const MODEL = { accounting: 'Full', paperVerifySeconds: 0.5 } as const;
/** Goodput the model predicts for all measured tokens: each cycle's tokens at its own profiles' prediction. */
const predictedGoodput = (t: Totals, k: number): number =>
  t.steadyTokens /
  sum(
    t.cycleTokens.map(
      (tokens, c) => tokens / estimate(cycleInputs[c] as CandidateInputs, k, MODEL).goodputTokensPerSecond,
    ),
  );

const med = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN;
const outsideCompute = (r: RoundRecord): number => r.roundMs - r.draftMs - r.verifierQueueMs - r.verifierComputeMs;
interface Row {
  k: number;
  measured: number;
  whole: number;
  predicted: number;
  overheadMs: number;
  tokensPerRound: number;
  predictedTokensPerRound: number;
  // Medians over the steady rounds that drafted the full K, next to the cost model's terms.
  draftMs: number;
  predictedDraftMs: number;
  verifierMs: number;
  predictedVerifyMs: number;
  serverHttpMs: number;
  transportMs: number;
  loopMs: number;
  outsideMs: number;
  predictedRttMs: number;
  roundMs: number;
  predictedRoundMs: number;
}
const rows: Row[] = K_VALUES.map((k) => {
  const t = totals.get(k) as Totals;
  const full = t.rounds.filter((r) => r.k === k);
  const predictedRound = estimate(inputs, k, MODEL);
  return {
    k,
    measured: t.steadyTokens / (sum(t.rounds.map((r) => r.roundMs)) / 1000),
    whole: t.tokens / (t.wallMs / 1000),
    predicted: predictedGoodput(t, k),
    overheadMs: sum(t.rounds.map(outsideCompute)) / t.rounds.length,
    tokensPerRound: t.steadyTokens / t.rounds.length,
    predictedTokensPerRound: predictedRound.expectedTokens,
    draftMs: med(full.map((r) => r.draftMs)),
    predictedDraftMs: predictedRound.draftSeconds * 1000,
    verifierMs: med(full.map((r) => r.verifierQueueMs + r.verifierComputeMs)),
    predictedVerifyMs: predictedRound.verifySeconds * 1000,
    serverHttpMs: med(full.map((r) => (r.verifierServerMs ?? NaN) - r.verifierQueueMs - r.verifierComputeMs)),
    transportMs: med(full.map((r) => r.roundTripMs - (r.verifierServerMs ?? NaN))),
    loopMs: med(full.map((r) => r.roundMs - r.draftMs - r.roundTripMs)),
    outsideMs: med(full.map(outsideCompute)),
    predictedRttMs: verificationTerms(inputs, k).rttSeconds * 1000,
    roundMs: med(full.map((r) => r.roundMs)),
    predictedRoundMs: predictedRound.roundSeconds * 1000,
  };
});
await client.close();
child.kill('SIGTERM');
log('measuring the bare-socket floor between the two cores');
const floors = await socketFloorMs(
  rows.map((r) => ({ draftMs: r.draftMs, verifyMs: r.verifierMs })),
  300,
  pinned ? 1 : undefined,
  busyPollMs,
);

const base = rows[0]?.measured ?? 1;
const pad = (s: string, n: number): string => s.padStart(n);
const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (p: number, m: number): string => `${p >= m ? '+' : ''}${fmt((100 * (p - m)) / m)}%`;
const out: string[] = [];
out.push(
  `target ${encoding} 4×1024, draft ${encoding} 1×512, built acceptance ${fmt(intended, 3)}; ${promptCount} prompts × ${maxTokens} tokens per K, threads 1, loopback, ${pinned ? 'drafter on core 0 and verifier on core 1' : 'cores shared'}, ${busyPollMs > 0 ? `busy polling ${busyPollMs} ms on both sides` : 'no busy polling'}`,
);
out.push(
  `profile (mean of all ${profiles.length}, in-loop): t_draft = ${fmt(inputs.draftInterceptSeconds * 1000, 3)} ms + ${fmt(inputs.draftSecondsPerToken * 1000, 3)} ms·K; ` +
    `T_v = ${fmt(inputs.verifyInterceptSeconds * 1000, 3)} ms + ${fmt(inputs.verifySecondsPerToken * 1000, 3)} ms·(K+1) and ` +
    `RTT (round outside model compute) ${fmt(inputs.rttSeconds * 1000, 3)} ms for K ≥ 1; ` +
    `measured per K: T_v ${atKText(inputs.verifySecondsByK)}, RTT ${atKText(inputs.rttSecondsByK)}; α ${fmt(inputs.acceptanceRate, 3)}; a_i ${(inputs.perPositionAcceptance ?? []).map((x) => fmt(x, 2)).join(' ')}`,
);
const idle = profiles.reduce((s, p) => s + p.details.idleRttSeconds, 0) / profiles.length;
const aloneIntercept = profiles.reduce((s, p) => s + p.details.aloneDraftFit.intercept, 0) / profiles.length;
const aloneSlope = profiles.reduce((s, p) => s + p.details.aloneDraftFit.slope, 0) / profiles.length;
out.push(
  `profile, reported only: idle /healthz RTT ${fmt(idle * 1000, 3)} ms; drafting alone t_draft = ${fmt(aloneIntercept * 1000, 3)} ms + ${fmt(aloneSlope * 1000, 3)} ms·K`,
);
out.push(
  `1-minute load average ${fmt(loadBefore, 2)} before, ${fmt(loadAfter, 2)} after the measurement (${cpus().length} cores)`,
);
out.push('');
out.push(
  "measured = steady state (every round after a generation's first, whose prompt evaluation the cost model does not",
);
out.push(
  'model); whole = whole generations, prompt evaluation included. overhead = mean round time outside model compute',
);
out.push('(round − drafting − verifier queue and compute). speedup = measured over measured at K = 0.');
out.push(
  `${pad('K', 2)} ${pad('measured tok/s', 15)} ${pad('predicted tok/s', 16)} ${pad('error', 8)} ${pad('whole tok/s', 12)} ${pad('overhead ms/round', 18)} ${pad('tok/round (pred)', 17)} ${pad('speedup', 8)}`,
);
for (const r of rows) {
  out.push(
    `${pad(String(r.k), 2)} ${pad(fmt(r.measured), 15)} ${pad(fmt(r.predicted), 16)} ${pad(pct(r.predicted, r.measured), 8)} ${pad(fmt(r.whole), 12)} ${pad(fmt(r.overheadMs, 3), 18)} ${pad(`${fmt(r.tokensPerRound, 2)} (${fmt(r.predictedTokensPerRound, 2)})`, 17)} ${pad(`${fmt(r.measured / base, 2)}×`, 8)}`,
  );
}
out.push('');
out.push(
  'One round, medians over steady full-K rounds, ms (measured / cost model): drafting; verifier queue + compute;',
);
out.push(
  'verifier HTTP (its handling outside the model); transport (round trip − verifier handling: network, client HTTP,',
);
out.push('JSON); loop (waiting for the overlapped draft extension, bookkeeping); outside compute = the last three;');
out.push(
  'floor = a bare TCP echo between the same cores with the same compute and busy polling on each side (bench/socket-floor.ts):',
);
out.push(
  "the machine's loopback and wake-up cost that any protocol pays; outside compute − floor is the protocol's own.",
);
out.push(
  `${pad('K', 2)} ${pad('draft', 13)} ${pad('verifier', 13)} ${pad('verifier HTTP', 14)} ${pad('transport', 10)} ${pad('loop', 6)} ${pad('outside compute', 16)} ${pad('floor', 6)} ${pad('round', 13)}`,
);
for (const [i, r] of rows.entries()) {
  out.push(
    `${pad(String(r.k), 2)} ${pad(`${fmt(r.draftMs, 2)} / ${fmt(r.predictedDraftMs, 2)}`, 13)} ${pad(`${fmt(r.verifierMs, 2)} / ${fmt(r.predictedVerifyMs, 2)}`, 13)} ${pad(fmt(r.serverHttpMs, 3), 14)} ${pad(fmt(r.transportMs, 3), 10)} ${pad(fmt(r.loopMs, 3), 6)} ${pad(`${fmt(r.outsideMs, 3)} / ${fmt(r.predictedRttMs, 3)}`, 16)} ${pad(fmt(floors[i] ?? NaN, 3), 6)} ${pad(`${fmt(r.roundMs, 2)} / ${fmt(r.predictedRoundMs, 2)}`, 13)}`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
