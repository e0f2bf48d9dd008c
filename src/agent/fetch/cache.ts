// The node-local model cache: one directory per node (default /var/lib/configspec/models) shared by every pod
// and process there. Layout:
//   blobs/<key>/<file>.gguf   a verified, read-only model file; <key> is sha256-<digest> when the source
//   blobs/<key>/meta.json     states one, else url-<hash of the location>; meta.json's mtime is the last use
//   tmp/<key>.partial(.json)  a download in progress or interrupted (resumed by the next fetch)
//   locks/<key>.lock          held while an entry is fetched, verified, used-marked or evicted
//   pins/<key>/<holder>.json  "in use": one file per holder (a pod or a process); see isPinLive
// A complete file only ever appears under blobs/ by rename after verification, so a reader never sees a partial
// one. Eviction removes least recently used entries that no live pin holds until the cache fits its budget.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock, processAlive, type HeldLock } from './lock.js';
import {
  download,
  DownloadError,
  formatBytes,
  formatProgress,
  removePartial,
  sizeOf,
  type Progress,
} from './download.js';
import { cacheKey, resolveSource, type FetchSource } from './source.js';

export const DEFAULT_CACHE_DIR = '/var/lib/configspec/models';

/** Who keeps a cached file in use. */
export type PinHolder =
  /** A pod on this node: live while the pod exists (asked from the API server by the node cache agent). */
  | { kind: 'pod'; uid: string; name?: string }
  /** A process on this host: live while it runs. */
  | { kind: 'process'; pid: number; host?: string }
  /** Anything else: live until the lease expires. */
  | { kind: 'lease'; id: string; expiresAt: string };

export interface PinRecord {
  holder: PinHolder;
  pinnedAt: string;
}

/** The node's current view of which pods exist, or undefined when it cannot tell (API unreachable). */
export type LivePods = () => Promise<ReadonlySet<string> | undefined>;

export interface CacheEntry {
  key: string;
  file: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  uri: string;
  lastUsedMs: number;
  pins: PinRecord[];
}

export interface EnsureResult {
  key: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  /** False when the cache already had it (or it was a local file). */
  downloaded: boolean;
}

export interface EnsureOptions {
  token?: string;
  holder?: PinHolder;
  log?: (line: string) => void;
  signal?: AbortSignal;
  retries?: number;
  retryDelayMs?: number;
}

export interface EvictionResult {
  removed: { key: string; file: string; sizeBytes: number }[];
  totalBytes: number;
  budgetBytes: number;
  /** Bytes still over budget because everything left is in use. */
  overBudgetBytes: number;
}

export class VerificationError extends Error {}

interface Meta {
  uri: string;
  file: string;
  sha256: string;
  sizeBytes: number;
  fetchedAt: string;
}

export interface ModelCacheOptions {
  /** Size budget in bytes (default: unlimited). */
  budgetBytes?: number;
  livePods?: LivePods;
  env?: NodeJS.ProcessEnv;
  /** Locks untouched for this long are stale (default 60 s). */
  lockStaleMs?: number;
}

export class ModelCache {
  readonly budgetBytes: number;
  /** Absolute (the agent serves files by absolute path). */
  readonly dir: string;

  constructor(
    dir: string,
    private readonly options: ModelCacheOptions = {},
  ) {
    this.dir = resolve(dir);
    this.budgetBytes = options.budgetBytes ?? Infinity;
  }

  private blobDir(key: string) {
    return join(this.dir, 'blobs', key);
  }
  private lockPath(key: string) {
    return join(this.dir, 'locks', `${key}.lock`);
  }
  private pinDir(key: string) {
    return join(this.dir, 'pins', key);
  }
  partialPath(key: string) {
    return join(this.dir, 'tmp', `${key}.partial`);
  }

  async init(): Promise<void> {
    for (const sub of ['blobs', 'tmp', 'locks', 'pins']) await mkdir(join(this.dir, sub), { recursive: true });
  }

