// One report of every benchmark: runs each script (planner, data plane, selection regret, fleet scale) as its
// own process, one after another so they do not share the CPU, passes their progress through on stderr, then
// prints every script's figures together with the load average around it, and writes them to
// .run/bench-results/report.json. Run: make bench; or node dist/bench/report.js [planner dataplane regret fleet].
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const results = join(repo, '.run', 'bench-results');

const BENCHES = {
  planner: { title: 'Planner speed (make bench-planner)', json: undefined },
  dataplane: { title: 'Data plane on loopback (make bench-dataplane)', json: undefined },
  regret: { title: 'Selection regret (make bench-regret)', json: 'regret.json' },
  fleet: { title: 'Fleet scale (make bench-fleet)', json: 'fleet.json' },
} as const;
type Bench = keyof typeof BENCHES;

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(2);
}
const selected = (requested.length > 0 ? requested : Object.keys(BENCHES)) as Bench[];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Run {
  name: Bench;
  exitCode: number;
  seconds: number;
  loadBefore: string;
  loadAfter: string;
  stdout: string;
  figures?: unknown;
}

function runOne(name: Bench): Promise<Run> {
  const loadBefore = load();
  const started = Date.now();
  process.stderr.write(`\n=== ${BENCHES[name].title} ===\n`);
  const child = spawn(process.execPath, [join(here, `${name}.js`)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    process.stderr.write(chunk);
  });
  return new Promise((ok) =>
    child.on('close', (code) => {
      const file = BENCHES[name].json;
      const path = file ? join(results, file) : undefined;
      const fresh = path && existsSync(path) && readFileSync(path, 'utf8');
      ok({
        name,
        exitCode: code ?? -1,
        seconds: (Date.now() - started) / 1000,
        loadBefore,
        loadAfter: load(),
        stdout: stdout.trimEnd(),
        ...(code === 0 && fresh ? { figures: JSON.parse(fresh) as unknown } : {}),
      });
    }),
  );
}

const runs: Run[] = [];
for (const name of selected) runs.push(await runOne(name));

const out: string[] = [];
out.push('');
out.push(
  `ConfigSpec benchmark report — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPU(s) (shared: figures move with the load average shown, 1/5/15 min)`,
);
for (const run of runs) {
  out.push('');
  out.push(
    `## ${BENCHES[run.name].title} — ${run.exitCode === 0 ? 'ok' : `FAILED (exit ${run.exitCode})`}, ${run.seconds.toFixed(0)} s, load ${run.loadBefore} → ${run.loadAfter}`,
  );
  out.push(run.stdout || '(no figures printed)');
}
process.stdout.write(`${out.join('\n')}\n`);
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, 'report.json'),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, runs }, null, 2)}\n`,
);
process.stderr.write(`\n(report written to ${join(results, 'report.json')})\n`);
process.exit(runs.every((r) => r.exitCode === 0) ? 0 : 1);
