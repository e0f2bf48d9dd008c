// A seeded simulator of the closed loop: a ground truth per (draft, quantisation) on one edge device class, drafter
// windows drawn from it (rounds, per-position drafted/accepted by binomial draws, timings with noise), the
// operator's side as the planner sees it (accumulated counters with shift detection, a verifier load fit, the
// real planDeployment with hysteresis and the status it wrote), and a change of the world at a set time.
// Used by bench/closed-loop.ts and by the property test in test/unit/planner/closed-loop-property.test.ts.
import type { AlignmentProfile, DeviceClassStatus, DraftProfile, SpecDecodeDeployment } from '../src/api/types.js';
import { API_VERSION } from '../src/api/types.js';
import {
  accumulateVerifierWindow,
  accumulateWithShiftDetection,
  estimate,
  fitVerifierLoad,
  type CandidateInputs,
  type ServingCounters,
  type VerifierWindow,
} from '../src/costmodel/index.js';
import type { ClassObservations } from '../src/planner/closed-loop.js';
import { formatTimestamp } from '../src/planner/inputs.js';
import { planDeployment, type CurrentSelection } from '../src/planner/plan.js';

export const DEVICE_CLASS = 'jetson-orin-nano-8gb';
const START_MS = Date.UTC(2026, 10, 28, 0, 0, 0);

/** mulberry32: small, fast, good enough for simulation; deterministic from the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0) return 0;
  if (n < 40) {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  }
  const draw = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * gaussian(random));
  return Math.min(n, Math.max(0, draw));
}

export function deployment(): SpecDecodeDeployment {
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'chat', namespace: 'default', generation: 1 },
    spec: {
      target: {
        model: { name: 'qwen2.5-7b-instruct' },
        verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-a100-80gb' },
      },
      drafts: [
        { model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] },
        { model: { name: 'qwen2.5-1.5b-instruct' }, quantizations: ['Q4_K_M'] },
      ],
      speculation: { k: { min: 1, max: 8 } },
      edge: { deviceClasses: [DEVICE_CLASS] },
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Auto', minImprovementPercent: 10, cooldownSeconds: 600 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 7 * 86400, maxConcurrentJobs: 2 },
      accounting: 'Full',
    },
  };
}

/** The world: true inputs per (draft, quantisation), true verifier load, drafters on the verifier. */
export interface World {
  truth: CandidateInputs[];
  load: { extraInterceptSeconds: number; extraSecondsPerToken: number };
  drafters: number;
}

export type ScenarioName = 'acceptance-drop' | 'device-slowdown' | 'verifier-load' | 'stable';

export interface SimulationOptions {
  seed: number;
  scenario: ScenarioName;
  /** When the world changes (seconds after start). */
  changeAtSeconds: number;
  durationSeconds: number;
  /** Seconds between scrapes. */
  stepSeconds: number;
  /** Multiplicative noise of each window's timings (standard deviation, e.g. 0.05). */
  timingNoise: number;
  /** Relative error of the profiles against the truth at the start (standard deviation, e.g. 0.05). */
  profileError: number;
  /** Drafter pods the operator samples per class. */
  sampledDrafters: number;
  /** Share of a drafter's time spent in rounds (the rest waits for requests). */
  utilisation: number;
}

export const DEFAULT_SIMULATION: Omit<SimulationOptions, 'seed' | 'scenario'> = {
  changeAtSeconds: 3600,
  durationSeconds: 4 * 3600,
  stepSeconds: 60,
  timingNoise: 0.05,
  profileError: 0.03,
  sampledDrafters: 8,
  utilisation: 0.3,
};

export interface SwitchRecord {
  atSeconds: number;
  from: string;
  to: string;
  reason: string;
}

