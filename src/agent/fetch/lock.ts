// A cross-process lock on one cache entry: a file created with O_EXCL holding its owner's host, pid and start
// time. Pods and processes on one node share the cache directory, so two fetches of one model serialise on the
// lock and the second finds the file the first verified. A lock is broken when its owner is provably gone (same
// host, process no longer exists) or when its owner stopped touching it for `staleMs` (a crashed node agent
// whose pid was reused, another host on shared storage).
import { hostname } from 'node:os';
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';

export interface LockOwner {
  host: string;
  pid: number;
  since: string;
}

export interface HeldLock {
  path: string;
  /** Marks the lock as alive (call during long work so it is not taken for stale). */
  touch(): Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock untouched for this long is stale (default 60 s). */
  staleMs?: number;
  /** Polling interval while waiting (default 200 ms). */
  pollMs?: number;
  /** Give up after this long (default: wait forever). */
  timeoutMs?: number;
  /** Called once when the lock is found held by someone else. */
  onWait?: (owner: LockOwner | undefined) => void;
  signal?: AbortSignal;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 200;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx');
      const owner: LockOwner = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return {
        path,
        touch: async () => {
          const now = new Date();
          await utimes(path, now, now).catch(() => {});
        },
        release: () => rm(path, { force: true }),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (await isStale(path, owner, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    if (!told) {
      told = true;
      options.onWait?.(owner);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // being written, or just removed
  }
}

async function isStale(path: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner && owner.host === hostname() && !processAlive(owner.pid)) return true;
  try {
    const info = await stat(path);
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // gone: the next attempt takes it
  }
}
