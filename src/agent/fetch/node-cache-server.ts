// The node cache agent (`configspec model-cache serve`): the only process on a node that touches the host's
// cache directory. Pods under Pod Security "restricted" cannot mount hostPath, so their fetch step asks this
// agent — reached through a Service with internalTrafficPolicy Local, i.e. always the agent on the pod's own
// node — to make a model present (downloading it once per node, resumably, verified), pin it for the pod, and
// then copies the verified file over loopback-speed HTTP (Range-capable, so the copy resumes too).
//   POST /v1/fetch      {source, holder?} (+ Authorization forwarded upstream) → NDJSON: {log} lines, then
//                       {done: {key, file, sha256, sizeBytes}} or {error}
//   GET  /v1/blobs/:key the verified file (Range, ETag)
//   GET  /v1/cache      entries, pins, bytes used and the budget
//   GET  /healthz
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { closeServer, listen, serverPort } from '../http-util.js';
import type { ModelCache, PinHolder } from './cache.js';
import { formatBytes } from './download.js';
import type { FetchSource } from './source.js';

export interface NodeCacheServerOptions {
  cache: ModelCache;
  host?: string;
  port?: number;
  /** Evict down to the budget this often (default 5 minutes; 0 disables). */
  gcIntervalMs?: number;
  log?: (line: string) => void;
}

export interface RunningNodeCache {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface FetchRequestBody {
  source: FetchSource;
  holder?: PinHolder;
}

export type FetchEvent =
  | { log: string }
  | { done: { key: string; file: string; sha256: string; sizeBytes: number; downloaded: boolean } }
  | { error: string };

export function createNodeCacheApp(options: NodeCacheServerOptions): express.Express {
  const { cache } = options;
  const log = options.log ?? (() => {});
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: 64 * 1024 }));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  app.post('/v1/fetch', async (req: Request, res: Response) => {
    const body = req.body as Partial<FetchRequestBody> | undefined;
    if (!body?.source || typeof body.source.uri !== 'string') {
      res.status(400).json({ error: 'body must be {source: {uri, sha256?, sizeBytes?, revision?}, holder?}' });
      return;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    res.status(200).setHeader('Content-Type', 'application/x-ndjson');
    const send = (event: FetchEvent) => res.write(`${JSON.stringify(event)}\n`);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const result = await cache.ensure(body.source, {
        token,
        holder: body.holder,
        signal: abort.signal,
        log: (line) => {
          log(line);
          send({ log: line });
        },
      });
      const entry = await cache.entry(result.key);
      if (!entry) throw new Error(`${body.source.uri}: a local file source is not served by the node cache`);
      send({
        done: {
          key: result.key,
          file: entry.file,
          sha256: result.sha256,
          sizeBytes: result.sizeBytes,
          downloaded: result.downloaded,
        },
      });
    } catch (err) {
      log(`fetch failed: ${(err as Error).message}`);
      send({ error: (err as Error).message });
    }
    res.end();
  });

  app.get('/v1/blobs/:key', async (req: Request, res: Response) => {
    const entry = await cache.entry(String(req.params.key));
    if (!entry) {
      res.status(404).json({ error: `no cached file ${req.params.key}` });
      return;
    }
    res.sendFile(entry.path, { acceptRanges: true, dotfiles: 'allow', headers: { 'x-sha256': entry.sha256 } });
  });

  app.get('/v1/cache', async (_req, res) => {
    const entries = await cache.list();
    res.json({
      dir: cache.dir,
      budgetBytes: Number.isFinite(cache.budgetBytes) ? cache.budgetBytes : null,
      usedBytes: await cache.usedBytes(),
      entries: entries.map(({ key, file, sizeBytes, sha256, uri, lastUsedMs, pins }) => ({
        key,
        file,
        sizeBytes,
        sha256,
        uri,
        lastUsed: new Date(lastUsedMs).toISOString(),
        pins: pins.map((p) => p.holder),
      })),
    });
  });
  return app;
}

export async function startNodeCacheServer(options: NodeCacheServerOptions): Promise<RunningNodeCache> {
  await options.cache.init();
  const host = options.host ?? '0.0.0.0';
  const server = await listen(createNodeCacheApp(options), options.port ?? 8090, host);
  const interval = options.gcIntervalMs ?? 300_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          void options.cache
            .evict()
            .then((r) => {
              for (const removed of r.removed) {
                options.log?.(
                  `gc: evicted ${removed.file} (${formatBytes(removed.sizeBytes)}), least recently used and not in use`,
                );
              }
            })
            .catch((err: Error) => options.log?.(`gc failed: ${err.message}`));
        }, interval)
      : undefined;
  timer?.unref();
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${serverPort(server)}`,
    server,
    close: async () => {
      if (timer) clearInterval(timer);
      await closeServer(server);
    },
  };
}