export interface SimulationResult {
  initial: string;
  switches: SwitchRecord[];
  /** Seconds from the change (the start of the first window drawn from the changed world) to the first switch
   *  after it; undefined when none happened. */
  secondsToSwitch: number | undefined;
  final: string;
  /** Best configuration by the true inputs after the change. */
  oracle: string;
  /** How much better the oracle is than the final selection on the true goodput, in percent. */
  finalLossPercent: number;
  /** Most switches inside any window of one cooldown. */
  maxSwitchesPerCooldown: number;
  mismatchRaised: boolean;
}

const describe = (c: { draft: string; quantization: string; k: number }) => `${c.draft} ${c.quantization} K=${c.k}`;

function trueVerification(world: World, inputs: CandidateInputs, batch: number): CandidateInputs {
  const extra = Math.max(0, batch - 1);
  return {
    ...inputs,
    verifyInterceptSeconds: inputs.verifyInterceptSeconds + extra * world.load.extraInterceptSeconds,
    verifySecondsPerToken: inputs.verifySecondsPerToken + extra * world.load.extraSecondsPerToken,
  };
}

function trueGoodput(world: World, sdd: SpecDecodeDeployment, c: { draft: string; quantization: string; k: number }) {
  const batch = Math.max(1, Math.ceil(world.drafters / sdd.spec.target.verifier.replicas));
  const truth = world.truth.find((t) => t.draft === c.draft && t.quantization === c.quantization)!;
  return estimate(trueVerification(world, truth, batch), c.k, { accounting: 'Full', paperVerifySeconds: 0.5 })
    .goodputTokensPerSecond;
}

function oracleBest(world: World, sdd: SpecDecodeDeployment): { text: string; goodput: number } {
  const batch = Math.max(1, Math.ceil(world.drafters / sdd.spec.target.verifier.replicas));
  let best = { goodput: -Infinity, text: '' };
  for (const truth of world.truth) {
    const inputs = trueVerification(world, truth, batch);
    for (let k = sdd.spec.speculation.k.min; k <= sdd.spec.speculation.k.max; k++) {
      const e = estimate(inputs, k, { accounting: 'Full', paperVerifySeconds: 0.5 });
      if (e.goodputTokensPerSecond > best.goodput)
        best = { goodput: e.goodputTokensPerSecond, text: describe({ ...truth, k }) };
    }
  }
  return best;
}

function profilesFrom(inputs: readonly CandidateInputs[], measuredAtMs: number) {
  const measuredAt = formatTimestamp(measuredAtMs);
  const draftProfiles: DraftProfile[] = inputs.map((c) => ({
    apiVersion: API_VERSION,
    kind: 'DraftProfile',
    metadata: { name: `${c.draft}-${c.quantization}`.toLowerCase() },
    spec: { deviceClass: DEVICE_CLASS, draft: c.draft, quantization: c.quantization },
    // As the profiler measures: K = 1, 4, 8 × 20 repetitions.
    status: {
      draftSecondsIntercept: c.draftInterceptSeconds,
      draftSecondsPerToken: c.draftSecondsPerToken,
      samples: 60,
      rttSeconds: c.rttSeconds,
      powerDraftingWatts: c.draftingWatts,
      powerIdleWatts: c.waitingWatts,
      measuredAt,
    },
  }));
  const alignmentProfiles: AlignmentProfile[] = inputs.map((c) => ({
    apiVersion: API_VERSION,
    kind: 'AlignmentProfile',
    metadata: { name: `${c.draft}-${c.quantization}-align`.toLowerCase() },
    spec: { draft: c.draft, quantization: c.quantization, target: 'qwen2.5-7b-instruct', promptSet: 'builtin' },
    // 64 rounds at K = 8: a few hundred judged draft tokens.
    status: {
      acceptanceRate: c.acceptanceRate,
      perPosition: Array.from({ length: 8 }, () => c.acceptanceRate),
      samples: 300,
      verifySecondsIntercept: c.verifyInterceptSeconds,
      verifySecondsPerToken: c.verifySecondsPerToken,
      measuredAt,
    },
  }));
  return { draftProfiles, alignmentProfiles };
}

