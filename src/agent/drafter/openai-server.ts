// The drafter's OpenAI-compatible API: /v1/completions, /v1/chat/completions (with and without SSE streaming)
// and /v1/models, plus /healthz, /readyz and /metrics. Each generation runs the speculative loop; text is
// released only after verification, and text that could still turn into a stop string is held back.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ProtocolError } from '../protocol.js';
import type { DraftEngine } from './draft-engine.js';
import type { KSource } from './k-source.js';
import { metricsObserver, type DrafterMetrics } from './metrics.js';
import { chatPrompt, parseChatRequest, parseCompletionRequest, type CompletionParams } from './openai-request.js';
import { generate } from './speculative-loop.js';
import { VerifierUnavailableError, type VerifierClient } from './verifier-client.js';

export interface DrafterAppOptions {
  engine: DraftEngine;
  verifier: VerifierClient;
  k: KSource;
  metrics: DrafterMetrics;
  modelName: string;
}

type Kind = 'completion' | 'chat';

function errorBody(message: string, type: string) {
  return { error: { message, type, param: null, code: null } };
}

/** Finds the earliest stop string; returns the text cut before it, or undefined. */
function cutAtStop(text: string, stop: readonly string[]): string | undefined {
  let cut: number | undefined;
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut === undefined || at < cut)) cut = at;
  }
  return cut === undefined ? undefined : text.slice(0, cut);
}

export function createDrafterApp(options: DrafterAppOptions): express.Express {
  const { engine, verifier, k, metrics, modelName } = options;
  const observer = metricsObserver(metrics);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void res.json({ status: 'ready' }));
  app.get('/metrics', async (_req, res) => {
    metrics.k.set(k.current());
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'configspec' }] });
  });

  async function serve(kind: Kind, req: Request, res: Response): Promise<void> {
    const endpoint = kind === 'chat' ? 'chat_completions' : 'completions';
    const count = (code: number): void => void metrics.requests.inc({ endpoint, code: String(code) });
    let params: CompletionParams;
    let prompt: string;
    try {
      if (kind === 'chat') {
        const parsed = parseChatRequest(req.body);
        params = parsed;
        prompt = chatPrompt(parsed.messages);
      } else {
        const parsed = parseCompletionRequest(req.body);
        params = parsed;
        prompt = parsed.prompt;
      }
    } catch (err) {
      res.status(400).json(errorBody((err as Error).message, 'invalid_request_error'));
      count(400);
      return;
    }
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = engine.tokenize(prompt);
    const generatedTokens: number[] = [];
    let emittedChars = 0;
    let stopped: string | undefined;
    const holdBack = Math.max(0, ...params.stop.map((s) => s.length - 1));

    const chunk = (text: string, finishReason: string | null) =>
      kind === 'chat'
        ? {
            id,
            object: 'chat.completion.chunk',
            created,
            model: modelName,
            choices: [{ index: 0, delta: text ? { content: text } : {}, finish_reason: finishReason }],
          }
        : {
            id,
            object: 'text_completion',
            created,
            model: modelName,
            choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
          };
    const send = (payload: unknown): void => void res.write(`data: ${JSON.stringify(payload)}\n\n`);
    let streaming = false;
    const startStream = (): void => {
      if (streaming) return;
      streaming = true;
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream');
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Connection', 'keep-alive');
      res.flushHeaders();
      if (kind === 'chat') {
        send({
          ...chunk('', null),
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        });
      }
    };

    try {
      const result = await generate(
        engine,
        verifier,
        () => k.current(),
        {
          promptTokens,
          maxTokens: params.maxTokens,
          temperature: params.temperature,
          seed: params.seed,
          onTokens: (tokens) => {
            generatedTokens.push(...tokens);
            const text = engine.detokenize(generatedTokens);
            stopped = cutAtStop(text, params.stop);
            if (params.stream) {
              const releasable = stopped ?? text.slice(0, Math.max(emittedChars, text.length - holdBack));
              if (releasable.length > emittedChars) {
                startStream();
                send(chunk(releasable.slice(emittedChars), null));
                emittedChars = releasable.length;
              }
            }
            return stopped !== undefined;
          },
        },
        observer,
      );
      metrics.generated.inc(generatedTokens.length);
      if (result.wallMs > 0) metrics.goodput.set(generatedTokens.length / (result.wallMs / 1000));
      const fullText = stopped ?? engine.detokenize(generatedTokens);
      const finishReason = stopped !== undefined ? 'stop' : result.finishReason;
      const usage = {
        prompt_tokens: promptTokens.length,
        completion_tokens: generatedTokens.length,
        total_tokens: promptTokens.length + generatedTokens.length,
      };
      if (params.stream) {
        startStream();
        if (fullText.length > emittedChars) send(chunk(fullText.slice(emittedChars), null));
        send({ ...chunk('', finishReason), usage });
        res.write('data: [DONE]\n\n');
        res.end();
      } else if (kind === 'chat') {
        res.json({
          id,
          object: 'chat.completion',
          created,
          model: modelName,
          choices: [{ index: 0, message: { role: 'assistant', content: fullText }, finish_reason: finishReason }],
          usage,
        });
      } else {
        res.json({
          id,
          object: 'text_completion',
          created,
          model: modelName,
          choices: [{ index: 0, text: fullText, logprobs: null, finish_reason: finishReason }],
          usage,
        });
      }
      count(200);
    } catch (err) {
      const unavailable =
        err instanceof VerifierUnavailableError || (err instanceof ProtocolError && err.code === 'Overloaded');
      if (unavailable) metrics.verifierErrors.inc();
      const status = unavailable ? 503 : 500;
      const message = unavailable
        ? `speculative decoding unavailable: ${(err as Error).message}`
        : `generation failed: ${(err as Error).message}`;
      count(status);
      if (streaming) {
        // Headers are gone; report in-band and end. Everything sent so far was verified.
        send(errorBody(message, unavailable ? 'service_unavailable' : 'server_error'));
        res.end();
      } else {
        if (unavailable) res.setHeader('Retry-After', '1');
        res.status(status).json(errorBody(message, unavailable ? 'service_unavailable' : 'server_error'));
      }
    }
  }

  app.post('/v1/completions', (req, res) => serve('completion', req, res));
  app.post('/v1/chat/completions', (req, res) => serve('chat', req, res));

  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    res
      .status(status)
      .json(
        errorBody(err.type === 'entity.parse.failed' ? 'body is not valid JSON' : err.message, 'invalid_request_error'),
      );
  });
  return app;
}
