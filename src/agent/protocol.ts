// The verification protocol between a drafter and a verifier (JSON over HTTP, POST /v1/verify).
//
// The verifier keeps, per session, the confirmed context (prompt + accepted tokens) and the KV cache of one
// sequence. A drafter sends either the whole context or a delta against what the verifier confirmed last time
// (keep the first `keep` tokens, then append), plus K draft tokens. The verifier evaluates context and drafts
// in one pass and answers how many drafts it accepts and the next token (a correction, or a bonus token when all
// K are accepted). K = 0 is plain remote decoding: the answer is just the next token.
//
// Two transports carry the same request and answer bodies:
// - POST /v1/verify, one HTTP request per round;
// - the verification stream: `GET /v1/verify` with `Connection: Upgrade` and `Upgrade: configspec-verify`,
//   answered 101; then newline-delimited JSON frames on that connection, `{"id": n, "request": VerifyRequest}`
//   from the drafter and `{"id": n, "status": <the HTTP status POST would give>, "body": VerifyResponse |
//   VerifyErrorBody}` from the verifier, in completion order. No HTTP parsing per round: the drafter uses it
//   and falls back to POST when a verifier refuses the upgrade.

export type VerifyMode = 'greedy' | 'sampling';

/** The Upgrade token of the verification stream. */
export const VERIFY_STREAM_PROTOCOL = 'configspec-verify';

/** A sparse probability distribution over token ids, as [token, probability] pairs. */
export type TokenDistribution = Array<[number, number]>;

export interface VerifyRequest {
  sessionId: string;
  /** The full context (BOS included). Either this or `delta`. */
  context?: number[];
  /** Keep the first `keep` tokens of the session's confirmed context and append these. */
  delta?: { keep: number; append: number[] };
  /** K draft tokens, K ≥ 0. */
  draft: number[];
  mode?: VerifyMode;
  /** Sampling mode: the temperature both models sample at. */
  temperature?: number;
  /** Sampling mode: the distribution each draft token was sampled from (one per draft token). */
  draftDistributions?: TokenDistribution[];
  /** Sampling mode: seed of the verifier's accept/reject and resampling decisions (random when absent). */
  seed?: number;
}

export interface VerifyTimings {
  /** Waiting for a free sequence. */
  queueMs: number;
  /** Model evaluation and KV cache bookkeeping. */
  computeMs: number;
  /**
   * Everything the verifier spent on the request, from its arrival (headers read) to the answer being written:
   * reading and parsing the body, queue, compute, encoding the answer. Absent from verifiers before this field.
   * The round trip minus this is what the network and the client's HTTP stack cost.
   */
  serverMs?: number;
}

export interface VerifyResponse {
  sessionId: string;
  /** How many leading draft tokens the target accepts. */
  accepted: number;
  /** The target's token after the accepted drafts. */
  next: number;
  /** Length of the confirmed context the verifier now holds (context + accepted drafts, without `next`). */
  confirmedLength: number;
  timings: VerifyTimings;
}

export type VerifyErrorCode = 'BadRequest' | 'SessionUnknown' | 'ContextTooLong' | 'Overloaded' | 'NotReady';

export interface VerifyErrorBody {
  error: { code: VerifyErrorCode; message: string };
}

export const VERIFY_LIMITS = {
  maxDraftTokens: 64,
  maxSessionIdLength: 128,
  maxTemperature: 10,
  maxDistributionEntries: 65536,
} as const;

