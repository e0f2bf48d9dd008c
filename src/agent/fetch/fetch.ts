// What `configspec fetch` does, in one of two modes:
//   - direct: this process owns the node cache directory (the node cache agent itself, a process-run pod, a
//     privileged setup with hostPath): ensure the file there, pin it, and link --output to it;
//   - via the node cache agent (restricted pods): ask the agent on this node to ensure and pin the file, then
//     copy it into --output (the pod's emptyDir), resumably, verifying the digest the agent computed.
// Either way --output appears only complete and verified (written under a temporary name, then renamed).
import { mkdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { request } from 'undici';
import { ModelCache, verifyFile, type EnsureResult, type PinHolder } from './cache.js';
import { download, formatProgress, removePartial } from './download.js';
import type { FetchEvent } from './node-cache-server.js';
import { resolveSource, type FetchSource } from './source.js';

export interface FetchOptions {
  source: FetchSource;
  /** Where the verified file must appear; omitted: only make it present in the node cache (pre-fetch). */
  output?: string;
  /** Direct mode: the node cache directory. */
  cacheDir?: string;
  budgetBytes?: number;
  /** Via mode: the node cache agent's URL. */
  via?: string;
  token?: string;
  holder?: PinHolder;
  log: (line: string) => void;
  signal?: AbortSignal;
  retries?: number;
  retryDelayMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface FetchOutcome {
  path: string;
  sha256: string;
  sizeBytes: number;
}

export async function fetchModel(options: FetchOptions): Promise<FetchOutcome> {
  // Fail on a malformed source before touching anything.
  const resolved = resolveSource(options.source, options.env);
  if (options.via && !options.cacheDir && resolved.kind === 'http') return fetchViaAgent(options, options.via);
  const cache = new ModelCache(options.cacheDir ?? '/var/lib/configspec/models', {
    budgetBytes: options.budgetBytes,
    env: options.env,
  });
  const result: EnsureResult = await cache.ensure(options.source, {
    token: options.token,
    holder: options.holder,
    log: options.log,
    signal: options.signal,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });
  if (options.output && options.output !== result.path) {
    await mkdir(dirname(options.output), { recursive: true });
    const temporary = `${options.output}.${process.pid}.link`;
    await rm(temporary, { force: true });
    await symlink(result.path, temporary);
    await rename(temporary, options.output);
    options.log(`fetch: ${options.output} → ${result.path}`);
  }
  return { path: options.output ?? result.path, sha256: result.sha256, sizeBytes: result.sizeBytes };
}

async function fetchViaAgent(options: FetchOptions, via: string): Promise<FetchOutcome> {
  const base = via.replace(/\/+$/, '');
  const { log } = options;
  log(`fetch: asking the node cache ${base} for ${options.source.uri}`);
  const response = await request(`${base}/v1/fetch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ source: options.source, ...(options.holder ? { holder: options.holder } : {}) }),
    signal: options.signal,
    // A large first download can take long; progress lines keep the stream alive.
    bodyTimeout: 600_000,
    headersTimeout: 60_000,
  });
  if (response.statusCode !== 200) {
    throw new Error(`node cache ${base}: HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`);
  }
  let done: Extract<FetchEvent, { done: unknown }>['done'] | undefined;
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as FetchEvent;
      if ('log' in event) log(`node cache: ${event.log}`);
      else if ('error' in event) throw new Error(event.error);
      else done = event.done;
    }
  }
  if (!done) throw new Error(`node cache ${base}: the answer ended before the file was ready`);
  if (!options.output) {
    log(`fetch: ${done.file} ready in the node cache (sha256 ${done.sha256})`);
    return { path: '', sha256: done.sha256, sizeBytes: done.sizeBytes };
  }
  await mkdir(dirname(options.output), { recursive: true });
  // A previous attempt of this pod (a restarted init container) may have left a verified copy.
  const existing = await verifyFile(options.output, done.file, done).catch(() => undefined);
  if (existing) {
    log(`fetch: ${options.output} already present and verified`);
    return { path: options.output, ...existing };
  }
  const partial = `${options.output}.partial`;
  await download({
    url: `${base}/v1/blobs/${done.key}`,
    file: done.file,
    partialPath: partial,
    expectedSize: done.sizeBytes,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    signal: options.signal,
    log,
    onProgress: (p) => log(formatProgress(p)),
  });
  try {
    await verifyFile(partial, done.file, done, `${base}/v1/blobs/${done.key}`);
  } catch (err) {
    await removePartial(partial);
    throw err;
  }
  await rename(partial, options.output);
  await rm(`${partial}.json`, { force: true });
  log(`fetch: ${done.file} copied to ${options.output} and verified (sha256 ${done.sha256})`);
  return { path: options.output, sha256: done.sha256, sizeBytes: done.sizeBytes };
}

/** Reads a bearer token from a mounted Secret key (trailing newline removed). */
export async function readToken(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}
