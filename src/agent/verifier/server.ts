// HTTP face of the verifier: POST /v1/verify, /healthz, /readyz (ready once the model is loaded), /metrics, and
// the verification stream (an upgraded /v1/verify connection, see protocol.ts).
//
// Verification is the hot path (one request per speculative round). POST /v1/verify is served by a plain
// node:http handler in front of express: the body is read from the socket, parsed once and answered with a
// single write (headers and body together, Content-Length, no Date header or ETag); on loopback the express
// route with its JSON body parser cost about twice that. The stream drops HTTP per request altogether: one
// JSON line in, one JSON line out, on a connection the drafter keeps. Both go through `handleVerify`, so
// answers, status codes and metrics are the same. Everything else goes to express. With `busyPollMs` the
// verifier polls for the next request after answering the last one in flight (busy-poll.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  ProtocolError,
  VERIFY_STREAM_PROTOCOL,
  parseVerifyRequest,
  type VerifyErrorBody,
  type VerifyErrorCode,
  type VerifyRequest,
} from '../protocol.js';
import type { VerifierEngine } from './engine.js';
import { BusyPoller } from '../busy-poll.js';
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
  /** The server's 'upgrade' listener: takes verification streams, refuses any other upgrade. */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Ends every open verification stream (the HTTP server's close does not know upgraded connections) and busy polling. */
  closeStreams(): void;
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

export interface VerifierAppOptions {
  maxBodyBytes?: number;
  defaultMetrics?: boolean;
  /**
   * After answering the last request in flight, poll for the next one for this long instead of sleeping
   * (busy-poll.ts): the next round's request then finds a running core. 0 = off.
   */
  busyPollMs?: number;
}

export function createVerifierApp(options: VerifierAppOptions = {}): VerifierApp {
  const metrics = createVerifierMetrics(options.defaultMetrics ?? true);
  const poller = new BusyPoller(options.busyPollMs ?? 0, (ms) => metrics.busyPollSeconds.inc(ms / 1000));
  // Requests between arrival and answer; polling starts when the last one is answered (never once closing).
  let inFlight = 0;
  let closing = false;
  const arrived = (): void => {
    poller.stop();
    inFlight += 1;
  };
  const answered = (): void => {
    inFlight -= 1;
    if (inFlight === 0 && !closing) poller.start();
  };
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

  interface Answer {
    status: number;
    body: unknown;
  }
  const errorAnswer = (status: number, code: string, message: string): Answer => ({
    status,
    body: { error: { code, message } },
  });
  /** One verification, from a decoded body to the status and body to send; counts it in the metrics. */
  const handleVerify = async (body: unknown, receivedAt: number): Promise<Answer> => {
    const mode = (body as { mode?: unknown } | null)?.mode === 'sampling' ? 'sampling' : 'greedy';
    const answer = await (async (): Promise<Answer> => {
      if (!engine) return errorAnswer(503, 'NotReady', 'the target model is still loading');
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
        return { status: 200, body: response };
      } catch (err) {
        if (err instanceof ProtocolError) return errorAnswer(STATUS[err.code], err.code, err.message);
        return errorAnswer(500, 'Internal', (err as Error).message);
      }
    })();
    metrics.requests.inc({ mode, code: String(answer.status) });
    return answer;
  };

  const verify = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    arrived();
    try {
      await verifyPosted(req, res);
    } finally {
      answered();
    }
  };
  const verifyPosted = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = performance.now();
    const text = await readBody(req, res, maxBodyBytes);
    if (text === undefined) {
      if (res.headersSent) metrics.requests.inc({ mode: 'greedy', code: String(res.statusCode) });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      sendVerifyError(res, 400, 'BadRequest', `body is not valid JSON: ${(err as Error).message}`);
      metrics.requests.inc({ mode: 'greedy', code: '400' });
      return;
    }
    const answer = await handleVerify(body, receivedAt);
    sendJson(res, answer.status, answer.body, answer.status === 503);
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

  const streams = new Set<Duplex>();
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const wanted = (req.headers.upgrade ?? '').toLowerCase() === VERIFY_STREAM_PROTOCOL;
    if (!wanted || req.method !== 'GET' || req.url !== '/v1/verify') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${VERIFY_STREAM_PROTOCOL}\r\n\r\n`,
    );
    streams.add(socket);
    serveStream(
      socket,
      head,
      maxBodyBytes,
      (body, receivedAt) => {
        arrived();
        return handleVerify(body, receivedAt);
      },
      answered,
      () => streams.delete(socket),
    );
  };

  return {
    app,
    handler,
    upgrade,
    closeStreams: () => {
      closing = true;
      poller.stop();
      for (const socket of streams) socket.destroy();
      streams.clear();
    },
    metrics,
    setEngine: (loaded) => void (engine = loaded),
  };
}

/**
 * One verification stream: newline-delimited JSON frames `{"id": n, "request": {…}}` in, `{"id": n, "status":
 * s, "body": {…}}` out, answered as each finishes (a drafter may have several requests in flight). A frame that
 * is not JSON, has no integer id or is longer than the body limit ends the stream after an answer with id null.
 */
function serveStream(
  socket: Duplex,
  head: Buffer,
  maxFrameBytes: number,
  handle: (body: unknown, receivedAt: number) => Promise<{ status: number; body: unknown }>,
  onAnswered: () => void,
  onClose: () => void,
): void {
  (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  let pending = '';
  let open = true;
  const decoder = new StringDecoder('utf8');
  const send = (frame: unknown): void => {
    if (open) socket.write(`${JSON.stringify(frame)}\n`);
  };
  const fail = (message: string): void => {
    send({ id: null, status: 400, body: { error: { code: 'BadRequest', message } } });
    open = false;
    socket.end();
  };
  const onFrame = (line: string, receivedAt: number): void => {
    let frame: { id?: unknown; request?: unknown };
    try {
      frame = JSON.parse(line) as { id?: unknown; request?: unknown };
    } catch (err) {
      fail(`frame is not valid JSON: ${(err as Error).message}`);
      return;
    }
    const id = frame?.id;
    if (!Number.isSafeInteger(id)) {
      fail('a frame needs an integer id');
      return;
    }
    void handle(frame.request, receivedAt)
      .then(
        (answer) => send({ id, status: answer.status, body: answer.body }),
        (err: Error) => send({ id, status: 500, body: { error: { code: 'Internal', message: err.message } } }),
      )
      .finally(onAnswered);
  };
  const onData = (chunk: Buffer | string): void => {
    const receivedAt = performance.now();
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    for (let newline = pending.indexOf('\n'); newline >= 0 && open; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') onFrame(line, receivedAt);
    }
    if (open && pending.length > maxFrameBytes) fail('frame larger than the request body limit');
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    open = false;
    onClose();
  });
  if (head.length > 0) onData(head);
}
