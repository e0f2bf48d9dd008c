// HTTP client of the verification protocol. Remembers how much of each session's context the verifier has
// confirmed, so rounds after the first send only a delta; falls back to the full context when the verifier has
// forgotten the session (SessionUnknown, e.g. after eviction or a restart).
import type { VerifyErrorBody, VerifyRequest, VerifyResponse } from '../protocol.js';

export class VerifierUnavailableError extends Error {}

export interface VerifyCall {
  response: VerifyResponse;
  /** Wall time of the HTTP round trip(s), ms. */
  roundTripMs: number;
}

export class VerifierClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
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
    const body: VerifyRequest =
      confirmed > 0
        ? { ...request, delta: { keep: confirmed, append: context.slice(confirmed) } }
        : { ...request, context: [...context] };
    let result = await this.post(body);
    if (result.status === 409 && confirmed > 0) {
      result = await this.post({ ...request, context: [...context] });
    }
    if (result.status !== 200) {
      const error = (result.body as VerifyErrorBody).error;
      const message = `verifier at ${this.base} answered ${result.status}: ${error?.message ?? 'no reason given'}`;
      if (result.status === 503 || result.status >= 500) throw new VerifierUnavailableError(message);
      throw new Error(message);
    }
    return { response: result.body as VerifyResponse, roundTripMs: performance.now() - startedAt };
  }

  async health(): Promise<number> {
    const startedAt = performance.now();
    const res = await this.fetch('/healthz', { method: 'GET' });
    await res.arrayBuffer();
    if (!res.ok) throw new VerifierUnavailableError(`verifier at ${this.base} is unhealthy (${res.status})`);
    return performance.now() - startedAt;
  }

  private async post(body: VerifyRequest): Promise<{ status: number; body: unknown }> {
    const res = await this.fetch('/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: { error: { message: text.slice(0, 200) } } };
    }
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new VerifierUnavailableError(`verifier at ${this.base} is unreachable (${reason})`);
    }
  }
}