/** One scrape window of the serving configuration, drawn from the truth. */
function drawWindow(
  random: () => number,
  world: World,
  truth: CandidateInputs,
  k: number,
  options: SimulationOptions,
): { counters: ServingCounters; verifier: VerifierWindow } {
  const batch = Math.max(1, world.drafters);
  const inputs = trueVerification(world, truth, batch);
  const e = estimate(inputs, k, { accounting: 'Full', paperVerifySeconds: 0.5 });
  const sampled = Math.min(options.sampledDrafters, world.drafters);
  const expectedRounds = (sampled * options.stepSeconds * options.utilisation) / e.roundSeconds;
  const rounds = Math.max(0, Math.round(expectedRounds + Math.sqrt(expectedRounds) * gaussian(random)));
  const drafted: number[] = [];
  const accepted: number[] = [];
  let reaching = rounds;
  for (let i = 0; i < k && reaching > 0; i++) {
    const a = inputs.perPositionAcceptance?.[i] ?? inputs.acceptanceRate;
    const ok = binomial(random, reaching, a);
    drafted.push(reaching);
    accepted.push(ok);
    reaching = ok;
  }
  const noisy = (mean: number) => Math.max(0, mean * (1 + options.timingNoise * gaussian(random)));
  const verifySeconds = noisy(rounds * e.verifySeconds);
  const counters: ServingCounters = {
    rounds,
    tokens: rounds + accepted.reduce((s, v) => s + v, 0),
    drafted,
    accepted,
    kRounds: rounds * k,
    draftSeconds: noisy(rounds * e.draftSeconds),
    verifySeconds,
    networkSeconds: noisy(rounds * inputs.rttSeconds),
    windowSeconds: options.stepSeconds,
  };
  return {
    counters,
    verifier: {
      batch,
      k,
      seconds: rounds > 0 ? verifySeconds / rounds : e.verifySeconds,
      requests: (rounds * world.drafters) / Math.max(1, sampled),
    },
  };
}

function changeWorld(world: World, scenario: ScenarioName, serving: { draft: string; quantization: string }): void {
  switch (scenario) {
    case 'acceptance-drop':
      // The serving draft meets traffic it was not profiled on: its acceptance falls by 45 %.
      world.truth = world.truth.map((t) =>
        t.draft === serving.draft && t.quantization === serving.quantization
          ? { ...t, acceptanceRate: t.acceptanceRate * 0.55, perPositionAcceptance: undefined }
          : t,
      );
      break;
    case 'device-slowdown':
      // The devices throttle when hot: drafting 4× slower for every model.
      world.truth = world.truth.map((t) => ({
        ...t,
        draftInterceptSeconds: t.draftInterceptSeconds * 4,
        draftSecondsPerToken: t.draftSecondsPerToken * 4,
      }));
      break;
    case 'verifier-load':
      // Ten times the edge nodes join the same verifier replica.
      world.drafters = 40;
      break;
    case 'stable':
      break;
  }
}

