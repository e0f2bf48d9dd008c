// `configspec verify`: the verifier server (target model on a GPU node, or CPU for the test models).
import type { Command } from 'commander';
import { DEFAULT_VERIFIER_OPTIONS } from '../../agent/verifier/engine.js';
import { startVerifier } from '../../agent/verifier/run.js';

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Serve speculative-decoding verification (POST /v1/verify) for a target GGUF model')
    .requiredOption('--model <path>', 'target model (GGUF)', process.env.CONFIGSPEC_MODEL)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <n>', 'port', positiveInteger('--port'), 8081)
    .option('--threads <n>', 'llama.cpp threads', positiveInteger('--threads'), DEFAULT_VERIFIER_OPTIONS.threads)
    .option('--sequences <n>', 'sequences evaluated together (batching width)', positiveInteger('--sequences'), 4)
    .option('--context-size <n>', 'tokens per sequence', positiveInteger('--context-size'), 2048)
    .option('--max-waiting <n>', 'queued requests before 503', positiveInteger('--max-waiting'), 64)
    .option('--max-sessions <n>', 'sessions whose context is remembered', positiveInteger('--max-sessions'), 1024)
    .action(
      async (options: {
        model: string;
        host: string;
        port: number;
        threads: number;
        sequences: number;
        contextSize: number;
        maxWaiting: number;
        maxSessions: number;
      }) => {
        process.stderr.write(`verifier: loading ${options.model}\n`);
        const verifier = await startVerifier(
          {
            modelPath: options.model,
            threads: options.threads,
            sequences: options.sequences,
            contextSize: options.contextSize,
            maxWaiting: options.maxWaiting,
            maxSessions: options.maxSessions,
          },
          { host: options.host, port: options.port },
        );
        process.stderr.write(`verifier: ready on ${verifier.url}\n`);
        const stop = (): void => void verifier.close().then(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}
