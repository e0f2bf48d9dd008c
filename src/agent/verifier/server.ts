// HTTP face of the verifier: POST /v1/verify, /healthz, /readyz (ready once the model is loaded), /metrics.
import express, { type NextFunction, type Request, type Response } from 'express';
import { ProtocolError, parseVerifyRequest, type VerifyErrorBody, type VerifyErrorCode } from '../protocol.js';
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
  app: express.Express;
  metrics: VerifierMetrics;
  /** Called once the model is loaded; until then /readyz and /v1/verify answer 503. */
  setEngine(engine: VerifierEngine): void;
}

function sendError(res: Response, code: VerifyErrorCode, message: string): void {
  const body: VerifyErrorBody = { error: { code, message } };
  if (code === 'Overloaded' || code === 'NotReady') res.setHeader('Retry-After', '1');
  res.status(STATUS[code]).json(body);
}

export function createVerifierApp(options: { maxBodyBytes?: number; defaultMetrics?: boolean } = {}): VerifierApp {
  const metrics = createVerifierMetrics(options.defaultMetrics ?? true);
  let engine: VerifierEngine | undefined;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: options.maxBodyBytes ?? 1024 * 1024 }));

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

  app.post('/v1/verify', async (req: Request, res: Response) => {
    const mode = req.body?.mode === 'sampling' ? 'sampling' : 'greedy';
    const finish = (status: number): void => void metrics.requests.inc({ mode, code: String(status) });
    if (!engine) {
      sendError(res, 'NotReady', 'the target model is still loading');
      finish(503);
      return;
    }
    try {
      const request = parseVerifyRequest(req.body, engine.vocabularySize, engine.maxContextTokens);
      const response = await engine.verify(request, ({ evaluatedTokens, reusedTokens }) => {
        metrics.evaluatedTokens.inc(evaluatedTokens);
        metrics.reusedTokens.inc(reusedTokens);
      });
      metrics.draftTokens.inc(request.draft.length);
      metrics.acceptedTokens.inc(response.accepted);
      metrics.queueSeconds.observe(response.timings.queueMs / 1000);
      metrics.computeSeconds.observe(response.timings.computeMs / 1000);
      res.json(response);
      finish(200);
    } catch (err) {
      if (err instanceof ProtocolError) {
        sendError(res, err.code, err.message);
        finish(STATUS[err.code]);
        return;
      }
      res.status(500).json({ error: { code: 'Internal', message: (err as Error).message } });
      finish(500);
    }
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

  return { app, metrics, setEngine: (loaded) => void (engine = loaded) };
}
