// `configspec gen-models`: writes the generated test target and drafts (tiny llama GGUF files with set
// acceptance) into the model cache and prints where they are.
import type { Command } from 'commander';
import { generateDemoModels } from '../../agent/gguf/demo-models.js';
import { modelCacheDir } from '../../agent/gguf/model-cache.js';

const ENCODINGS = ['F16', 'Q8_0'] as const;
type Encoding = (typeof ENCODINGS)[number];

function parseEncoding(value: string): Encoding {
  if (!(ENCODINGS as readonly string[]).includes(value)) {
    throw new Error(`unknown encoding ${value}; use one of ${ENCODINGS.join(', ')}`);
  }
  return value as Encoding;
}

export function parseAcceptances(value: string): number[] {
  return value.split(',').map((part) => {
    const rate = Number(part);
    if (!(rate >= 0 && rate <= 1)) throw new Error(`acceptance must be a number in [0, 1], got "${part}"`);
    return rate;
  });
}

export function registerGenModelsCommand(program: Command): void {
  program
    .command('gen-models')
    .description('Generate tiny test models (a target and drafts with set acceptance) into the model cache')
    .option('--dir <path>', 'output directory', modelCacheDir())
    .option('--seed <n>', 'seed of the target Markov chain', '1')
    .option('--acceptance <list>', 'comma-separated draft acceptance rates', '0.5,0.7,0.9')
    .option('--encodings <list>', 'draft encodings (F16, Q8_0)', 'F16,Q8_0')
    .option('--target-encoding <enc>', 'target encoding', 'F16')
    .action((options: { dir: string; seed: string; acceptance: string; encodings: string; targetEncoding: string }) => {
      const seed = Number(options.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer`);
      const models = generateDemoModels({
        dir: options.dir,
        seed,
        acceptances: parseAcceptances(options.acceptance),
        encodings: options.encodings.split(',').map(parseEncoding),
        targetEncoding: parseEncoding(options.targetEncoding),
      });
      const summary = models.map(({ role, path, encoding, acceptance }) => ({ role, encoding, acceptance, path }));
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });
}