  private lock(key: string, log?: (line: string) => void, signal?: AbortSignal): Promise<HeldLock> {
    return acquireLock(this.lockPath(key), {
      staleMs: this.options.lockStaleMs,
      signal,
      onWait: (owner) =>
        log?.(`fetch: waiting for ${owner ? `pid ${owner.pid} on ${owner.host}` : 'another fetch'} to finish ${key}`),
    });
  }

  /**
   * Makes the source's file present and verified in the cache, pinned for `holder` when given, and returns its
   * path. Local files (file://) are verified in place and not copied.
   */
  async ensure(source: FetchSource, options: EnsureOptions = {}): Promise<EnsureResult> {
    const log = options.log ?? (() => {});
    const resolved = resolveSource(source, this.options.env);
    if (resolved.kind === 'file') {
      const verified = await verifyFile(resolved.path, resolved.fileName, source);
      log(`fetch: ${resolved.fileName}: local file ${resolved.path} verified (${formatBytes(verified.sizeBytes)})`);
      return { key: cacheKey(source, resolved), path: resolved.path, downloaded: false, ...verified };
    }
    await this.init();
    const key = cacheKey(source, resolved);
    // Pin before looking, under the entry's lock: the evictor takes the same lock and re-reads pins, so it can
    // never remove a file between our finding it and our pin.
    const lock = await this.lock(key, log, options.signal);
    try {
      if (options.holder) await this.pin(key, options.holder);
      const existing = await this.readMeta(key);
      if (existing && (await sizeOf(join(this.blobDir(key), existing.file))) === existing.sizeBytes) {
        await this.markUsed(key);
        log(
          `fetch: ${existing.file}: already in the node cache (${formatBytes(existing.sizeBytes)}, sha256 ${existing.sha256})`,
        );
        return {
          key,
          path: join(this.blobDir(key), existing.file),
          sha256: existing.sha256,
          sizeBytes: existing.sizeBytes,
          downloaded: false,
        };
      }
      const partial = this.partialPath(key);
      const resumeFrom = await sizeOf(partial);
      if (source.sizeBytes !== undefined && Number.isFinite(this.budgetBytes)) {
        const reserveBytes = Math.max(0, source.sizeBytes - resumeFrom);
        const evicted = await this.evict({ reserveBytes, skipKeys: new Set([key]) });
        for (const r of evicted.removed)
          log(`fetch: evicted ${r.file} (${formatBytes(r.sizeBytes)}, least recently used, not in use)`);
        if (evicted.overBudgetBytes > 0) {
          log(
            `fetch: warning: ${formatBytes(evicted.overBudgetBytes)} over the cache budget; every other file is in use`,
          );
        }
      }
      log(
        `fetch: ${resolved.fileName}: downloading from ${redactUrl(resolved.url)}` +
          (source.sizeBytes ? ` (${formatBytes(source.sizeBytes)})` : '') +
          (resumeFrom > 0 ? `, resuming at ${formatBytes(resumeFrom)}` : ''),
      );
      let lastTouch = 0;
      await download({
        url: resolved.url,
        file: resolved.fileName,
        partialPath: partial,
        expectedSize: source.sizeBytes,
        token: options.token,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
        signal: options.signal,
        log,
        onProgress: (p: Progress) => log(formatProgress(p)),
        onData: () => {
          const now = Date.now();
          if (now - lastTouch > 5000) {
            lastTouch = now;
            void lock.touch();
          }
        },
      });
      let verified: { sha256: string; sizeBytes: number };
      try {
        verified = await verifyFile(partial, resolved.fileName, source, source.uri);
      } catch (err) {
        // A wrong file cannot be resumed into a right one.
        await removePartial(partial);
        throw err;
      }
      const dir = this.blobDir(key);
      await mkdir(dir, { recursive: true });
      const path = join(dir, resolved.fileName);
      await chmod(partial, 0o444);
      await rename(partial, path);
      await rm(`${partial}.json`, { force: true });
      const meta: Meta = { uri: source.uri, file: resolved.fileName, ...verified, fetchedAt: new Date().toISOString() };
      await writeFile(join(dir, 'meta.json.tmp'), JSON.stringify(meta));
      await rename(join(dir, 'meta.json.tmp'), join(dir, 'meta.json'));
      log(`fetch: ${resolved.fileName}: verified (${formatBytes(verified.sizeBytes)}, sha256 ${verified.sha256})`);
      return { key, path, downloaded: true, ...verified };
    } finally {
      await lock.release();
    }
  }

