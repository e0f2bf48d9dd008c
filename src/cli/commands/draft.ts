// `configspec draft`: the edge drafter with its OpenAI-compatible API, speculating against a remote verifier.
import type { Command } from 'commander';
import { startDrafter } from '../../agent/drafter/run.js';
import { MAX_K } from '../../agent/drafter/k-source.js';
import { BUSY_POLL_HELP, busyPollWindow, positiveInteger } from './verify.js';
import { resolveModelPath } from '../../agent/model-path.js';

function kValue(value: string): number {
  const k = Number(value);
  if (!Number.isInteger(k) || k < 0 || k > MAX_K) throw new Error(`--k must be an integer in [0, ${MAX_K}]`);
  return k;
}

export function registerDraftCommand(program: Command): void {
  program
    .command('draft')
    .description('Serve an OpenAI-compatible API, drafting locally and verifying remotely')
    .requiredOption(
      '--model <path>',
      'draft model (GGUF file, or its name with --model-source)',
      process.env.CONFIGSPEC_MODEL,
    )
    .option('--model-source <uri>', 'file:// URI of the model (as the operator passes it)')
    .option('--model-sha256 <hex>', 'expected SHA-256 of the model file (checked by the fetch step)')
    .option('--quantization <q>', 'quantisation of the model file (reported by /v1/models with the name)')
    .requiredOption('--verifier <url>', 'verifier base URL', process.env.CONFIGSPEC_VERIFIER_URL)
    .option('--k <n>', 'speculation length when no K file is given (0 = plain remote decoding)', kValue, 4)
    .option(
      '--k-file <path>',
      'file holding K, watched for changes (the ConfigMap mount)',
      process.env.CONFIGSPEC_K_FILE,
    )
    .option('--k-poll-ms <n>', 'K file polling interval', positiveInteger('--k-poll-ms'), 1000)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <n>', 'port', positiveInteger('--port'), 8080)
    .option('--threads <n>', 'llama.cpp threads', positiveInteger('--threads'), 1)
    .option('--sequences <n>', 'concurrent generations', positiveInteger('--sequences'), 2)
    .option('--context-size <n>', 'tokens per generation', positiveInteger('--context-size'), 2048)
    .option('--model-name <name>', 'model id reported by /v1/models')
    .option(
      '--verify-timeout-ms <n>',
      'timeout of one verification request',
      positiveInteger('--verify-timeout-ms'),
      10000,
    )
    .option('--busy-poll-ms <ms>', `after sending a round to the verifier, ${BUSY_POLL_HELP}`, busyPollWindow, 0)
    .action(
      async (options: {
        model: string;
        modelSource?: string;
        quantization?: string;
        verifier: string;
        k: number;
        kFile?: string;
        kPollMs: number;
        host: string;
        port: number;
        threads: number;
        sequences: number;
        contextSize: number;
        modelName?: string;
        verifyTimeoutMs: number;
        busyPollMs: number;
      }) => {
        const modelPath = resolveModelPath(options.model, options.modelSource);
        process.stderr.write(`drafter: loading ${modelPath}\n`);
        const drafter = await startDrafter({
          modelPath,
          verifierUrl: options.verifier,
          k: options.k,
          kFile: options.kFile,
          kPollMs: options.kPollMs,
          host: options.host,
          port: options.port,
          threads: options.threads,
          sequences: options.sequences,
          contextSize: options.contextSize,
          // The operator names the model; its quantisation makes the id unique among a draft's variants.
          modelName:
            options.modelName ??
            (options.modelSource
              ? [options.model, options.quantization].filter((part) => part !== undefined).join('-')
              : undefined),
          verifyTimeoutMs: options.verifyTimeoutMs,
          busyPollMs: options.busyPollMs,
        });
        process.stderr.write(
          `drafter: serving on ${drafter.url} (K=${drafter.k.current()}, verifier ${options.verifier})\n`,
        );
        const stop = (): void => void drafter.close().then(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}
