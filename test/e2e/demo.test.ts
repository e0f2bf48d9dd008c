// End to end on one machine, through `make demo` itself (hack/demo.sh) on its own control plane in .run/e2e:
// the operator profiles on the process kubelet's nodes with real llama.cpp, the selection follows from those
// measured profiles, and a prompt sent to a real drafter is answered with the real verifier. Then the closed
// loop on the same cluster: one class's drafter is made to serve a draft whose real acceptance is far below its
// profile, traffic flows through it, and the operator must observe, correct and switch once. Finally
// `demo.sh down` must leave no pod process behind.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, testbinDir } from '../support/cluster.js';

// CONFIGSPEC_E2E_DIR and CONFIGSPEC_E2E_POD_NETWORK run it elsewhere (a developer's own demo cluster, which
// hack/demo.sh then reuses and the suite stops at the end).
const runDir = process.env.CONFIGSPEC_E2E_DIR ?? join(repoRoot, '.run', 'e2e');
const env = {
  ...process.env,
  CONFIGSPEC_DEMO_DIR: runDir,
  // Apart from a demo that may run on this machine at the same time.
  CONFIGSPEC_DEMO_POD_NETWORK: process.env.CONFIGSPEC_E2E_POD_NETWORK ?? '127.78',
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
    status: {
      deviceClasses: {
        name: string;
        selected: Selection;
        basis: Record<string, string>;
        observed?: { rounds: number };
      }[];
    };
  };
  expect(sdd.status.deviceClasses).toHaveLength(2);
  for (const c of sdd.status.deviceClasses) {
    expect(c.basis).toMatchObject({ acceptance: 'Measured', network: 'Measured' });
    // `configspec plan` sees profiles only. A class that served traffic (the demo's prompt goes through the
    // Raspberry Pi 5 drafter) is planned on profiles corrected by what its drafter measured, so it may differ;
    // it then shows that evidence in status.
    if (c.observed) expect(c.observed.rounds).toBeGreaterThan(0);
    else expect(plannedClasses.find((p) => p.name === c.name)?.selected).toEqual(c.selected);
    // Which draft wins is not fixed: drafting speed is measured on a shared machine, and a profile taken while it
    // was busy can favour the 60 % draft at a small K. What must hold is that the choice follows the profiles.
  }
});

