// `configspec fetch`: make one model file present and verified — the init container of every pod that runs a
// model, and usable by hand. Every input is a flag (or the env var named in its help), so a pod spec, a
// process-run pod and a shell all say the same thing. Exit 0: the file is at --output (or in the node cache);
// 1: it could not be fetched or did not verify (the message says which file and why); 2: bad arguments.
import type { Command } from 'commander';
import { DEFAULT_CACHE_DIR, parseHolder, type PinHolder } from '../../agent/fetch/cache.js';
import { fetchModel, readToken } from '../../agent/fetch/fetch.js';
import { SourceError } from '../../agent/fetch/source.js';

const SIZE = /^(\d+(?:\.\d+)?)\s*(|k|M|G|T|Ki|Mi|Gi|Ti)B?$/;
const FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** "20Gi", "500M", "1048576" → bytes. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a size (e.g. 20Gi, 500M or a number of bytes)`);
  return Math.round(Number(match[1]) * FACTORS[match[2]!]!);
}

function bytes(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (bytes)`);
    return n;
  };
}

export interface FetchFlags {
  uri?: string;
  revision?: string;
  sha256?: string;
  size?: number;
  output?: string;
  cacheDir: string;
  via?: string;
  budget?: string;
  tokenFile?: string;
  holder?: string;
  retries: string;
}

export function registerFetchCommand(program: Command): void {
  program
    .command('fetch')
    .description('Download a model file into the node cache, resumably, and verify its size and SHA-256')
    .option(
      '--uri <uri>',
      'source: https://…, hf://org/repo/file.gguf or file:///path ($CONFIGSPEC_MODEL_URI)',
      process.env.CONFIGSPEC_MODEL_URI,
    )
    .option('--revision <rev>', 'hf:// only: branch, tag or commit (default main)')
    .option('--sha256 <hex>', 'expected SHA-256 (64 lower-case hex digits)')
    .option('--size <bytes>', 'expected size in bytes', bytes('--size'))
    .option('--output <path>', 'where the verified file must appear (omit to only fill the node cache)')
    .option(
      '--cache-dir <dir>',
      'node cache directory used directly ($CONFIGSPEC_MODEL_CACHE_DIR, which also wins over --via)',
      process.env.CONFIGSPEC_MODEL_CACHE_DIR ?? DEFAULT_CACHE_DIR,
    )
    .option('--via <url>', 'node cache agent to fetch through (pods without hostPath)')
    .option(
      '--budget <size>',
      'cache size budget in direct mode, e.g. 20Gi (least recently used files not in use go first)',
    )
    .option('--token-file <path>', 'bearer token for a private source (a mounted Secret key)')
    .option(
      '--holder <holder>',
      'pin the file for pod/<uid>, pid/<n> or lease/<id>/<seconds> (default pod/$POD_UID when set)',
    )
    .option('--retries <n>', 'download attempts after a failed one, each resuming', '5')
    .action(async (flags: FetchFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      if (!flags.uri) {
        log('fetch: no source: pass --uri (or set CONFIGSPEC_MODEL_URI)');
        process.exit(2);
      }
      let holder: PinHolder | undefined;
      try {
        holder = flags.holder
          ? parseHolder(flags.holder)
          : process.env.POD_UID
            ? { kind: 'pod', uid: process.env.POD_UID }
            : undefined;
      } catch (err) {
        log(`fetch: ${(err as Error).message}`);
        process.exit(2);
      }
      const direct = process.env.CONFIGSPEC_MODEL_CACHE_DIR !== undefined || flags.via === undefined;
      try {
        const outcome = await fetchModel({
          source: {
            uri: flags.uri,
            ...(flags.revision ? { revision: flags.revision } : {}),
            ...(flags.sha256 ? { sha256: flags.sha256 } : {}),
            ...(flags.size ? { sizeBytes: flags.size } : {}),
          },
          output: flags.output,
          ...(direct ? { cacheDir: flags.cacheDir } : { via: flags.via }),
          budgetBytes: flags.budget ? parseSize(flags.budget) : undefined,
          token: flags.tokenFile ? await readToken(flags.tokenFile) : undefined,
          holder,
          log,
          retries: Number(flags.retries),
        });
        process.stdout.write(`${JSON.stringify(outcome)}\n`);
      } catch (err) {
        log(`fetch: FAILED: ${(err as Error).message}`);
        process.exit(err instanceof SourceError ? 2 : 1);
      }
    });
}
