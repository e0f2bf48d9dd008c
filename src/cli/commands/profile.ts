// `configspec profile`: the profiling Job. Measures the draft on this device and its alignment with the live
// verifier, then writes DraftProfile / AlignmentProfile status (or prints JSON with --output json).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Quantization } from '../../api/types.js';
import { QUANTIZATIONS } from '../../api/types.js';
import { builtinPrompts, readPromptFile } from '../../agent/prompts.js';
import { detectPowerMeter } from '../../agent/profiler/power.js';
import { runProfile, type ProfileResult } from '../../agent/profiler/profile.js';
import { writeProfileStatuses, type ProfileWrite } from '../../k8s/profile-status.js';
import { resolveModelPath } from '../../agent/model-path.js';
import { BUSY_POLL_HELP, busyPollWindow } from './verify.js';

interface ProfileFlags {
  model?: string;
  draftSource?: string;
  profileKind?: string;
  profileName?: string;
  verifier: string;
  kValues: string;
  repetitions: string;
  acceptanceK: string;
  maxTokens: string;
  prompts?: string;
  promptsFile?: string;
  promptCount: string;
  rttSamples: string;
  temperature: string;
  threads: string;
  sysfsRoot: string;
  idleWatts?: string;
  maxWatts?: string;
  idleWindowMs: string;
  busyPollMs: number;
  output: string;
  draftProfile?: string;
  alignmentProfile?: string;
  deviceClass?: string;
  draft?: string;
  quantization?: string;
  target?: string;
  promptSet: string;
  kubeconfig?: string;
  node?: string;
}

