// HTTP client of the verification protocol. Remembers how much of each session's context the verifier has
// confirmed, so rounds after the first send only a delta; falls back to the full context when the verifier has
// forgotten the session (SessionUnknown, e.g. after eviction or a restart).
import { Agent, request, type Dispatcher } from 'undici';
import type { VerifyErrorBody, VerifyRequest, VerifyResponse } from '../protocol.js';

export class VerifierUnavailableError extends Error {}

export interface VerifyCall {
  response: VerifyResponse;
  /** Wall time of the HTTP round trip(s), ms. */
  roundTripMs: number;
}

export class VerifierClient {
  private readonly base: string;
  // undici request API on a keep-alive pool (undici turns Nagle off; connections are reused across rounds): a round trip costs
  // a fraction of what fetch() costs, and the protocol overhead is paid every round.
  private readonly agent: Dispatcher;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
  }

  get url(): string {
    return this.base;
  }

  /** `confirmed` = tokens of `context` the verifier holds for this session (0 for a new session). */
  async verify(
    request: Omit<VerifyRequest, 'context' | 'delta'>,
    context: readonly number[],
    confirmed: number,
  ): Promise<VerifyCall> {
    const startedAt = performance.now();
    let result = await this.post(
      confirmed > 0 ? withDelta(request, context, confirmed) : withContext(request, context),
    );
    if (result.status === 409 && confirmed > 0) {
      result = await this.post(withContext(request, context));
    }
    if (result.status !== 200) {
      const error = (result.body as VerifyErrorBody).error;
      const message = `verifier at ${this.base} answered ${result.status}: ${error?.message ?? 'no reason given'}`;
      if (result.status === 503 || result.status >= 500) throw new VerifierUnavailableError(message);
      throw new Error(message);
    }
    return { response: result.body as VerifyResponse, roundTripMs: performance.now() - startedAt };
  }

  /** One /healthz round trip, ms. */
  async health(): Promise<number> {
    const startedAt = performance.now();
    const { status } = await this.send('GET', '/healthz');
    if (status !== 200) throw new VerifierUnavailableError(`verifier at ${this.base} is unhealthy (${status})`);
    return performance.now() - startedAt;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private post(body: VerifyRequest): Promise<{ status: number; body: unknown }> {
    return this.send('POST', '/v1/verify', JSON.stringify(body));
  }

  private async send(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; body: unknown }> {
    let text: string;
    let status: number;
    try {
      const res = await request(`${this.base}${path}`, {
        method,
        dispatcher: this.agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new VerifierUnavailableError(`verifier at ${this.base} is unreachable (${e.code ?? e.message})`);
    }
    try {
      return { status, body: JSON.parse(text) };
    } catch {
      return { status, body: { error: { message: text.slice(0, 200) } } };
    }
  }
}

/** The request with only the tokens the verifier has not confirmed (the session's cached prefix is kept). */
function withDelta(
  request: Omit<VerifyRequest, 'context' | 'delta'>,
  context: readonly number[],
  confirmed: number,
): VerifyRequest {
  return { ...request, delta: { keep: confirmed, append: context.slice(confirmed) } };
}

function withContext(request: Omit<VerifyRequest, 'context' | 'delta'>, context: readonly number[]): VerifyRequest {
  return { ...request, context: context.slice() };
}