  private async readMeta(key: string): Promise<Meta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.blobDir(key), 'meta.json'), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
  }

  private async markUsed(key: string): Promise<void> {
    const now = new Date();
    await utimes(join(this.blobDir(key), 'meta.json'), now, now).catch(() => {});
  }

  /** The cached entry's path, by key (used by the node cache agent to serve a file). */
  async entry(key: string): Promise<CacheEntry | undefined> {
    if (!/^[a-z0-9-]+$/.test(key)) return undefined;
    const meta = await this.readMeta(key);
    if (!meta) return undefined;
    const info = await stat(join(this.blobDir(key), 'meta.json')).catch(() => undefined);
    return {
      key,
      file: meta.file,
      path: join(this.blobDir(key), meta.file),
      sizeBytes: meta.sizeBytes,
      sha256: meta.sha256,
      uri: meta.uri,
      lastUsedMs: info?.mtimeMs ?? 0,
      pins: await this.pins(key),
    };
  }

  async list(): Promise<CacheEntry[]> {
    const keys = await readdir(join(this.dir, 'blobs')).catch(() => [] as string[]);
    const entries = await Promise.all(keys.map((key) => this.entry(key)));
    return entries.filter((e): e is CacheEntry => e !== undefined);
  }

  async pin(key: string, holder: PinHolder): Promise<void> {
    const dir = this.pinDir(key);
    await mkdir(dir, { recursive: true });
    const record: PinRecord = {
      holder: holder.kind === 'process' ? { ...holder, host: holder.host ?? hostname() } : holder,
      pinnedAt: new Date().toISOString(),
    };
    const path = join(dir, `${holderId(holder)}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(record));
    await rename(`${path}.tmp`, path);
  }

  async unpin(key: string, holder: PinHolder): Promise<void> {
    await rm(join(this.pinDir(key), `${holderId(holder)}.json`), { force: true });
  }

  async pins(key: string): Promise<PinRecord[]> {
    const dir = this.pinDir(key);
    const files = await readdir(dir).catch(() => [] as string[]);
    const records: PinRecord[] = [];
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      try {
        records.push(JSON.parse(await readFile(join(dir, file), 'utf8')) as PinRecord);
      } catch {
        // being replaced; the next read sees it
      }
    }
    return records;
  }

  /** Pins whose holders are gone are removed; returns the live ones. */
  private async livePins(key: string, livePods: ReadonlySet<string> | undefined): Promise<PinRecord[]> {
    const live: PinRecord[] = [];
    for (const pin of await this.pins(key)) {
      if (isPinLive(pin, livePods, Date.now())) live.push(pin);
      else await this.unpin(key, pin.holder);
    }
    return live;
  }

  /** Bytes in the cache: verified files plus partial downloads. */
  async usedBytes(): Promise<number> {
    const entries = await this.list();
    const partials = await readdir(join(this.dir, 'tmp')).catch(() => [] as string[]);
    let total = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
    for (const p of partials.filter((f) => f.endsWith('.partial'))) total += await sizeOf(join(this.dir, 'tmp', p));
    return total;
  }

  /**
   * Removes least recently used entries that no live pin holds until the cache (plus `reserveBytes` about to be
   * downloaded) fits the budget. An entry whose lock is held (being fetched or used right now) is skipped.
   */
  async evict(options: { reserveBytes?: number; skipKeys?: ReadonlySet<string> } = {}): Promise<EvictionResult> {
    const budget = this.budgetBytes;
    let total = await this.usedBytes();
    const removed: EvictionResult['removed'] = [];
    const target = budget - (options.reserveBytes ?? 0);
    if (!Number.isFinite(budget) || total <= target) {
      return { removed, totalBytes: total, budgetBytes: budget, overBudgetBytes: Math.max(0, total - target) };
    }
    const livePods = this.options.livePods ? await this.options.livePods().catch(() => undefined) : undefined;
    const candidates = (await this.list())
      .filter((e) => !options.skipKeys?.has(e.key))
      .sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const entry of candidates) {
      if (total <= target) break;
      let lock: HeldLock;
      try {
        lock = await acquireLock(this.lockPath(entry.key), { timeoutMs: 0, staleMs: this.options.lockStaleMs });
      } catch {
        continue; // busy: in use right now
      }
      try {
        if ((await this.livePins(entry.key, livePods)).length > 0) continue;
        await rm(this.blobDir(entry.key), { recursive: true, force: true });
        await rm(this.pinDir(entry.key), { recursive: true, force: true });
        total -= entry.sizeBytes;
        removed.push({ key: entry.key, file: entry.file, sizeBytes: entry.sizeBytes });
      } finally {
        await lock.release();
      }
    }
    return { removed, totalBytes: total, budgetBytes: budget, overBudgetBytes: Math.max(0, total - target) };
  }
}

/**
 * Whether a pin still holds its file. Concretely: a process pin while that process runs on this host (a pin from
 * another host counts as live); a pod pin while the pod is in the node's pod list — and, when that list is
 * unknown (API server unreachable, a disconnected edge node), always, so nothing that may be in use is evicted;
 * a lease until it expires.
 */
export function isPinLive(pin: PinRecord, livePods: ReadonlySet<string> | undefined, nowMs: number): boolean {
  const holder = pin.holder;
  switch (holder.kind) {
    case 'process':
      return holder.host !== undefined && holder.host !== hostname() ? true : processAlive(holder.pid);
    case 'pod':
      return livePods === undefined ? true : livePods.has(holder.uid);
    case 'lease':
      return Date.parse(holder.expiresAt) > nowMs;
  }
}

function holderId(holder: PinHolder): string {
  const raw =
    holder.kind === 'pod'
      ? `pod-${holder.uid}`
      : holder.kind === 'process'
        ? `pid-${holder.host ?? hostname()}-${holder.pid}`
        : `lease-${holder.id}`;
  return raw.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Parses pod/<uid>, pid/<n> or lease/<id>/<seconds> (the --holder flag). */
export function parseHolder(text: string, nowMs = Date.now()): PinHolder {
  const [kind, id, extra] = text.split('/');
  if (kind === 'pod' && id) return { kind: 'pod', uid: id };
  if (kind === 'pid' && id && /^\d+$/.test(id)) return { kind: 'process', pid: Number(id) };
  if (kind === 'lease' && id && extra && /^\d+$/.test(extra)) {
    return { kind: 'lease', id, expiresAt: new Date(nowMs + Number(extra) * 1000).toISOString() };
  }
  throw new Error(`holder must be pod/<uid>, pid/<n> or lease/<id>/<seconds>, got "${text}"`);
}

/** Checks size, then SHA-256 (always computed: it is recorded even when the source states none). */
export async function verifyFile(
  path: string,
  file: string,
  expected: Pick<FetchSource, 'sha256' | 'sizeBytes'>,
  uri?: string,
): Promise<{ sha256: string; sizeBytes: number }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new VerificationError(`${file}: missing source file ${path}`);
  }
  const from = uri ? ` from ${uri}` : '';
  if (expected.sizeBytes !== undefined && size !== expected.sizeBytes) {
    throw new VerificationError(`${file}${from}: size mismatch: expected ${expected.sizeBytes} bytes, got ${size}`);
  }
  const sha256 = await sha256File(path);
  if (expected.sha256 !== undefined && sha256 !== expected.sha256) {
    throw new VerificationError(`${file}${from}: sha256 mismatch: expected ${expected.sha256}, got ${sha256}`);
  }
  return { sha256, sizeBytes: size };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

export { DownloadError };
