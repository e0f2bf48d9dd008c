// Model delivery against a local HTTP server serving generated GGUF files: complete and verified downloads,
// resumption with Range requests, corrupted and missing files, two pods on one node sharing one copy through the
// node cache agent, eviction within a budget that never touches a file in use, and file:// with no network.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModelCache, isPinLive, parseHolder } from '../../../../src/agent/fetch/cache.js';
import { fetchModel } from '../../../../src/agent/fetch/fetch.js';
import { acquireLock } from '../../../../src/agent/fetch/lock.js';
import { startNodeCacheServer, type RunningNodeCache } from '../../../../src/agent/fetch/node-cache-server.js';
import { resolveSource, cacheKey } from '../../../../src/agent/fetch/source.js';
import { generatedGguf, startModelServer, type ModelServer } from './model-server.js';

const FILE = 'draft-Q8_0.gguf';
const OTHER = 'other-Q8_0.gguf';
const THIRD = 'third-Q8_0.gguf';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'configspec-fetch-'));
}

describe('configspec fetch against a local model server', () => {
  let server: ModelServer;
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const source = (path = `/${FILE}`) => {
    const file = server.files.get(path)!;
    return { uri: `${server.url}${path}`, sha256: file.sha256, sizeBytes: file.body.length };
  };

  beforeAll(async () => {
    server = await startModelServer({
      [`/${FILE}`]: generatedGguf(1),
      [`/${OTHER}`]: generatedGguf(2),
      [`/${THIRD}`]: generatedGguf(3),
      [`/org/repo/resolve/v1.0/${FILE}`]: generatedGguf(1),
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    lines.length = 0;
    for (const key of Object.keys(server.faults)) delete (server.faults as Record<string, unknown>)[key];
  });

  it('downloads, verifies size and SHA-256, and leaves only the complete read-only file', async () => {
    const dir = scratch();
    const result = await fetchModel({ source: source(), cacheDir: dir, log });
    expect(readFileSync(result.path).equals(server.files.get(`/${FILE}`)!.body)).toBe(true);
    expect(result.sha256).toBe(source().sha256);
    expect(statSync(result.path).mode & 0o222).toBe(0);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'blobs'))).toEqual([`sha256-${source().sha256}`]);
    expect(lines.some((l) => /verified \(1\.\d MB, sha256 [a-f0-9]{64}\)/.test(l))).toBe(true);
    // A second fetch finds it and downloads nothing.
    server.requests.length = 0;
    const again = await fetchModel({ source: source(), cacheDir: dir, log });
    expect(again.path).toBe(result.path);
    expect(server.requests).toEqual([]);
  });

  it('resolves hf://org/repo/file with a revision through $HF_ENDPOINT, following the redirect to the CDN', async () => {
    const dir = scratch();
    const path = `/org/repo/resolve/v1.0/${FILE}`;
    server.faults.redirect = new Set([path]);
    const { sha256, sizeBytes } = source(path);
    const result = await fetchModel({
      source: { uri: `hf://org/repo/${FILE}`, revision: 'v1.0', sha256, sizeBytes },
      cacheDir: dir,
      log,
      env: { HF_ENDPOINT: server.url },
    });
    expect(result.sha256).toBe(sha256);
    expect(server.requests.map((r) => r.path)).toEqual([path, `/cdn${path}`]);
  });

  it('an interrupted download resumes where it stopped, with a Range request (a new process continues the partial file)', async () => {
    const dir = scratch();
    const size = source().sizeBytes;
    server.faults.cutAfterBytes = 600_000;
    await expect(fetchModel({ source: source(), cacheDir: dir, log, retries: 0 })).rejects.toThrow(
      /connection|terminated|closed|socket/i,
    );
    const key = `sha256-${source().sha256}`;
    // What arrived before the cut (the socket's last bytes may be lost with it) stays as the partial file.
    const kept = statSync(join(dir, 'tmp', `${key}.partial`)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(600_000);
    expect(existsSync(join(dir, 'blobs', key))).toBe(false); // nothing complete-looking before verification

    const result = await fetchModel({ source: source(), cacheDir: dir, log });
    expect(result.sha256).toBe(source().sha256);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(server.requests[1]!.ifRange).toMatch(/^"/);
    expect(server.requests[1]!.bytesSent).toBe(size - kept);
    expect(lines.some((l) => l.includes('resuming at'))).toBe(true);
  });

  it('retries within one run, each attempt resuming from the last byte received', async () => {
    const dir = scratch();
    server.faults.cutAfterBytes = 400_000;
    server.faults.cutTimes = 2;
    const result = await fetchModel({ source: source(), cacheDir: dir, log, retries: 3, retryDelayMs: 10 });
    expect(result.sha256).toBe(source().sha256);
    const ranges = server.requests.map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const offsets = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
    expect(offsets[0]).toBeGreaterThan(0);
    expect(offsets[1]).toBeGreaterThan(offsets[0]!);
    expect(server.requests[2]!.bytesSent).toBe(source().sizeBytes - offsets[1]!);
    expect(lines.some((l) => /retrying in 10 ms \(attempt 2 of 4\)/.test(l))).toBe(true);
  });

  it('a corrupted file fails with a message naming the file and both digests, and leaves nothing behind', async () => {
    const dir = scratch();
    server.faults.corrupt = new Set([`/${FILE}`]);
    const error = await fetchModel({ source: source(), cacheDir: dir, log }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(FILE);
    expect(message).toContain(`expected ${source().sha256}`);
    expect(message).toMatch(/sha256 mismatch: expected [a-f0-9]{64}, got [a-f0-9]{64}/);
    expect(message).not.toContain(`got ${source().sha256}`);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'blobs'))).toEqual([]);
  });

  it('a size that differs from sizeBytes fails before downloading the body; a missing file fails with its status', async () => {
    const dir = scratch();
    await expect(fetchModel({ source: { ...source(), sizeBytes: 1234 }, cacheDir: dir, log })).rejects.toThrow(
      new RegExp(`${FILE}: the source is \\d+ bytes but 1234 were expected`),
    );
    await expect(
      fetchModel({ source: { uri: `${server.url}/missing.gguf` }, cacheDir: dir, log, retries: 3 }),
    ).rejects.toThrow(/missing\.gguf: HTTP 404/);
    expect(server.requests.filter((r) => r.path === '/missing.gguf')).toHaveLength(1); // 404 is not retried
  });

  it('sends the token of a private source, and says a token is needed when it is missing', async () => {
    const dir = scratch();
    server.faults.token = { paths: new Set([`/${FILE}`]), value: 's3cret' };
    await expect(fetchModel({ source: source(), cacheDir: dir, log })).rejects.toThrow(
      /HTTP 401.*needs a token \(secretRef\)/,
    );
    const result = await fetchModel({ source: source(), cacheDir: dir, log, token: 's3cret' });
    expect(result.sha256).toBe(source().sha256);
    expect(server.requests.at(-1)!.authorization).toBe('Bearer s3cret');
  });

  describe('through the node cache agent (pods without hostPath)', () => {
    let agent: RunningNodeCache;
    let cacheDir: string;
    beforeAll(async () => {
      cacheDir = scratch();
      agent = await startNodeCacheServer({
        cache: new ModelCache(cacheDir),
        host: '127.0.0.1',
        port: 0,
        gcIntervalMs: 0,
      });
    });
    afterAll(() => agent.close());

    it('two pods on one node share one copy: one download from the source, one cached file, both pinned', async () => {
      const podA = scratch();
      const podB = scratch();
      const [a, b] = await Promise.all([
        fetchModel({
          source: source(),
          via: agent.url,
          output: join(podA, FILE),
          holder: { kind: 'pod', uid: 'pod-a' },
          log,
        }),
        fetchModel({
          source: source(),
          via: agent.url,
          output: join(podB, FILE),
          holder: { kind: 'pod', uid: 'pod-b' },
          log,
        }),
      ]);
      expect(a.sha256).toBe(source().sha256);
      expect(b.sha256).toBe(source().sha256);
      expect(readFileSync(join(podA, FILE)).equals(readFileSync(join(podB, FILE)))).toBe(true);
      // The source was asked once; the second pod waited on the first one's lock and found the file.
      expect(server.requests.filter((r) => r.path === `/${FILE}`)).toHaveLength(1);
      const entries = await new ModelCache(cacheDir).list();
      expect(entries.map((e) => e.file)).toEqual([FILE]);
      expect(
        entries[0]!.pins.map((p) => p.holder).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      ).toEqual([
        { kind: 'pod', uid: 'pod-a' },
        { kind: 'pod', uid: 'pod-b' },
      ]);
      expect(lines.some((l) => l.startsWith('node cache: fetch:'))).toBe(true);
      expect(readdirSync(podA)).toEqual([FILE]); // no partial left in the pod's volume
    });

    it('a pre-fetch (no output) only fills the node cache; a corrupt source is reported through the agent', async () => {
      const result = await fetchModel({ source: source(`/${OTHER}`), via: agent.url, log });
      expect(result.sha256).toBe(source(`/${OTHER}`).sha256);
      server.faults.corrupt = new Set([`/${THIRD}`]);
      await expect(
        fetchModel({ source: source(`/${THIRD}`), via: agent.url, output: join(scratch(), THIRD), log }),
      ).rejects.toThrow(
        new RegExp(`${THIRD}.*sha256 mismatch: expected ${source(`/${THIRD}`).sha256}, got [a-f0-9]{64}`),
      );
    });
  });

  it('eviction keeps the budget, least recently used first, and never removes a file in use', async () => {
    const dir = scratch();
    const size = source().sizeBytes;
    let live = new Set(['pod-a']);
    const cache = (budget: number) => new ModelCache(dir, { budgetBytes: budget, livePods: async () => live });
    // A (pinned by the running pod-a), then B (pinned by pod-gone, which no longer runs): both fit.
    await cache(Infinity).ensure(source(), { holder: { kind: 'pod', uid: 'pod-a' } });
    await new Promise((r) => setTimeout(r, 20));
    await cache(Infinity).ensure(source(`/${OTHER}`), { holder: { kind: 'pod', uid: 'pod-gone' } });
    // C with room for two files: A is least recently used but in use, so B goes.
    const budget = Math.floor(size * 2.5);
    const c = await cache(budget).ensure(source(`/${THIRD}`), { holder: { kind: 'pod', uid: 'pod-c' }, log });
    const files = (await new ModelCache(dir).list()).map((e) => e.file).sort();
    expect(files).toEqual([FILE, THIRD].sort());
    expect(await new ModelCache(dir).usedBytes()).toBeLessThanOrEqual(budget);
    expect(lines.some((l) => l.includes(`evicted ${OTHER}`))).toBe(true);
    expect(existsSync(c.path)).toBe(true);
    // Everything in use: nothing is removed, and the result says how far over budget the cache is.
    live = new Set(['pod-a', 'pod-c']);
    const tight = await cache(size).evict();
    expect(tight.removed).toEqual([]);
    expect(tight.overBudgetBytes).toBeGreaterThan(0);
    // When the node cannot tell which pods run (API unreachable), pod pins count as live.
    const unknown = await new ModelCache(dir, { budgetBytes: 1, livePods: async () => undefined }).evict();
    expect(unknown.removed).toEqual([]);
    // pod-a stops: its file becomes evictable.
    live = new Set(['pod-c']);
    const after = await cache(size).evict();
    expect(after.removed.map((r) => r.file)).toEqual([FILE]);
  });

  it('an entry being fetched (its lock held) is never evicted', async () => {
    const dir = scratch();
    const cache = new ModelCache(dir, { budgetBytes: 1 });
    const result = await cache.ensure(source());
    const key = cacheKey(source(), resolveSource(source()));
    const lock = await acquireLock(join(dir, 'locks', `${key}.lock`));
    expect((await cache.evict()).removed).toEqual([]);
    await lock.release();
    expect((await cache.evict()).removed.map((r) => r.file)).toEqual([FILE]);
    expect(existsSync(result.path)).toBe(false);
  });

  it('pins: processes live while they run, leases until they expire', () => {
    const now = Date.now();
    expect(isPinLive({ holder: { kind: 'process', pid: process.pid }, pinnedAt: '' }, undefined, now)).toBe(true);
    expect(isPinLive({ holder: { kind: 'process', pid: 2 ** 22 + 17 }, pinnedAt: '' }, undefined, now)).toBe(false);
    const lease = parseHolder('lease/prefetch/60', now);
    expect(isPinLive({ holder: lease, pinnedAt: '' }, undefined, now + 59_000)).toBe(true);
    expect(isPinLive({ holder: lease, pinnedAt: '' }, undefined, now + 61_000)).toBe(false);
    expect(() => parseHolder('node/x')).toThrow(/pod\/<uid>/);
  });

  it('a lock left by a process that died is broken, so a crashed fetch never blocks the node', async () => {
    const dir = scratch();
    await mkdir(join(dir, 'locks'), { recursive: true });
    const key = cacheKey(source(), resolveSource(source()));
    const { hostname } = await import('node:os');
    await writeFile(
      join(dir, 'locks', `${key}.lock`),
      JSON.stringify({ host: hostname(), pid: 2 ** 22 + 17, since: '' }),
    );
    const result = await fetchModel({ source: source(), cacheDir: dir, log });
    expect(result.sha256).toBe(source().sha256);
  });
});

