// `configspec verify`: the verifier server (target model on a GPU node, or CPU for the test models).
import type { Command } from 'commander';
import { DEFAULT_VERIFIER_OPTIONS } from '../../agent/verifier/engine.js';
import { startVerifier } from '../../agent/verifier/run.js';
import { resolveModelPath } from '../../agent/model-path.js';

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** --busy-poll-ms: a window in ms, 0 (off) to 100. */
export function busyPollWindow(value: string): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new Error(`--busy-poll-ms must be a number of ms from 0 (off) to 100, got "${value}"`);
  }
  return n;
}

export const BUSY_POLL_HELP =
  'poll instead of sleeping while the next message is due, up to this many ms (0 = off): saves the wake-up of an idle core per message at the cost of keeping one busy';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Serve speculative-decoding verification (POST /v1/verify) for a target GGUF model')
    .requiredOption(
      '--model <path>',
      'target model (GGUF file, or its name with --model-source)',
      process.env.CONFIGSPEC_MODEL,
    )
    .option('--model-source <uri>', 'file:// URI of the model (as the operator passes it)')
    .option('--model-sha256 <hex>', 'expected SHA-256 of the model file (checked by the fetch step)')
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <n>', 'port', positiveInteger('--port'), 8081)
    .option('--threads <n>', 'llama.cpp threads', positiveInteger('--threads'), DEFAULT_VERIFIER_OPTIONS.threads)
    .option('--sequences <n>', 'sequences evaluated together (batching width)', positiveInteger('--sequences'), 4)
    .option('--context-size <n>', 'tokens per sequence', positiveInteger('--context-size'), 2048)
    .option('--max-waiting <n>', 'queued requests before 503', positiveInteger('--max-waiting'), 64)
    .option('--max-sessions <n>', 'sessions whose context is remembered', positiveInteger('--max-sessions'), 1024)
    .option('--busy-poll-ms <ms>', `after the last answer, ${BUSY_POLL_HELP}`, busyPollWindow, 0)
    .action(
      async (options: {
        model: string;
        modelSource?: string;
        host: string;
        port: number;
        threads: number;
        sequences: number;
        contextSize: number;
        maxWaiting: number;
        maxSessions: number;
        busyPollMs: number;
      }) => {
        const modelPath = resolveModelPath(options.model, options.modelSource);
        process.stderr.write(`verifier: loading ${modelPath}\n`);
        const verifier = await startVerifier(
          {
            modelPath,
            threads: options.threads,
            sequences: options.sequences,
            contextSize: options.contextSize,
            maxWaiting: options.maxWaiting,
            maxSessions: options.maxSessions,
          },
          { host: options.host, port: options.port, busyPollMs: options.busyPollMs },
        );
        process.stderr.write(`verifier: ready on ${verifier.url}\n`);
        const stop = (): void => void verifier.close().then(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}
