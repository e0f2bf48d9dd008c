// Selection regret: how much of the objective the operator's choice loses against an oracle that knows the
// true profile of every (draft, quantisation, K) on the grid. The operator's choice is planDeployment on the
// profiles it would have measured (t_draft at three K values, acceptance from a bounded number of rounds, all
// with noise); the oracle scores the full grid on the ground truth. Seeded and deterministic; prints figures,
// asserts nothing. Run: make bench-regret, or node dist/bench/regret.js [--seed 42] [--scenarios 300] [--json F]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Objective } from '../src/api/types.js';
import { rowOf, type EvaluatedGrid } from '../src/costmodel/index.js';
import { planDeployment } from '../src/planner/plan.js';
import {
  OPERATOR_PROFILING,
  deploymentOf,
  deviceClassOf,
  makeScenario,
  measuredGridObjective,
  oracle,
  percentile,
  profilesOf,
  seededRandom,
  trueObjective,
  type MeasurementPlan,
  type Scenario,
} from './regret-sim.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    scenarios: { type: 'string', default: '300' },
    json: { type: 'string' },
  },
});
const SEED = Number(values.seed);
const SCENARIOS = Number(values.scenarios);
const NOW = '2026-11-28T12:00:00Z';
const OBJECTIVES: Objective[] = ['Goodput', 'CostEfficiency', 'EnergyEfficiency'];
const K_MAX = 16;

type Strategy =
  | { name: string; kind: 'priors' }
  | { name: string; kind: 'profile'; plan: MeasurementPlan }
  | { name: string; kind: 'full-grid'; plan: MeasurementPlan };

const STRATEGIES: Strategy[] = [
  {
    name: 'operator: t_draft at K=1,4,8 ×12, acceptance from 64 rounds at K=8',
    kind: 'profile',
    plan: OPERATOR_PROFILING,
  },
  { name: 'priors only (no profiling)', kind: 'priors' },
  { name: 't_draft at K=1,8 only, 64 rounds', kind: 'profile', plan: { ...OPERATOR_PROFILING, draftKs: [1, 8] } },
  {
    name: 'K=1,4,8, acceptance from 16 rounds',
    kind: 'profile',
    plan: { ...OPERATOR_PROFILING, acceptanceRounds: 16 },
  },
  {
    name: 'K=1,4,8, acceptance from 256 rounds',
    kind: 'profile',
    plan: { ...OPERATOR_PROFILING, acceptanceRounds: 256 },
  },
  {
    name: 'K=1,4,16, 64 rounds at K=16',
    kind: 'profile',
    plan: { ...OPERATOR_PROFILING, draftKs: [1, 4, 16], acceptanceK: 16 },
  },
  { name: 'every grid point measured (same noise per point)', kind: 'full-grid', plan: OPERATOR_PROFILING },
];

/** Fraction of the grid's (draft, quantisation, K) points a strategy measures. */
function fractionMeasured(strategy: Strategy, s: Scenario): number {
  const points = s.candidates.length * (s.kMax + 1);
  if (strategy.kind === 'priors') return 0;
  if (strategy.kind === 'full-grid') return 1;
  // Timed K values; the acceptance rounds run at one of them (or at one more K).
  const ks = new Set([...strategy.plan.draftKs, strategy.plan.acceptanceK]);
  return (s.candidates.length * ks.size) / points;
}

interface Outcome {
  regret: number;
  objective: Objective;
}