describe('file:// sources', () => {
  it('are verified in place and linked to the output, with no network at all', async () => {
    const dir = scratch();
    const body = generatedGguf(1);
    const path = join(dir, 'seeded.gguf');
    writeFileSync(path, body);
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(body).digest('hex');
    const connect = net.Socket.prototype.connect;
    let attempts = 0;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      attempts += 1;
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof connect;
    try {
      const lines: string[] = [];
      const output = join(dir, 'pod', 'model.gguf');
      const result = await fetchModel({
        source: { uri: pathToFileURL(path).toString(), sha256, sizeBytes: body.length },
        output,
        // A via URL that cannot be reached: file:// must not use it.
        via: 'http://192.0.2.1:9',
        log: (l) => void lines.push(l),
      });
      expect(result.sha256).toBe(sha256);
      expect(realpathSync(output)).toBe(realpathSync(path));
      await expect(
        fetchModel({ source: { uri: pathToFileURL(path).toString(), sha256: '0'.repeat(64) }, log: () => {} }),
      ).rejects.toThrow(`seeded.gguf: sha256 mismatch: expected ${'0'.repeat(64)}, got ${sha256}`);
      await expect(
        fetchModel({ source: { uri: pathToFileURL(join(dir, 'absent.gguf')).toString() }, log: () => {} }),
      ).rejects.toThrow(/absent\.gguf: missing source file/);
    } finally {
      net.Socket.prototype.connect = connect;
    }
    expect(attempts).toBe(0);
  });

  it('source URIs resolve as documented and bad ones are refused', () => {
    expect(
      resolveSource({ uri: 'hf://bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf' }, {}),
    ).toEqual({
      kind: 'http',
      url: 'https://huggingface.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
      fileName: 'Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
    });
    expect(() => resolveSource({ uri: 'hf://org/file.gguf' })).toThrow(/expected hf:/);
    expect(() => resolveSource({ uri: 'pvc://claim/a.gguf' })).toThrow(/mounted into the pod/);
    expect(() => resolveSource({ uri: 's3://bucket/a.gguf' })).toThrow(/unsupported scheme/);
    expect(() => resolveSource({ uri: 'https://x/a.gguf', sha256: 'ABC' })).toThrow(/64 lower-case hex/);
  });
});