// The closed loop (issue 9's done-when). The demo's operator reads the drafters' /metrics every 5 s
// (hack/demo.sh) and the demo's policy has a 60 s cooldown and a 5 % threshold.
describe('closed loop: a drafter that serves far below its profile', () => {
  const namespace = 'configspec-demo';
  const deviceClass = 'raspberry-pi-5';
  // Generous bounds on a shared 2-core machine; the measured times are printed.
  const OBSERVE_BOUND_MS = 4 * 60_000;
  const SWITCH_BOUND_MS = 6 * 60_000;
  const AFTER_SWITCH_MS = 60_000;
  const run = promisify(execFile);
  const kubectlAsync = async (args: string[]) =>
    (
      await run(join(testbinDir(), 'kubectl'), ['--kubeconfig', join(runDir, 'kubeconfig'), ...args], {
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  interface ObservedStatus {
    configuration: Selection;
    rounds: number;
    figures: { acceptanceRate: number; goodputTokensPerSecond: number };
    predicted: { acceptanceRate: number; goodputTokensPerSecond: number };
    gap: { acceptance: number };
    residualGap: { acceptance: number };
    weights: { acceptance: number };
  }
  interface ClassStatus {
    name: string;
    selected?: Selection;
    reason?: string;
    message?: string;
    observed?: ObservedStatus;
  }
  interface PodObject {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
    spec: { containers: { name: string; args?: string[] }[] };
    status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; restartCount: number }[] };
  }

  const classStatus = async (): Promise<ClassStatus> => {
    const sdd = JSON.parse(await kubectlAsync(['get', 'sdd', 'demo-chat', '-n', namespace, '-o', 'json'])) as {
      status: { deviceClasses: ClassStatus[] };
    };
    return sdd.status.deviceClasses.find((c) => c.name === deviceClass)!;
  };
  const podDraft = (pod: PodObject) => {
    const args = pod.spec.containers.find((c) => c.name === 'drafter')?.args ?? [];
    return args[args.indexOf('--model') + 1];
  };
  /** The class's ready drafter pod (of `draft` when given). */
  const readyDrafter = async (draft?: string): Promise<PodObject | undefined> => {
    const pods = JSON.parse(
      await kubectlAsync([
        'get',
        'pods',
        '-n',
        namespace,
        '-l',
        `app.kubernetes.io/component=drafter,configspec.io/device-class=${deviceClass}`,
        '-o',
        'json',
      ]),
    ).items as PodObject[];
    return pods.find(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.phase === 'Running' &&
        p.status.podIP &&
        (p.status.containerStatuses ?? []).length > 0 &&
        p.status.containerStatuses!.every((c) => c.ready) &&
        (draft === undefined || podDraft(p) === draft),
    );
  };

  /** Completions sent one after another to whatever `target()` names, until stopped. */
  function traffic(target: () => string | undefined) {
    const stats = { requests: 0, tokens: 0, errors: 0 };
    const prompts = ['the quick brown fox', 'once upon a time', 'in the beginning', 'a small model', 'hello world'];
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const base = target();
        if (!base) {
          await sleep(1000);
          continue;
        }
        try {
          const response = await fetch(`${base}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ prompt: prompts[stats.requests % prompts.length], max_tokens: 64, temperature: 0 }),
            signal: AbortSignal.timeout(60_000),
          });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const body = (await response.json()) as { usage?: { completion_tokens?: number } };
          stats.tokens += body.usage?.completion_tokens ?? 0;
          stats.requests += 1;
        } catch {
          stats.errors += 1; // a drafter restarting or rolling: try again shortly
          await sleep(1000);
        }
      }
    })();
    return {
      stats,
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  it(
    'observes the real acceptance, corrects the model and switches once to the configuration now best, with an Event',
    async () => {
      expect(exitCode).toBe(0);
      const before = await classStatus();
      const degraded = before.selected!;
      const pod = (await readyDrafter(degraded.draft))!;
      expect(pod).toBeDefined();

      // A draft that agrees with the same target on ~10 % of tokens (the profiles say 60 % or 90 %).
      const modelsDir = join(runDir, 'models-closed-loop');
      mkdirSync(modelsDir, { recursive: true });
      const generated = JSON.parse(
        (
          await run(process.execPath, [
            join(repoRoot, 'bin', 'configspec.js'),
            'gen-models',
            '--seed',
            '7',
            '--acceptance',
            '0.1',
            '--encodings',
            'Q8_0',
            '--target-encoding',
            'F16',
            '--dir',
            modelsDir,
          ])
        ).stdout,
      ) as { role: string; path: string }[];
      const lowDraft = resolve(repoRoot, generated.find((m) => m.role === 'draft')!.path);

      // The pod's model file (its fetch step linked it into the pod's volume) now names the low-acceptance draft;
      // the drafter process is restarted by the process kubelet (restartPolicy Always) and loads it. Same pod, same
      // arguments: the operator still believes it serves the profiled draft.
      const podDir = join(runDir, 'kubelet', 'pods', `${namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
      const modelFile = join(podDir, 'volumes', 'models', 'model.gguf');
      symlinkSync(lowDraft, `${modelFile}.closed-loop`);
      renameSync(`${modelFile}.closed-loop`, modelFile);
      const drafterPids = spawnSync('pgrep', ['-f', `${podDir}/`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => {
          const args = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout;
          return / draft --model /.test(args);
        });
      expect(drafterPids).toHaveLength(1);
      const restarts = pod.status!.containerStatuses![0]!.restartCount;
      const changedAt = Date.now();
      process.kill(drafterPids[0]!, 'SIGTERM');
      console.log(
        `closed loop: ${deviceClass} served ${degraded.draft} K=${degraded.k}; its drafter now loads a 10 % draft`,
      );

      let target: string | undefined;
      const load = traffic(() => target);
      const timeline: { at: number; selected: Selection; reason?: string }[] = [];
      let firstObserved: { at: number; observed: ObservedStatus } | undefined;
      let lastObserved: ObservedStatus | undefined;
      let switched: { at: number; status: ClassStatus } | undefined;
      try {
        // 1. The restarted drafter (same pod) takes traffic; the observed acceptance reaches status; one switch.
        while (!switched) {
          const elapsed = Date.now() - changedAt;
          if (!firstObserved) expect(elapsed).toBeLessThan(OBSERVE_BOUND_MS);
          expect(elapsed).toBeLessThan(SWITCH_BOUND_MS);
          if (!target) {
            const restarted = await readyDrafter(degraded.draft);
            if (restarted && restarted.status!.containerStatuses![0]!.restartCount > restarts)
              target = `http://${restarted.status!.podIP}:8080`;
          }
          const status = await classStatus();
          const last = timeline.at(-1);
          if (!last || JSON.stringify(last.selected) !== JSON.stringify(status.selected))
            timeline.push({ at: Date.now(), selected: status.selected!, reason: status.reason });
          // The latest figures of the failing configuration (after the switch, status keeps showing them until
          // the new drafter has been observed).
          if (status.observed?.configuration.draft === degraded.draft && status.observed.rounds > 0) {
            lastObserved = status.observed;
            if (!firstObserved && status.observed.gap.acceptance < -0.4)
              firstObserved = { at: Date.now(), observed: status.observed };
          }
          if (status.selected?.draft !== degraded.draft) switched = { at: Date.now(), status };
          else await sleep(2000);
        }
        // 2. The rest of the test: traffic through the new drafter once it serves; the selection must hold.
        target = undefined;
        const until = Date.now() + AFTER_SWITCH_MS;
        while (Date.now() < until) {
          const next = await readyDrafter(switched.status.selected!.draft);
          target = next ? `http://${next.status!.podIP}:8080` : undefined;
          const status = await classStatus();
          if (JSON.stringify(timeline.at(-1)!.selected) !== JSON.stringify(status.selected))
            timeline.push({ at: Date.now(), selected: status.selected!, reason: status.reason });
          await sleep(2000);
        }
      } finally {
        await load.stop();
      }
      const seconds = (at: number) => ((at - changedAt) / 1000).toFixed(0);
      console.log(
        [
          `closed loop: traffic ${load.stats.requests} requests, ${load.stats.tokens} tokens (${load.stats.errors} failed tries)`,
          `  observed in status after ${firstObserved ? seconds(firstObserved.at) : '-'} s; last before the switch: ${JSON.stringify(lastObserved)}`,
          `  switched after ${seconds(switched.at)} s: ${switched.status.message}`,
          ...timeline.map(
            (t) =>
              `  t=${seconds(t.at)} s ${t.selected.draft} ${t.selected.quantization} K=${t.selected.k} (${t.reason})`,
          ),
        ].join('\n'),
      );

      // The observed acceptance appeared in status, far below the profiles' prediction, and carries weight.
      expect(firstObserved).toBeDefined();
      const observed = lastObserved!;
      expect(observed.configuration).toMatchObject({ draft: degraded.draft, quantization: degraded.quantization });
      expect(observed.predicted.acceptanceRate).toBeGreaterThan(0.5);
      expect(observed.gap.acceptance).toBeLessThan(-0.4);
      expect(observed.weights.acceptance).toBeGreaterThan(0);
      // Corrected: the model's acceptance moved towards what serving shows (the residual gap is the smaller).
      expect(Math.abs(observed.residualGap.acceptance)).toBeLessThan(Math.abs(observed.gap.acceptance));
      // Switched to the other draft exactly once, and never back during the rest of the test.
      const drafts = timeline.map((t) => t.selected.draft).filter((d, i, all) => i === 0 || d !== all[i - 1]);
      expect(drafts).toEqual([degraded.draft, switched.status.selected!.draft]);
      expect(switched.status.selected!.draft).not.toBe(degraded.draft);
      // The Event says why: the switch, and what serving observed against what the profiles predicted.
      const events = JSON.parse(await kubectlAsync(['get', 'events.events.k8s.io', '-n', namespace, '-o', 'json']))
        .items as { reason: string; note?: string; eventTime?: string; metadata: { creationTimestamp: string } }[];
      const switches = events.filter(
        (e) =>
          e.reason === 'ConfigurationSwitched' &&
          e.note?.startsWith(`${deviceClass}: `) &&
          Date.parse(e.eventTime ?? e.metadata.creationTimestamp) >= changedAt - 1000,
      );
      console.log(`closed loop: events after the change:\n${switches.map((e) => `  ${e.note}`).join('\n')}`);
      const toNewDraft = switches.filter((e) =>
        e.note!.startsWith(`${deviceClass}: ${switched!.status.selected!.draft} `),
      );
      expect(toNewDraft.length).toBeGreaterThanOrEqual(1);
      expect(toNewDraft[0]!.note).toMatch(
        new RegExp(`serving ${degraded.draft} ${degraded.quantization} K=\\d+ observed acceptance 0\\.[0-4]`),
      );
      // Hysteresis: on partial evidence the model may first re-tune K of the failing draft, but never two
      // switches of the class within one cooldown (the demo's is 60 s; lastChangeTime has whole seconds).
      const times = switches.map((e) => Date.parse(e.eventTime ?? e.metadata.creationTimestamp)).sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(59_000);
    },
    15 * 60_000,
  );
});
