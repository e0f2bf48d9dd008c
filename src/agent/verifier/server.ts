// HTTP face of the verifier: POST /v1/verify, /healthz, /readyz (ready once the model is loaded), /metrics.
//
// POST /v1/verify is the hot path (one request per speculative round), so it is served by a plain node:http
// handler in front of express: the body is read from the socket, parsed once and answered with a single write
// (headers and body together, Content-Length, no Date header or ETag). Everything else goes to express.
// Measured on loopback (bench/README.md, data plane) the express route with its JSON body parser cost about
// twice the plain handler per request.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  ProtocolError,
  parseVerifyRequest,
  type VerifyErrorBody,
  type VerifyErrorCode,
  type VerifyRequest,
} from '../protocol.js';
import type { VerifierEngine } from './engine.js';
import { createVerifierMetrics, type VerifierMetrics } from './metrics.js';

const STATUS: Record<VerifyErrorCode, number> = {
  BadRequest: 400,
  SessionUnknown: 409,
  ContextTooLong: 413,
  Overloaded: 503,
  NotReady: 503,
};

export interface VerifierApp {
  /** The express application of every route but POST /v1/verify. */
  app: express.Express;
  /** The request listener to serve: POST /v1/verify directly, everything else through `app`. */
  handler: RequestListener;
  metrics: VerifierMetrics;
  /** Called once the model is loaded; until then /readyz and /v1/verify answer 503. */
  setEngine(engine: VerifierEngine): void;
}

function sendError(res: Response, code: VerifyErrorCode, message: string): void {
  const body: VerifyErrorBody = { error: { code, message } };
  if (code === 'Overloaded' || code === 'NotReady') res.setHeader('Retry-After', '1');
  res.status(STATUS[code]).json(body);
}

/** One write: status line, headers and the JSON body. */
function sendJson(res: ServerResponse, status: number, body: unknown, retryAfter = false): void {
  const text = JSON.stringify(body);
  res.sendDate = false;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  };
  if (retryAfter) headers['retry-after'] = '1';
  res.writeHead(status, headers);
  res.end(text);
}

function sendVerifyError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } }, status === 503);
}

/** Reads the whole body up to `limit` bytes; undefined (and the answer sent) when it is refused. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  const refuse = (status: number, code: string, message: string): undefined => {
    sendVerifyError(res, status, code, message);
    req.resume(); // drain what is still coming, so the connection stays usable
    return undefined;
  };
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    return Promise.resolve(refuse(415, 'BadRequest', 'the body must be JSON (content-type: application/json)'));
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.resolve(refuse(415, 'BadRequest', `content-encoding ${encoding} is not supported`));
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve(refuse(413, 'ContextTooLong', 'request body too large'));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        resolve(refuse(413, 'ContextTooLong', 'request body too large'));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done)
        resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', () => {
      if (!done) resolve(undefined);
      done = true;
    });
  });
}

export function createVerifierApp(options: { maxBodyBytes?: number; defaultMetrics?: boolean } = {}): VerifierApp {
  const metrics = createVerifierMetrics(options.defaultMetrics ?? true);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  let engine: VerifierEngine | undefined;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: maxBodyBytes }));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    if (engine) res.json({ status: 'ready' });
    else sendError(res, 'NotReady', 'the target model is still loading');
  });
  app.get('/metrics', async (_req, res) => {
    if (engine) {
      metrics.waiting.set(engine.pool.waiting);
      metrics.sessions.set(engine.sessions.size);
      metrics.evictions.set(engine.pool.evictions);
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  // Body-parser failures (bad JSON, too large) as clear JSON errors instead of HTML pages.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    const message =
      err.type === 'entity.too.large'
        ? 'request body too large'
        : err.type === 'entity.parse.failed'
          ? `body is not valid JSON: ${err.message}`
          : err.message;
    res.status(status).json({ error: { code: status === 413 ? 'ContextTooLong' : 'BadRequest', message } });
  });

  const verify = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = performance.now();
    let mode: 'greedy' | 'sampling' = 'greedy';
    const finish = (status: number): void => void metrics.requests.inc({ mode, code: String(status) });
    const text = await readBody(req, res, maxBodyBytes);
    if (text === undefined) {
      if (res.headersSent) finish(res.statusCode);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      sendVerifyError(res, 400, 'BadRequest', `body is not valid JSON: ${(err as Error).message}`);
      finish(400);
      return;
    }
    if ((body as { mode?: unknown } | null)?.mode === 'sampling') mode = 'sampling';
    if (!engine) {
      sendVerifyError(res, 503, 'NotReady', 'the target model is still loading');
      finish(503);
      return;
    }
    try {
      const request: VerifyRequest = parseVerifyRequest(body, engine.vocabularySize, engine.maxContextTokens);
      const response = await engine.verify(request, ({ evaluatedTokens, reusedTokens }) => {
        metrics.evaluatedTokens.inc(evaluatedTokens);
        metrics.reusedTokens.inc(reusedTokens);
      });
      metrics.draftTokens.inc(request.draft.length);
      metrics.acceptedTokens.inc(response.accepted);
      metrics.queueSeconds.observe(response.timings.queueMs / 1000);
      metrics.computeSeconds.observe(response.timings.computeMs / 1000);
      response.timings.serverMs = performance.now() - receivedAt;
      sendJson(res, 200, response);
      finish(200);
    } catch (err) {
      if (err instanceof ProtocolError) {
        sendVerifyError(res, STATUS[err.code], err.code, err.message);
        finish(STATUS[err.code]);
        return;
      }
      sendVerifyError(res, 500, 'Internal', (err as Error).message);
      finish(500);
    }
  };

  const handler: RequestListener = (req, res) => {
    if (req.method === 'POST' && (req.url === '/v1/verify' || req.url?.startsWith('/v1/verify?'))) {
      void verify(req, res).catch((err: Error) => {
        if (!res.headersSent) sendVerifyError(res, 500, 'Internal', err.message);
      });
      return;
    }
    app(req, res);
  };

  return { app, handler, metrics, setEngine: (loaded) => void (engine = loaded) };
}
