// Planner speed: configurations evaluated per second by the cost model's hot path, and the time to plan one
// large deployment (10 drafts × 4 quantisations × K 0..16 × 20 device classes) end to end, median and p95.
// Single-threaded by construction (Node runs it on one core). Run: make bench-planner.
import type {
  AlignmentProfile,
  DeviceClass,
  DraftProfile,
  Quantization,
  SpecDecodeDeployment,
} from '../src/api/types.js';
import { API_VERSION, QUANTIZATIONS } from '../src/api/types.js';
import { evaluateGrid, selectBest, paretoFront } from '../src/costmodel/index.js';
import { planDeployment, type PlanRequest } from '../src/planner/plan.js';

const DRAFTS = 10;
const DEVICE_CLASSES = 20;
const K_MAX = 16;
const NOW = '2026-11-28T12:00:00Z';

function largeRequest(): PlanRequest {
  const draftNames = [
    'qwen2.5-0.5b-instruct',
    'qwen2.5-1.5b-instruct',
    'qwen2.5-3b-instruct',
    'qwen2.5-7b-instruct',
    'qwen2.5-14b-instruct',
  ];
  const drafts = [
    ...draftNames.map((name) => ({ model: { name }, quantizations: [...QUANTIZATIONS] })),
    // Five user-described drafts outside the catalog, sized between the catalog ones.
    ...[0.3, 0.8, 2, 4, 10].map((billions) => ({
      model: { name: `custom-qwen-${billions}b`, family: 'qwen2.5', parametersBillions: billions },
      quantizations: [...QUANTIZATIONS],
    })),
  ];
  const classes: DeviceClass[] = Array.from({ length: DEVICE_CLASSES }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: 'DeviceClass',
    metadata: { name: `edge-${String(i).padStart(2, '0')}` },
    spec: {
      role: 'Edge',
      nodeSelector: { board: `b${i}` },
      hardware: { arch: i % 2 ? 'arm64' : 'amd64', memoryGiB: 4 + 4 * (i % 8), memoryBandwidthGBps: 10 + 10 * i },
      power: { idleWatts: 2 + i * 0.5, maxWatts: 6 + i * 2, sensor: 'None' },
      network: { rttMilliseconds: 5 + i },
    },
  }));
  // Half of the (class, draft, quantisation) triples profiled, so both the Measured and Prior paths run.
  const draftProfiles: DraftProfile[] = [];
  classes.forEach((dc, c) =>
    drafts.forEach((draft, d) =>
      QUANTIZATIONS.forEach((quantization: Quantization, q) => {
        if ((c + d + q) % 2) return;
        draftProfiles.push({
          apiVersion: API_VERSION,
          kind: 'DraftProfile',
          metadata: { name: `${dc.metadata.name}-${d}-${q}` },
          spec: { deviceClass: dc.metadata.name, draft: draft.model.name, quantization },
          status: {
            draftSecondsPerToken: 0.01 + 0.002 * d,
            draftSecondsIntercept: 0.004,
            powerDraftingWatts: 9,
            rttSeconds: 0.02,
            measuredAt: '2026-11-28T10:00:00Z',
          },
        });
      }),
    ),
  );
  const alignmentProfiles: AlignmentProfile[] = drafts.map((draft, d) => ({
    apiVersion: API_VERSION,
    kind: 'AlignmentProfile',
    metadata: { name: `align-${d}` },
    spec: { draft: draft.model.name, quantization: 'Q8_0', target: 'qwen2.5-32b-instruct', promptSet: 'builtin' },
    status: {
      acceptanceRate: 0.6 + 0.03 * d,
      perPosition: [0.9, 0.8, 0.75],
      verifySecondsIntercept: 0.06,
      verifySecondsPerToken: 0.001,
      measuredAt: '2026-11-28T10:00:00Z',
    },
  }));
  const deployment: SpecDecodeDeployment = {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'bench', namespace: 'default' },
    spec: {
      target: {
        model: { name: 'qwen2.5-32b-instruct' },
        verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-h100-80gb' },
      },
      drafts,
      speculation: { k: { min: 0, max: K_MAX } },
      edge: {},
      objective: { maximize: 'Goodput', constraints: { maxJoulesPerToken: 50 } },
      policy: { mode: 'Auto', minImprovementPercent: 10, cooldownSeconds: 600 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 86400, maxConcurrentJobs: 2 },
      accounting: 'Full',
    },
  };
  const current = Object.fromEntries(
    classes.map((dc) => [
      dc.metadata.name,
      {
        selected: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' as const, k: 3 },
        lastChangeTime: '2026-11-28T11:00:00Z',
      },
    ]),
  );
  return { deployment, deviceClasses: classes, draftProfiles, alignmentProfiles, current, now: NOW };
}

