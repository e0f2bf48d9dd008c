// Generated models live in ${CONFIGSPEC_CACHE:-~/.cache/configspec}/models, named by a hash of their spec, so
// tests and demos generate each model once per machine and nothing generated is ever committed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildTestModel, type TestModelSpec } from './bigram-model.js';

/** Bump when the generator's output for a given spec changes, so stale cache entries are not reused. */
const GENERATOR_VERSION = 1;

export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CONFIGSPEC_CACHE ?? join(homedir(), '.cache', 'configspec'), 'models');
}

export function modelFileName(spec: TestModelSpec): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ v: GENERATOR_VERSION, spec }))
    .digest('hex')
    .slice(0, 16);
  const role = spec.draft ? `draft-a${Math.round(spec.draft.acceptance * 100)}` : 'target';
  return `configspec-${role}-${spec.encoding.toLowerCase()}-${hash}.gguf`;
}

/** Path of the model for `spec`, generating it first when the cache lacks it. */
export function ensureTestModel(spec: TestModelSpec, dir: string = modelCacheDir()): string {
  const path = join(dir, modelFileName(spec));
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  // Write then rename, so a concurrent reader never sees a half-written file.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, buildTestModel(spec).gguf);
  renameSync(partial, path);
  return path;
}