function run(strategy: Strategy, s: Scenario, objective: Objective, salt: number): Outcome {
  const random = seededRandom((SEED * 7919 + s.id * 131 + salt) >>> 0);
  const deployment = deploymentOf(s, objective);
  const deviceClasses = deviceClassOf(s);
  const profiles = strategy.kind === 'profile' ? profilesOf(random, s, strategy.plan, NOW) : {};
  const plan = planDeployment({ deployment, deviceClasses, ...profiles, now: NOW });
  const classPlan = plan.classes[0];
  const grid = plan.grids.get('sim-edge') as EvaluatedGrid | undefined;
  if (!classPlan || !grid) throw new Error(`scenario ${s.id}: no plan (${JSON.stringify(plan.issues)})`);
  const index = (draft: string, quantization: string) =>
    grid.candidates.findIndex((c) => c.draft === draft && c.quantization === quantization);
  // Memory feasibility is the catalog's, the same for operator and oracle.
  const allowed = (candidate: number, k: number) => {
    const c = s.candidates[candidate]!;
    const row = rowOf(grid, index(c.draft, c.quantization), k);
    return row >= 0 && grid.violations[row] === 0;
  };
  const best = oracle(s, objective, allowed);
  let chosen: { candidate: number; k: number };
  if (strategy.kind === 'full-grid') {
    let top = { value: -Infinity, candidate: -1, k: -1 };
    s.candidates.forEach((c, i) => {
      for (let k = 0; k <= s.kMax; k++) {
        if (!allowed(i, k)) continue;
        const value = measuredGridObjective(random, s, c, k, objective, strategy.plan);
        if (value > top.value) top = { value, candidate: i, k };
      }
    });
    chosen = top;
  } else {
    const selected = classPlan.selected;
    if (!selected) throw new Error(`scenario ${s.id}: nothing selected (${classPlan.message})`);
    const candidate = s.candidates.findIndex(
      (c) => c.draft === selected.draft && c.quantization === selected.quantization,
    );
    chosen = { candidate, k: selected.k };
  }
  const value = trueObjective(s, s.candidates[chosen.candidate]!, chosen.k, objective);
  return { regret: Math.max(0, (best.value - value) / best.value), objective };
}

function main(): void {
  const started = process.hrtime.bigint();
  const scenarios = Array.from({ length: SCENARIOS }, (_, i) => makeScenario(SEED, i, K_MAX));
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const lines: string[] = [];
  const results: Record<string, unknown>[] = [];
  const candidates = scenarios[0]!.candidates.length;
  lines.push(
    `selection regret (seed ${SEED}; ${SCENARIOS} scenarios × 3 objectives; each a device with ${candidates} (draft, quantisation) candidates × K 0..${K_MAX} = ${candidates * (K_MAX + 1)} grid points)`,
  );
  lines.push(
    `  truth: roofline speed ±20 % per candidate plus a K² term, per-position acceptance decaying along the draft, RTT 5–60 ms; measurement: 6 % timing jitter, 5 % preempted samples, binomial acceptance`,
  );
  lines.push(
    `  ${'strategy'.padEnd(72)} ${'grid measured'.padStart(13)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'max'.padStart(9)}   median / p90 per objective (goodput, cost, energy)`,
  );
  STRATEGIES.forEach((strategy, salt) => {
    const outcomes = scenarios.flatMap((s) =>
      OBJECTIVES.map((o) => run(strategy, s, o, salt * 3 + OBJECTIVES.indexOf(o))),
    );
    const regrets = outcomes.map((o) => o.regret);
    const fraction = fractionMeasured(strategy, scenarios[0]!);
    const perObjective = OBJECTIVES.map((o) => {
      const rs = outcomes.filter((x) => x.objective === o).map((x) => x.regret);
      return { objective: o, median: percentile(rs, 50), p90: percentile(rs, 90) };
    });
    results.push({
      strategy: strategy.name,
      fractionMeasured: fraction,
      median: percentile(regrets, 50),
      p90: percentile(regrets, 90),
      max: Math.max(...regrets),
      perObjective,
    });
    lines.push(
      `  ${strategy.name.padEnd(72)} ${pct(fraction).padStart(13)} ${pct(percentile(regrets, 50)).padStart(9)} ${pct(percentile(regrets, 90)).padStart(9)} ${pct(Math.max(...regrets)).padStart(9)}   ${perObjective.map((p) => `${pct(p.median)} / ${pct(p.p90)}`).join(', ')}`,
    );
  });
  const operator = results[0] as { median: number; fractionMeasured: number; p90: number };
  lines.push(
    `  target: median regret ≤ 2 % using ≤ 30 % of the grid's measurements → ${operator.median <= 0.02 && operator.fractionMeasured <= 0.3 ? 'met' : 'MISSED'} (operator: median ${pct(operator.median)}, p90 ${pct(operator.p90)}, ${pct(operator.fractionMeasured)} of the grid)`,
  );
  lines.push(`  (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = resolve(here, '..', '..');
  const jsonPath = values.json ?? join(repo, '.run', 'bench-results', 'regret.json');
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ seed: SEED, scenarios: SCENARIOS, kMax: K_MAX, results }, null, 2)}\n`);
}

main();
