// End to end on one machine, through `make demo` itself (hack/demo.sh) on its own control plane in .run/e2e:
// the operator profiles on the process kubelet's nodes with real llama.cpp, the selection follows from those
// measured profiles, and a prompt sent to a real drafter is answered with the real verifier. Then `demo.sh down`
// must leave no pod process behind.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, testbinDir } from '../support/cluster.js';

const runDir = join(repoRoot, '.run', 'e2e');
const env = {
  ...process.env,
  CONFIGSPEC_DEMO_DIR: runDir,
  // Apart from a demo that may run on this machine at the same time.
  CONFIGSPEC_DEMO_POD_NETWORK: '127.78',
};
const DEMO_TIMEOUT_MS = 20 * 60_000;

interface Selection {
  draft: string;
  quantization: string;
  k: number;
}

interface ProfileObject {
  metadata: { name: string; managedFields?: { manager: string; subresource?: string }[] };
  spec: Record<string, string>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string }[] };
}

function kubectl(args: string[]): string {
  const result = spawnSync(join(testbinDir(), 'kubectl'), ['--kubeconfig', join(runDir, 'kubeconfig'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

let output = '';
let exitCode: number | null = null;

beforeAll(async () => {
  const child = spawn('bash', [join(repoRoot, 'hack', 'demo.sh')], { cwd: repoRoot, env });
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  exitCode = await new Promise((resolve) => child.on('exit', resolve));
}, DEMO_TIMEOUT_MS);

afterAll(() => {
  spawnSync('bash', [join(repoRoot, 'hack', 'demo.sh'), 'down'], { cwd: repoRoot, env, stdio: 'inherit' });
  const left = spawnSync('pgrep', ['-f', `${runDir}/kubelet/pods`], { encoding: 'utf8' });
  expect(left.stdout.trim()).toBe('');
}, 120_000);

it('runs to the end and answers the prompt through the drafter and verifier', () => {
  expect(exitCode).toBe(0);
  const tokens = /tokens generated:\s+(\d+) in ([0-9.]+) s/.exec(output);
  expect(Number(tokens?.[1])).toBe(64);
  const speculation = /(\d+) of (\d+) drafted tokens accepted/.exec(output);
  expect(Number(speculation?.[1])).toBeGreaterThan(0);
  expect(output).toMatch(/goodput:\s+[0-9.]+ tokens\/s/);
});

it('measured every profile with the profiler pods the process kubelet ran', () => {
  const draftProfiles = JSON.parse(kubectl(['get', 'draftprofiles', '-o', 'json', '--show-managed-fields']))
    .items as ProfileObject[];
  expect(draftProfiles).toHaveLength(4);
  for (const profile of draftProfiles) {
    expect(profile.status?.samples).toBeGreaterThan(0);
    // Measured on the process kubelet's node of its own class.
    expect(profile.status?.node).toBe(`local-${profile.spec.deviceClass!.replace(/-8gb$/, '')}-0`);
    expect(profile.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'configspec-profiler', subresource: 'status' }),
    );
  }
  const alignment = JSON.parse(kubectl(['get', 'alignmentprofiles', '-o', 'json'])).items as ProfileObject[];
  const acceptance = Object.fromEntries(alignment.map((p) => [p.spec.draft, p.status?.acceptanceRate as number]));
  // The drafts were generated to agree with the target on about 60 % and 90 % of tokens.
  expect(Math.abs(acceptance['tiny-draft-a60']! - 0.6)).toBeLessThanOrEqual(0.1);
  expect(Math.abs(acceptance['tiny-draft-a90']! - 0.9)).toBeLessThanOrEqual(0.1);
  const jobs = JSON.parse(kubectl(['get', 'jobs', '-n', 'configspec-system', '-o', 'json'])).items as {
    status?: { succeeded?: number };
  }[];
  expect(jobs.length).toBe(6);
  expect(jobs.every((job) => job.status?.succeeded === 1)).toBe(true);
});

it('selects per class what the cost model picks from those measured profiles', () => {
  const objects = kubectl([
    'get',
    'sdd,deviceclasses.configspec.io,draftprofiles,alignmentprofiles',
    '-A',
    '-o',
    'yaml',
  ]);
  const plan = spawnSync(process.execPath, [join(repoRoot, 'bin', 'configspec.js'), 'plan', '-f', '-', '-o', 'json'], {
    input: objects,
    encoding: 'utf8',
  });
  expect(plan.status).toBe(0);
  const planned = JSON.parse(plan.stdout) as {
    deployments: { name: string; classes: { name: string; selected?: Selection }[] }[];
  };
  const plannedClasses = planned.deployments.find((d) => d.name === 'demo-chat')!.classes;
  const sdd = JSON.parse(kubectl(['get', 'sdd', 'demo-chat', '-n', 'configspec-demo', '-o', 'json'])) as {
    status: { deviceClasses: { name: string; selected: Selection; basis: Record<string, string> }[] };
  };
  expect(sdd.status.deviceClasses).toHaveLength(2);
  for (const c of sdd.status.deviceClasses) {
    expect(c.basis).toMatchObject({ acceptance: 'Measured', network: 'Measured' });
    expect(plannedClasses.find((p) => p.name === c.name)?.selected).toEqual(c.selected);
    // Which draft wins is not fixed: drafting speed is measured on a shared machine, and a profile taken while it
    // was busy can favour the 60 % draft at a small K. What must hold is that the choice follows the profiles.
  }
});
