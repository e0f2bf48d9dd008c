// Closed-loop benchmark: for three changes of the world (the serving draft's acceptance drops by 45 %, the edge
// devices draft 4× slower, ten times the drafters share the verifier), the time from the change to the operator's
// switch and the number of switches, over seeded simulations (bench/closed-loop-sim.ts: drafter windows drawn
// from a ground truth every 60 s, the operator's accumulators with shift detection, the verifier load fit, the
// real planner with hysteresis 10 % / cooldown 600 s). A stable world is the control: it should not switch.
// Prints figures only; no assertion on them.
import { DEFAULT_SIMULATION, simulate, type ScenarioName } from './closed-loop-sim.js';

const SEEDS = Number(process.env.CLOSED_LOOP_SEEDS ?? 10);
const scenarios: ScenarioName[] = ['acceptance-drop', 'device-slowdown', 'verifier-load', 'stable'];

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const pad = (text: string, width: number) => text.padEnd(width);

console.log(
  `closed loop: ${SEEDS} seeds per scenario, change at ${DEFAULT_SIMULATION.changeAtSeconds} s, ` +
    `${DEFAULT_SIMULATION.durationSeconds} s simulated, scrape every ${DEFAULT_SIMULATION.stepSeconds} s, ` +
    `${DEFAULT_SIMULATION.sampledDrafters} drafters sampled, timing noise ${DEFAULT_SIMULATION.timingNoise * 100} %, ` +
    `profile error ${DEFAULT_SIMULATION.profileError * 100} %`,
);
console.log(
  `${pad('SCENARIO', 17)}${pad('SWITCHED', 10)}${pad('TIME TO SWITCH s (median, max)', 32)}${pad('SWITCHES AFTER CHANGE (median, max)', 37)}${pad('MAX PER COOLDOWN', 18)}${pad('FINAL = ORACLE', 16)}${pad('FINAL LOSS % (median, max)', 28)}MISMATCH`,
);
const started = Date.now();
for (const scenario of scenarios) {
  const results = Array.from({ length: SEEDS }, (_, seed) =>
    simulate({ ...DEFAULT_SIMULATION, seed: seed + 1, scenario }),
  );
  const times = results.flatMap((r) => (r.secondsToSwitch === undefined ? [] : [r.secondsToSwitch]));
  const after = results.map(
    (r) =>
      r.switches.filter((s) => s.atSeconds >= DEFAULT_SIMULATION.changeAtSeconds - DEFAULT_SIMULATION.stepSeconds)
        .length,
  );
  const losses = results.map((r) => r.finalLossPercent);
  console.log(
    `${pad(scenario, 17)}${pad(`${times.length}/${SEEDS}`, 10)}` +
      `${pad(times.length ? `${median(times).toFixed(0)}, ${Math.max(...times).toFixed(0)}` : '-', 32)}` +
      `${pad(`${median(after)}, ${Math.max(...after)}`, 37)}` +
      `${pad(String(Math.max(...results.map((r) => r.maxSwitchesPerCooldown))), 18)}` +
      `${pad(`${results.filter((r) => r.final === r.oracle).length}/${SEEDS}`, 16)}` +
      `${pad(`${median(losses).toFixed(1)}, ${Math.max(...losses).toFixed(1)}`, 28)}` +
      `${results.filter((r) => r.mismatchRaised).length}/${SEEDS}`,
  );
}
const example = simulate({ ...DEFAULT_SIMULATION, seed: 1, scenario: 'acceptance-drop' });
console.log(`\nexample (acceptance-drop, seed 1): start ${example.initial}`);
for (const s of example.switches) console.log(`  t=${s.atSeconds} s  ${s.from} -> ${s.to}  (${s.reason})`);
console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
