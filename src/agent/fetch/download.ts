// Resumable HTTP download into a partial file. A partial file left by an interrupted attempt (this process or
// an earlier one) is continued with a Range request; If-Range with the validator the server gave last time
// makes a changed remote file restart from zero instead of splicing two versions. Redirects are followed
// (Hugging Face answers with a redirect to its CDN); undici drops the Authorization header when a redirect
// leaves the origin, so a token never reaches a third party.
import { createWriteStream } from 'node:fs';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { Agent, interceptors, request, type Dispatcher } from 'undici';

export interface Progress {
  file: string;
  receivedBytes: number;
  totalBytes: number | undefined;
  bytesPerSecond: number;
}

export interface DownloadOptions {
  url: string;
  /** Shown in messages and progress. */
  file: string;
  partialPath: string;
  expectedSize?: number;
  /** Sent as Authorization: Bearer … (private repositories). */
  token?: string;
  /** Attempts after a failed one, each resuming where the last stopped (default 5). */
  retries?: number;
  /** Delay before the first retry, doubled each time (default 500 ms). */
  retryDelayMs?: number;
  onProgress?: (progress: Progress) => void;
  /** Called after every chunk written (keeps a lock fresh). */
  onData?: () => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help (404, 401, size mismatch). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

interface Validator {
  url: string;
  etag?: string;
  lastModified?: string;
}

let defaultDispatcher: Dispatcher | undefined;
function dispatcher(): Dispatcher {
  defaultDispatcher ??= new Agent({
    connect: { timeout: 30_000 },
    bodyTimeout: 120_000,
    headersTimeout: 60_000,
  }).compose(interceptors.redirect({ maxRedirections: 10 }));
  return defaultDispatcher;
}

/** Downloads `url` into `partialPath`, continuing an existing partial file. Resolves to the final size. */
export async function download(options: DownloadOptions): Promise<number> {
  const retries = options.retries ?? 5;
  let delay = options.retryDelayMs ?? 500;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await downloadOnce(options);
    } catch (err) {
      options.signal?.throwIfAborted();
      const permanent = err instanceof DownloadError && err.permanent;
      if (permanent || attempt >= retries) throw err;
      options.log?.(
        `fetch: ${options.file}: ${(err as Error).message}; retrying in ${delay} ms (attempt ${attempt + 2} of ${retries + 1})`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

async function downloadOnce(options: DownloadOptions): Promise<number> {
  const { url, file, partialPath, expectedSize } = options;
  const validatorPath = `${partialPath}.json`;
  let offset = await sizeOf(partialPath);
  const validator = await readValidator(validatorPath);
  if (offset > 0 && validator?.url !== url) offset = await restart(partialPath);
  if (expectedSize !== undefined && offset > expectedSize) offset = await restart(partialPath);
  if (expectedSize !== undefined && offset === expectedSize) return offset;

  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'configspec-fetch' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    const ifRange = validator?.etag && !validator.etag.startsWith('W/') ? validator.etag : validator?.lastModified;
    if (ifRange) headers['if-range'] = ifRange;
  }
  const response = await request(url, {
    method: 'GET',
    headers,
    dispatcher: options.dispatcher ?? dispatcher(),
    signal: options.signal,
  });
  const { statusCode } = response;
  if (statusCode === 416 && offset > 0) {
    // Nothing after our offset: either we have it all (size unknown), or the partial is longer than the file.
    await response.body.dump();
    const total = contentRangeTotal(response.headers['content-range']);
    if (total === offset) return offset;
    await restart(partialPath);
    throw new DownloadError(`${file}: server rejected the range; restarting from zero`, false);
  }
  if (statusCode !== 200 && statusCode !== 206) {
    const detail = (await response.body.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
    const permanent = statusCode >= 400 && statusCode < 500 && statusCode !== 408 && statusCode !== 429;
    throw new DownloadError(
      `${file}: HTTP ${statusCode} from ${redact(url)}${detail ? ` (${detail})` : ''}${statusCode === 401 || statusCode === 403 ? '; a private source needs a token (secretRef)' : ''}`,
      permanent,
    );
  }
  if (statusCode === 200 && offset > 0) {
    // The server ignored the range or the file changed (If-Range): start over.
    options.log?.(`fetch: ${file}: server sent the whole file; restarting from zero`);
    offset = await restart(partialPath);
  }
  const length = Number(response.headers['content-length'] ?? NaN);
  const total =
    statusCode === 206
      ? contentRangeTotal(response.headers['content-range'])
      : Number.isFinite(length)
        ? length
        : undefined;
  if (expectedSize !== undefined && total !== undefined && total !== expectedSize) {
    await response.body.dump();
    throw new DownloadError(
      `${file}: the source is ${total} bytes but ${expectedSize} were expected (sizeBytes); wrong file or stale source`,
      true,
    );
  }
  await writeValidator(validatorPath, {
    url,
    etag: header(response.headers.etag),
    lastModified: header(response.headers['last-modified']),
  });

  const out = createWriteStream(partialPath, { flags: offset > 0 ? 'a' : 'w' });
  let received = offset;
  const started = Date.now();
  let lastReport = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      received += buffer.length;
      options.onData?.();
      const now = Date.now();
      if (options.onProgress && now - lastReport >= 1000) {
        lastReport = now;
        const seconds = Math.max((now - started) / 1000, 0.001);
        options.onProgress({
          file,
          receivedBytes: received,
          totalBytes: total,
          bytesPerSecond: (received - offset) / seconds,
        });
      }
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  if (total !== undefined && received !== total) {
    throw new DownloadError(`${file}: connection ended at ${received} of ${total} bytes`, false);
  }
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);
  options.onProgress?.({
    file,
    receivedBytes: received,
    totalBytes: total ?? received,
    bytesPerSecond: (received - offset) / seconds,
  });
  return received;
}

async function restart(partialPath: string): Promise<number> {
  await truncate(partialPath, 0).catch(() => {});
  return 0;
}

export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readValidator(path: string): Promise<Validator | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Validator;
  } catch {
    return undefined;
  }
}

async function writeValidator(path: string, validator: Validator): Promise<void> {
  await writeFile(path, JSON.stringify(validator));
}

export async function removePartial(partialPath: string): Promise<void> {
  await rm(partialPath, { force: true });
  await rm(`${partialPath}.json`, { force: true });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function contentRangeTotal(value: string | string[] | undefined): number | undefined {
  const match = /\/(\d+)\s*$/.exec(header(value) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** A URL without query string (signed CDN URLs carry credentials there). */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

export function formatProgress(p: Progress): string {
  const share = p.totalBytes ? ` (${Math.floor((100 * p.receivedBytes) / p.totalBytes)}%)` : '';
  const of = p.totalBytes ? `/${formatBytes(p.totalBytes)}` : '';
  return `fetch: ${p.file} ${formatBytes(p.receivedBytes)}${of}${share} at ${formatBytes(p.bytesPerSecond)}/s`;
}
