// Client of the verification protocol. Remembers how much of each session's context the verifier has
// confirmed, so rounds after the first send only a delta; falls back to the full context when the verifier has
// forgotten the session (SessionUnknown, e.g. after eviction or a restart).
//
// Transport: the verification stream (protocol.ts) on one kept connection, requests multiplexed by id, so a
// round costs one write and one read with no HTTP on either side; POST /v1/verify when the verifier refuses
// the upgrade (a verifier from before the stream) or when `transport: 'http'` is asked for. A lost connection
// fails the requests on it (VerifierUnavailableError: the drafter answers 503) and the next request reconnects.
// With `busyPollMs` the client polls instead of sleeping while a stream answer is due (busy-poll.ts).
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { Agent, request, type Dispatcher } from 'undici';
import { BusyPoller } from '../busy-poll.js';
import { VERIFY_STREAM_PROTOCOL, type VerifyErrorBody, type VerifyRequest, type VerifyResponse } from '../protocol.js';

export type VerifierTransport = 'stream' | 'http';

export class VerifierUnavailableError extends Error {}

export interface VerifierClientOptions {
  /** How long a request may wait for its answer, ms. */
  timeoutMs?: number;
  transport?: VerifierTransport;
  /** Poll instead of sleeping while an answer on the stream is due, for at most this long per request (busy-poll.ts). */
  busyPollMs?: number;
  /** Told how long each polling spell spun (the CPU it cost), ms. */
  onPolled?: (ms: number) => void;
}

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

  private transport: VerifierTransport;
  private stream: VerifyStream | undefined;
  private connecting: Promise<VerifyStream | 'refused'> | undefined;
  private closed = false;

  private readonly timeoutMs: number;
  private readonly poller: BusyPoller;

  constructor(baseUrl: string, options: VerifierClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transport = options.transport ?? 'stream';
    this.poller = new BusyPoller(options.busyPollMs ?? 0, options.onPolled);
  }

  /** The transport in use: 'stream' until a verifier refuses the upgrade, then 'http'. */
  get currentTransport(): VerifierTransport {
    return this.transport;
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

  /** While the drafter computes, busy polling sleeps instead of spinning beside it (BusyPoller.hold). */
  holdPolling(held: boolean): void {
    this.poller.hold(held);
  }

  /** One /healthz round trip, ms. */
  async health(): Promise<number> {
    const startedAt = performance.now();
    const { status } = await this.send('GET', '/healthz');
    if (status !== 200) throw new VerifierUnavailableError(`verifier at ${this.base} is unhealthy (${status})`);
    return performance.now() - startedAt;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.close();
    this.stream = undefined;
    await this.agent.close();
  }

  private post(body: VerifyRequest): Promise<{ status: number; body: unknown }> {
    // With the stream open the frame is written before this returns: the caller starts its overlapped work (the
    // drafter's cache extension) right after, and that must not delay the request.
    if (this.transport === 'stream' && !this.closed && this.stream && !this.stream.ended) {
      return this.stream.exchange(body);
    }
    return this.postAfterConnecting(body);
  }

  private async postAfterConnecting(body: VerifyRequest): Promise<{ status: number; body: unknown }> {
    if (this.transport === 'stream' && !this.closed) {
      const stream = await this.openStream();
      if (stream) return stream.exchange(body);
    }
    return this.send('POST', '/v1/verify', JSON.stringify(body));
  }

  /** The open stream, opening one if needed (once for concurrent callers); undefined once the upgrade is refused. */
  private async openStream(): Promise<VerifyStream | undefined> {
    if (this.stream && !this.stream.ended) return this.stream;
    this.connecting ??= VerifyStream.open(this.base, this.timeoutMs, this.poller).finally(
      () => (this.connecting = undefined),
    );
    const opened = await this.connecting;
    if (opened === 'refused') {
      this.transport = 'http';
      return undefined;
    }
    if (this.closed) {
      opened.close();
      throw new VerifierUnavailableError(`the client of ${this.base} is closed`);
    }
    this.stream = opened;
    return opened;
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

interface Waiting {
  resolve: (answer: { status: number; body: unknown }) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One upgraded connection to a verifier: frames out, answers matched back by id. */
class VerifyStream {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private buffered = '';
  private readonly decoder = new StringDecoder('utf8');
  ended = false;

  private constructor(
    private readonly socket: Socket,
    private readonly base: string,
    private readonly timeoutMs: number,
    private readonly poller: BusyPoller,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(this.decoder.write(chunk)));
    socket.on('error', (err: NodeJS.ErrnoException) => this.end(`connection failed (${err.code ?? err.message})`));
    socket.on('close', () => this.end('connection closed'));
  }

  /** Opens a stream, or 'refused' when the verifier answers the upgrade with anything but 101. */
  static open(base: string, timeoutMs: number, poller: BusyPoller): Promise<VerifyStream | 'refused'> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${base}/v1/verify`);
      const req = httpRequest(url, {
        method: 'GET',
        agent: false,
        headers: { connection: 'Upgrade', upgrade: VERIFY_STREAM_PROTOCOL },
        timeout: timeoutMs,
      });
      const unreachable = (reason: string): void =>
        reject(new VerifierUnavailableError(`verifier at ${base} is unreachable (${reason})`));
      req.on('upgrade', (_res, socket, head) => {
        const stream = new VerifyStream(socket, base, timeoutMs, poller);
        if (head.length > 0) stream.onData(stream.decoder.write(head));
        resolve(stream);
      });
      req.on('response', (res) => {
        res.resume();
        // A verifier from before the stream (404/400) or one that refuses it: use POST. A 5xx is an outage.
        if ((res.statusCode ?? 0) >= 500) unreachable(`upgrade answered ${res.statusCode}`);
        else resolve('refused');
      });
      req.on('timeout', () => req.destroy(new Error('upgrade timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => unreachable(err.code ?? err.message));
      req.end();
    });
  }

  exchange(request: VerifyRequest): Promise<{ status: number; body: unknown }> {
    if (this.ended) {
      return Promise.reject(
        new VerifierUnavailableError(`verifier at ${this.base} is unreachable (connection closed)`),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The verifier is stuck or gone: drop the connection (failing whatever else waits on it).
        this.end(`no answer in ${this.timeoutMs} ms`);
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ id, request })}\n`);
      this.poller.start();
    });
  }

  close(): void {
    this.end('client closed');
    this.socket.destroy();
  }

  private onData(text: string): void {
    this.buffered += text;
    for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      let frame: { id?: number | null; status?: number; body?: unknown };
      try {
        frame = JSON.parse(line) as typeof frame;
      } catch {
        this.end('the verifier sent a frame that is not JSON');
        this.socket.destroy();
        return;
      }
      const waiter = typeof frame.id === 'number' ? this.waiting.get(frame.id) : undefined;
      if (!waiter) {
        // An answer with id null is the verifier refusing the stream itself.
        const message = (frame.body as VerifyErrorBody | undefined)?.error?.message ?? 'an answer to no request';
        this.end(`the verifier ended the stream: ${message}`);
        this.socket.destroy();
        return;
      }
      this.waiting.delete(frame.id as number);
      if (this.waiting.size === 0) this.poller.stop();
      clearTimeout(waiter.timer);
      waiter.resolve({ status: frame.status ?? 500, body: frame.body });
    }
  }

  private end(reason: string): void {
    // Once: a late 'close' after an error must not cut short the spell of the stream that replaced this one.
    if (this.ended) return;
    this.ended = true;
    this.poller.stop();
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new VerifierUnavailableError(`verifier at ${this.base} is unreachable (${reason})`));
    }
    this.waiting.clear();
  }
}