function integer(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function optionalNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a non-negative number, got "${value}"`);
  return n;
}

function quantization(value: string | undefined): Quantization | undefined {
  if (value === undefined) return undefined;
  if (!(QUANTIZATIONS as readonly string[]).includes(value)) {
    throw new Error(`--quantization must be one of ${QUANTIZATIONS.join(', ')}`);
  }
  return value as Quantization;
}

function writesFor(result: ProfileResult, flags: ProfileFlags): ProfileWrite[] {
  const writes: ProfileWrite[] = [];
  const q = quantization(flags.quantization);
  if (flags.draftProfile) {
    writes.push({
      kind: 'DraftProfile',
      name: flags.draftProfile,
      spec:
        flags.deviceClass && flags.draft && q
          ? { deviceClass: flags.deviceClass, draft: flags.draft, quantization: q }
          : undefined,
      status: { ...result.draftProfile, node: flags.node ?? process.env.NODE_NAME ?? hostname() },
    });
  }
  if (flags.alignmentProfile) {
    writes.push({
      kind: 'AlignmentProfile',
      name: flags.alignmentProfile,
      spec:
        flags.draft && q && flags.target
          ? { draft: flags.draft, quantization: q, target: flags.target, promptSet: flags.promptSet }
          : undefined,
      status: result.alignmentProfile,
    });
  }
  return writes;
}

/** The operator's Jobs name one profile (--profile-kind, --profile-name); a person may give both kinds at once. */
function applyProfileKind(flags: ProfileFlags): void {
  if (flags.profileKind === undefined && flags.profileName === undefined) return;
  if (!flags.profileName) throw new Error('--profile-kind needs --profile-name');
  if (flags.profileKind === 'DraftProfile') flags.draftProfile = flags.profileName;
  else if (flags.profileKind === 'AlignmentProfile') flags.alignmentProfile = flags.profileName;
  else throw new Error('--profile-kind must be DraftProfile or AlignmentProfile');
}

function draftModelPath(flags: ProfileFlags): string {
  if (flags.model !== undefined) return flags.model;
  if (flags.draft !== undefined && flags.draftSource !== undefined) {
    return resolveModelPath(flags.draft, flags.draftSource);
  }
  throw new Error('give the draft model: --model <path>, or --draft <name> with --draft-source <uri>');
}

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description('Measure a draft model on this device against a live verifier and record the profiles')
    .option(
      '--model <path>',
      'draft model (GGUF); --draft with --draft-source also names it',
      process.env.CONFIGSPEC_MODEL,
    )
    .option('--draft-source <uri>', 'file:// URI of the draft model (as the operator passes it)')
    .option('--draft-sha256 <hex>', 'expected SHA-256 of the draft file (checked by the fetch step)')
    .option('--target-source <uri>', 'source of the target model (the live verifier serves it; recorded only)')
    .option('--target-sha256 <hex>', 'expected SHA-256 of the target file (checked by the fetch step)')
    .option('--profile-kind <kind>', 'DraftProfile or AlignmentProfile: the one profile to write (with --profile-name)')
    .option('--profile-name <name>', 'name of the profile of --profile-kind')
    .requiredOption('--verifier <url>', 'verifier base URL', process.env.CONFIGSPEC_VERIFIER_URL)
    .option('--k-values <list>', 'K values for the drafting-time fit', '1,2,4,8')
    .option('--repetitions <n>', 'drafting-time samples per K', '8')
    .option('--acceptance-k <n>', 'K of the acceptance runs', '8')
    .option('--max-tokens <n>', 'tokens generated per prompt in the acceptance runs', '32')
    .option('--prompts <file>', 'prompt file (one per line, or a JSON array); the built-in set otherwise')
    .option('--prompts-file <file>', "the same as --prompts (the name the operator's Jobs use)")
    .option('--prompt-count <n>', 'prompts taken from the built-in set', '32')
    .option(
      '--rtt-samples <n>',
      'idle round trips to /healthz, reported only (RTT comes from the verification rounds)',
      '20',
    )
    .option('--temperature <t>', 'sampling temperature of the acceptance runs (0 = greedy)', '0')
    .option('--threads <n>', 'llama.cpp threads', '1')
    .option('--sysfs-root <path>', 'where sysfs is mounted (power sensors)', '/sys')
    .option(
      '--idle-watts <w>',
      'DeviceClass idle watts, used when no power sensor exists',
      process.env.CONFIGSPEC_IDLE_WATTS,
    )
    .option(
      '--max-watts <w>',
      'DeviceClass max watts, used when no power sensor exists',
      process.env.CONFIGSPEC_MAX_WATTS,
    )
    .option('--idle-window-ms <n>', 'how long idle power is measured', '1000')
    .option(
      '--busy-poll-ms <ms>',
      `as the drafter's --busy-poll-ms (give both the same, so that the profile measures the rounds it will serve): ${BUSY_POLL_HELP}`,
      busyPollWindow,
      0,
    )
    .option('--output <mode>', 'k8s (write status) or json (print only)', 'k8s')
    .option('--draft-profile <name>', 'DraftProfile to write')
    .option('--alignment-profile <name>', 'AlignmentProfile to write')
    .option('--device-class <name>', 'spec.deviceClass, when the DraftProfile must be created')
    .option('--draft <name>', 'spec.draft, when a profile must be created')
    .option('--quantization <q>', 'spec.quantization, when a profile must be created')
    .option('--target <name>', 'spec.target of the AlignmentProfile, when it must be created')
    .option('--prompt-set <name>', 'spec.promptSet of the AlignmentProfile', 'builtin')
    .option('--kubeconfig <path>', 'kubeconfig (in-cluster credentials or $KUBECONFIG otherwise)')
    .option('--node <name>', 'node name recorded in the DraftProfile ($NODE_NAME by default)')
    .action(async (flags: ProfileFlags) => {
      const progress = (message: string): void => void process.stderr.write(`profile: ${message}\n`);
      try {
        if (flags.output !== 'json' && flags.output !== 'k8s') throw new Error('--output must be json or k8s');
        applyProfileKind(flags);
        const modelPath = draftModelPath(flags);
        const promptFile = flags.prompts ?? flags.promptsFile;
        if (flags.output === 'k8s' && !flags.draftProfile && !flags.alignmentProfile) {
          throw new Error('--output k8s needs --draft-profile and/or --alignment-profile (or use --output json)');
        }
        const idle = optionalNumber('--idle-watts', flags.idleWatts);
        const max = optionalNumber('--max-watts', flags.maxWatts);
        const powerMeter = detectPowerMeter(flags.sysfsRoot);
        progress(
          powerMeter
            ? `power sensor: ${powerMeter.sensor}`
            : 'no power sensor: power is estimated from the DeviceClass',
        );
        if (!powerMeter && (idle === undefined || max === undefined)) {
          progress('warning: no sensor and no --idle-watts/--max-watts, so power stays unset');
        }
        const kValues = flags.kValues.split(',').map((v) => integer('--k-values', v, 1));
        // The profiles' per-K tables hold K up to 32 (their CRDs' bound): refuse more here, not at the status write.
        const tooLarge = kValues.find((k) => k > 32);
        if (tooLarge !== undefined)
          throw new Error(`--k-values: ${tooLarge} is above 32, the largest K a profile records`);
        const result = await runProfile({
          draftModelPath: modelPath,
          verifierUrl: flags.verifier,
          prompts: promptFile
            ? readPromptFile(promptFile)
            : builtinPrompts(integer('--prompt-count', flags.promptCount, 1)),
          draftKs: kValues,
          repetitions: integer('--repetitions', flags.repetitions, 1),
          acceptanceK: integer('--acceptance-k', flags.acceptanceK, 1),
          maxTokens: integer('--max-tokens', flags.maxTokens, 2),
          verifyKs: [0, ...kValues],
          verifyPromptsPerK: 4,
          rttSamples: integer('--rtt-samples', flags.rttSamples, 1),
          temperature: optionalNumber('--temperature', flags.temperature) ?? 0,
          threads: integer('--threads', flags.threads, 1),
          powerMeter,
          estimatedWatts: idle !== undefined && max !== undefined ? { idle, max } : undefined,
          idleWindowMs: integer('--idle-window-ms', flags.idleWindowMs, 1),
          busyPollMs: flags.busyPollMs,
          progress,
        });
        if (flags.output === 'json') {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          const writes = writesFor(result, flags);
          progress(`writing ${writes.map((w) => `${w.kind}/${w.name}`).join(', ')}`);
          await writeProfileStatuses(writes, { kubeconfig: flags.kubeconfig });
          progress('done');
        }
      } catch (err) {
        process.stderr.write(`profile: failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
      // A Job's process must end even if a native handle (llama.cpp, keep-alive sockets) lingers.
      process.exit(process.exitCode ?? 0);
    });
}