const nowNs = () => process.hrtime.bigint();
const ms = (ns: bigint) => Number(ns) / 1e6;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function main(): void {
  const request = largeRequest();
  const probe = planDeployment(request);
  const errors = [...probe.issues, ...probe.classes.flatMap((c) => c.issues)].filter((i) => i.severity === 'Error');
  if (errors.length > 0 || probe.classes.length !== DEVICE_CLASSES)
    throw new Error(`bench deployment is invalid: ${JSON.stringify(errors)}`);
  const configurations = probe.configurationsEvaluated;

  // 1. Hot path alone: evaluate one class's grid and select, repeatedly.
  const candidates = probe.classes[0]!.inputs;
  const settings = { accounting: 'Full' as const, paperVerifySeconds: 0.5 };
  const rowsPerGrid = candidates.length * (K_MAX + 1);
  for (let i = 0; i < 200; i++) selectBest(evaluateGrid(candidates, 0, K_MAX, settings), 'Goodput');
  const hotIterations = 3000;
  let start = nowNs();
  for (let i = 0; i < hotIterations; i++) evaluateGrid(candidates, 0, K_MAX, settings);
  const evaluateSeconds = ms(nowNs() - start) / 1000;
  start = nowNs();
  for (let i = 0; i < hotIterations; i++) {
    const grid = evaluateGrid(candidates, 0, K_MAX, settings);
    selectBest(grid, 'Goodput');
    paretoFront(grid, 'Goodput');
  }
  const scoreSeconds = ms(nowNs() - start) / 1000;

  // 2. The whole plan: inputs resolved from objects and profiles, 20 classes scored, status shapes built.
  for (let i = 0; i < 30; i++) planDeployment(request);
  const runs = 200;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowNs();
    planDeployment(request);
    times.push(ms(nowNs() - t0));
  }
  times.sort((a, b) => a - b);
  const median = percentile(times, 50);
  const p95 = percentile(times, 95);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`planner benchmark (node ${process.version}, one thread)`);
  console.log(
    `  cost model, evaluation only : ${fmt((rowsPerGrid * hotIterations) / evaluateSeconds)} configurations/s (${rowsPerGrid} per grid × ${hotIterations})`,
  );
  console.log(
    `  cost model, evaluate + select + Pareto front: ${fmt((rowsPerGrid * hotIterations) / scoreSeconds)} configurations/s`,
  );
  console.log(
    `  plan of ${DRAFTS} drafts × ${QUANTIZATIONS.length} quantisations × K 0..${K_MAX} × ${DEVICE_CLASSES} device classes = ${fmt(configurations)} configurations`,
  );
  console.log(
    `    median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms over ${runs} runs (min ${times[0]!.toFixed(2)}, max ${times[times.length - 1]!.toFixed(2)})`,
  );
  console.log(`    end to end: ${fmt(configurations / (median / 1000))} configurations/s at the median`);
  console.log(
    `  targets: plan ≤ 20 ms → ${median <= 20 ? 'met' : 'MISSED'} (p95 ${p95 <= 20 ? 'met' : 'missed'}); ≥ 1,000,000 configurations/s → ${(rowsPerGrid * hotIterations) / scoreSeconds >= 1e6 ? 'met' : 'MISSED'}`,
  );
}

main();
