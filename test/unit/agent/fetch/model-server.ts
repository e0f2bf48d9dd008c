// A local HTTP server serving generated GGUF files the way a model hub does: Range requests (206 with
// Content-Range), ETag and If-Range, optional redirect to another path (as Hugging Face redirects to its CDN),
// and faults on demand: cut the connection after some bytes, flip a byte, require a token. It records every
// request so tests can check what was asked (range headers, how many full downloads).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildTestModel, draftSpec, targetSpec } from '../../../../src/agent/gguf/bigram-model.js';

export interface ServedFile {
  body: Buffer;
  sha256: string;
}

export interface RecordedRequest {
  path: string;
  range?: string;
  ifRange?: string;
  authorization?: string;
  bytesSent: number;
}

export interface Faults {
  /** Cut the connection after this many body bytes of the next response(s), then clear (counted down). */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Serve this path with one byte changed. */
  corrupt?: Set<string>;
  /** Paths that need Authorization: Bearer <token>. */
  token?: { paths: Set<string>; value: string };
  /** Paths redirected (302) to /cdn/<path>. */
  redirect?: Set<string>;
}

export interface ModelServer {
  url: string;
  files: Map<string, ServedFile>;
  requests: RecordedRequest[];
  faults: Faults;
  close(): Promise<void>;
}

const cache = new Map<number, Buffer>();
/** A tiny generated draft model (about 1.5 MB), different per seed; built once per test process. */
export function generatedGguf(seed = 1): Buffer {
  let body = cache.get(seed);
  if (!body) {
    const target = targetSpec({ chainSeed: seed, encoding: 'F16' });
    body = Buffer.from(buildTestModel(draftSpec(target, 0.7, { encoding: 'Q8_0', seed: seed * 1000 + 70 })).gguf);
    cache.set(seed, body);
  }
  return body;
}

export function servedFile(body: Buffer): ServedFile {
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

export async function startModelServer(files: Record<string, Buffer>): Promise<ModelServer> {
  const served = new Map(Object.entries(files).map(([path, body]) => [path, servedFile(body)]));
  const requests: RecordedRequest[] = [];
  const faults: Faults = {};
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const record: RecordedRequest = {
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      authorization: req.headers.authorization,
      bytesSent: 0,
    };
    requests.push(record);
    if (faults.redirect?.has(path)) {
      res.writeHead(302, { location: `/cdn${path}` }).end();
      return;
    }
    const key = path.startsWith('/cdn/') ? path.slice('/cdn'.length) : path;
    const file = served.get(key);
    if (!file) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    if (faults.token?.paths.has(key) && req.headers.authorization !== `Bearer ${faults.token.value}`) {
      res.writeHead(401).end('Invalid credentials');
      return;
    }
    let body = file.body;
    if (faults.corrupt?.has(key)) {
      body = Buffer.from(body);
      const middle = Math.floor(body.length / 2);
      body.writeUInt8(body.readUInt8(middle) ^ 0xff, middle);
    }
    const etag = `"${file.sha256.slice(0, 16)}"`;
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { etag, 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && (!req.headers['if-range'] || req.headers['if-range'] === etag)) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const slice = body.subarray(start);
    headers['content-length'] = slice.length;
    res.writeHead(status, headers);
    const cut = faults.cutAfterBytes;
    if (cut !== undefined && (faults.cutTimes ?? 1) > 0) {
      faults.cutTimes = (faults.cutTimes ?? 1) - 1;
      if (faults.cutTimes === 0) faults.cutAfterBytes = undefined;
      record.bytesSent = Math.min(cut, slice.length);
      res.write(slice.subarray(0, cut), () => res.socket?.destroy());
      return;
    }
    record.bytesSent = slice.length;
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files: served,
    requests,
    faults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
