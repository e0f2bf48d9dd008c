// The speculation length K, read from a file the operator writes through a ConfigMap mount. ConfigMap updates
// arrive as an atomic symlink swap in the mount directory, which fs.watch on the file itself misses, so we watch
// the directory and also poll. Invalid content is logged and ignored: the last good K stays in force.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const MAX_K = 32;

export function parseK(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new Error(`expected a non-negative integer, got "${trimmed.slice(0, 40)}"`);
  const k = Number(trimmed);
  if (k > MAX_K) throw new Error(`K=${k} is above the limit ${MAX_K}`);
  return k;
}

export interface KSource {
  current(): number;
  close(): void;
}

export function fixedK(k: number): KSource {
  return { current: () => k, close: () => undefined };
}

export class WatchedKFile implements KSource {
  private k: number;
  private watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private lastText: string | undefined;

  constructor(
    private readonly path: string,
    initialK: number,
    pollMs: number,
    private readonly log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
    private readonly onChange?: (k: number) => void,
  ) {
    this.k = initialK;
    try {
      this.watcher = watch(dirname(path), () => void this.reload());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined; // polling alone still works
    }
    this.timer = setInterval(() => void this.reload(), pollMs);
    this.timer.unref();
  }

  current(): number {
    return this.k;
  }

  async reload(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (this.lastText !== '')
        this.log(`K file ${this.path} unreadable, keeping K=${this.k}: ${(err as Error).message}`);
      this.lastText = '';
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    try {
      const k = parseK(text);
      if (k !== this.k) {
        this.log(`K changed from ${this.k} to ${k} (${this.path})`);
        this.k = k;
        this.onChange?.(k);
      }
    } catch (err) {
      this.log(`K file ${this.path} ignored, keeping K=${this.k}: ${(err as Error).message}`);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }
}