export class ProtocolError extends Error {
  constructor(
    readonly code: VerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function tokenArray(value: unknown, field: string, vocabularySize: number, maxLength: number): number[] {
  if (!Array.isArray(value)) throw new ProtocolError('BadRequest', `${field} must be an array of token ids`);
  if (value.length > maxLength) {
    throw new ProtocolError('BadRequest', `${field} has ${value.length} tokens, more than the limit ${maxLength}`);
  }
  value.forEach((token, i) => {
    if (!Number.isInteger(token) || token < 0 || token >= vocabularySize) {
      throw new ProtocolError('BadRequest', `${field}[${i}] is not a token id in [0, ${vocabularySize})`);
    }
  });
  return value as number[];
}

function distribution(value: unknown, field: string, vocabularySize: number): TokenDistribution {
  if (!Array.isArray(value) || value.length === 0 || value.length > VERIFY_LIMITS.maxDistributionEntries) {
    throw new ProtocolError('BadRequest', `${field} must be a non-empty array of [token, probability] pairs`);
  }
  let total = 0;
  for (const [i, pair] of value.entries()) {
    const ok =
      Array.isArray(pair) &&
      pair.length === 2 &&
      Number.isInteger(pair[0]) &&
      pair[0] >= 0 &&
      pair[0] < vocabularySize &&
      typeof pair[1] === 'number' &&
      pair[1] >= 0 &&
      pair[1] <= 1;
    if (!ok) throw new ProtocolError('BadRequest', `${field}[${i}] must be [token id, probability in [0, 1]]`);
    total += pair[1] as number;
  }
  if (Math.abs(total - 1) > 1e-3) throw new ProtocolError('BadRequest', `${field} sums to ${total}, not 1`);
  return value as TokenDistribution;
}

/** Checks a decoded JSON body; throws ProtocolError('BadRequest') with the first problem found. */
export function parseVerifyRequest(body: unknown, vocabularySize: number, maxContextTokens: number): VerifyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('BadRequest', 'body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const known = new Set([
    'sessionId',
    'context',
    'delta',
    'draft',
    'mode',
    'temperature',
    'draftDistributions',
    'seed',
  ]);
  const unknown = Object.keys(b).filter((key) => !known.has(key));
  if (unknown.length) throw new ProtocolError('BadRequest', `unknown field(s): ${unknown.join(', ')}`);
  const { sessionId } = b;
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > VERIFY_LIMITS.maxSessionIdLength) {
    throw new ProtocolError('BadRequest', `sessionId must be a string of 1–${VERIFY_LIMITS.maxSessionIdLength} chars`);
  }
  const request: VerifyRequest = {
    sessionId,
    draft: tokenArray(b.draft, 'draft', vocabularySize, VERIFY_LIMITS.maxDraftTokens),
  };
  if ((b.context === undefined) === (b.delta === undefined)) {
    throw new ProtocolError('BadRequest', 'give exactly one of context and delta');
  }
  if (b.context !== undefined) {
    request.context = tokenArray(b.context, 'context', vocabularySize, maxContextTokens);
    if (request.context.length === 0) throw new ProtocolError('BadRequest', 'context must not be empty');
  } else {
    const delta = b.delta as Record<string, unknown> | null;
    if (typeof delta !== 'object' || delta === null || !Number.isInteger(delta.keep) || (delta.keep as number) < 0) {
      throw new ProtocolError('BadRequest', 'delta must be {keep: non-negative integer, append: token ids}');
    }
    request.delta = {
      keep: delta.keep as number,
      append: tokenArray(delta.append, 'delta.append', vocabularySize, maxContextTokens),
    };
  }
  const mode = b.mode ?? 'greedy';
  if (mode !== 'greedy' && mode !== 'sampling')
    throw new ProtocolError('BadRequest', 'mode must be greedy or sampling');
  request.mode = mode;
  if (b.seed !== undefined) {
    if (!Number.isInteger(b.seed) || (b.seed as number) < 0) {
      throw new ProtocolError('BadRequest', 'seed must be a non-negative integer');
    }
    request.seed = b.seed as number;
  }
  if (mode === 'sampling') {
    const t = b.temperature;
    if (typeof t !== 'number' || !(t > 0) || t > VERIFY_LIMITS.maxTemperature) {
      throw new ProtocolError(
        'BadRequest',
        `sampling mode needs a temperature in (0, ${VERIFY_LIMITS.maxTemperature}]`,
      );
    }
    request.temperature = t;
    const dists = b.draftDistributions ?? [];
    if (!Array.isArray(dists) || dists.length !== request.draft.length) {
      throw new ProtocolError('BadRequest', 'sampling mode needs one entry of draftDistributions per draft token');
    }
    request.draftDistributions = dists.map((d, i) => distribution(d, `draftDistributions[${i}]`, vocabularySize));
    request.draft.forEach((token, i) => {
      const q = request.draftDistributions?.[i]?.find(([id]) => id === token)?.[1] ?? 0;
      if (!(q > 0)) {
        throw new ProtocolError('BadRequest', `draft[${i}] has probability 0 in draftDistributions[${i}]`);
      }
    });
  } else if (b.temperature !== undefined || b.draftDistributions !== undefined) {
    throw new ProtocolError('BadRequest', 'temperature and draftDistributions belong to sampling mode');
  }
  return request;
}