export function simulate(options: SimulationOptions): SimulationResult {
  const random = seededRandom(options.seed);
  const sdd = deployment();
  // Truth at the start: the planner's priors for these models and this device; profiles measure it with error.
  const priors = planDeployment({ deployment: sdd, deviceClasses: [], now: START_MS }).classes[0]!.inputs;
  const world: World = {
    truth: priors.map((c) => ({ ...c })),
    load: { extraInterceptSeconds: 0.004, extraSecondsPerToken: 0.0015 },
    drafters: 4,
  };
  const err = () => 1 + options.profileError * gaussian(random);
  const profiled = priors.map((c) => ({
    ...c,
    draftInterceptSeconds: c.draftInterceptSeconds * err(),
    draftSecondsPerToken: c.draftSecondsPerToken * err(),
    acceptanceRate: Math.min(0.99, c.acceptanceRate * err()),
    verifyInterceptSeconds: c.verifyInterceptSeconds * err(),
    rttSeconds: c.rttSeconds * err(),
  }));
  const { draftProfiles, alignmentProfiles } = profilesFrom(profiled, START_MS - 3600_000);
  const verificationBase = {
    interceptSeconds: profiled[0]!.verifyInterceptSeconds,
    secondsPerToken: profiled[0]!.verifySecondsPerToken,
  };

  let status: DeviceClassStatus[] = [];
  let current: CurrentSelection | undefined;
  const accumulators = new Map<string, { counters: ServingCounters; k: number; atMs: number }>();
  let verifierCells: VerifierWindow[] = [];
  const switches: SwitchRecord[] = [];
  let initial = '';
  let mismatchRaised = false;
  let changed = false;

  for (let t = 0; t <= options.durationSeconds; t += options.stepSeconds) {
    const nowMs = START_MS + t * 1000;
    if (!changed && t >= options.changeAtSeconds && current) {
      changeWorld(world, options.scenario, current.selected);
      changed = true;
    }
    // Scrape the serving configuration.
    if (current) {
      const { draft, quantization, k } = current.selected;
      const truth = world.truth.find((c) => c.draft === draft && c.quantization === quantization)!;
      const window = drawWindow(random, world, truth, k, options);
      const key = `${draft}/${quantization}`;
      const previous = accumulators.get(key);
      const next = accumulateWithShiftDetection(
        previous?.counters,
        window.counters,
        previous ? (nowMs - previous.atMs) / 1000 : 0,
      );
      accumulators.set(key, { counters: next.counters, k, atMs: nowMs });
      verifierCells = accumulateVerifierWindow(verifierCells, window.verifier, options.stepSeconds, 7200);
    }
    const observations: ClassObservations = {
      candidates: [...accumulators.entries()].map(([key, value]) => {
        const [draft, quantization] = key.split('/') as [string, CandidateInputs['quantization']];
        return { draft, quantization, k: value.k, counters: value.counters };
      }),
    };
    const plan = planDeployment({
      deployment: { ...sdd, status: { deviceClasses: status } },
      deviceClasses: [],
      draftProfiles,
      alignmentProfiles,
      now: nowMs,
      ...(current ? { current: { [DEVICE_CLASS]: current } } : {}),
      observations: { [DEVICE_CLASS]: observations },
      verifierLoad: { model: fitVerifierLoad(verificationBase, verifierCells), drafters: world.drafters },
    });
    const classPlan = plan.classes[0]!;
    if (classPlan.mismatch?.raised) mismatchRaised = true;
    if (!classPlan.selected) continue;
    const text = describe(classPlan.selected);
    if (!current) initial = text;
    else if (classPlan.changed)
      switches.push({ atSeconds: t, from: describe(current.selected), to: text, reason: classPlan.reason });
    current = {
      selected: classPlan.selected,
      ...(classPlan.lastChangeTime ? { lastChangeTime: classPlan.lastChangeTime } : {}),
    };
    status = classPlan.observed ? [{ name: DEVICE_CLASS, nodes: 1, readyNodes: 1, observed: classPlan.observed }] : [];
  }

  const cooldown = sdd.spec.policy.cooldownSeconds;
  let maxSwitchesPerCooldown = 0;
  for (const s of switches) {
    const inWindow = switches.filter((o) => o.atSeconds >= s.atSeconds && o.atSeconds < s.atSeconds + cooldown).length;
    maxSwitchesPerCooldown = Math.max(maxSwitchesPerCooldown, inWindow);
  }
  const after = switches.find((s) => s.atSeconds >= options.changeAtSeconds);
  const oracle = oracleBest(world, sdd);
  return {
    initial,
    switches,
    secondsToSwitch: after ? after.atSeconds - (options.changeAtSeconds - options.stepSeconds) : undefined,
    final: current ? describe(current.selected) : '',
    oracle: oracle.text,
    finalLossPercent: current ? (oracle.goodput / trueGoodput(world, sdd, current.selected) - 1) * 100 : NaN,
    maxSwitchesPerCooldown,
    mismatchRaised,
  };
}
