// Validation of the OpenAI-compatible request bodies the drafter accepts (the subset it implements).
export class ApiRequestError extends Error {}

export interface CompletionParams {
  model?: string;
  maxTokens: number;
  temperature: number;
  stop: string[];
  stream: boolean;
  seed?: number;
}

export const MAX_COMPLETION_TOKENS = 4096;
const MAX_PROMPT_CHARS = 64 * 1024;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

function commonParams(b: Record<string, unknown>): CompletionParams {
  const maxTokens = b.max_tokens ?? b.max_completion_tokens ?? 16;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > MAX_COMPLETION_TOKENS) {
    throw new ApiRequestError(`max_tokens must be an integer in [1, ${MAX_COMPLETION_TOKENS}]`);
  }
  const temperature = b.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) {
    throw new ApiRequestError('temperature must be a number in [0, 2]');
  }
  let stop: string[] = [];
  if (typeof b.stop === 'string') stop = [b.stop];
  else if (Array.isArray(b.stop)) stop = b.stop as string[];
  else if (b.stop !== undefined && b.stop !== null) throw new ApiRequestError('stop must be a string or an array');
  if (stop.length > 4 || stop.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 256)) {
    throw new ApiRequestError('stop takes at most 4 non-empty strings of up to 256 characters');
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw new ApiRequestError('stream must be a boolean');
  if (b.n !== undefined && b.n !== 1) throw new ApiRequestError('only n = 1 is supported');
  if (b.top_p !== undefined && b.top_p !== null && !(typeof b.top_p === 'number' && b.top_p > 0 && b.top_p <= 1)) {
    throw new ApiRequestError('top_p must be a number in (0, 1]');
  }
  if (b.seed !== undefined && b.seed !== null && !Number.isInteger(b.seed)) {
    throw new ApiRequestError('seed must be an integer');
  }
  if (b.model !== undefined && typeof b.model !== 'string') throw new ApiRequestError('model must be a string');
  return {
    model: b.model as string | undefined,
    maxTokens: maxTokens as number,
    temperature,
    stop,
    stream: b.stream === true,
    seed: b.seed === undefined || b.seed === null ? undefined : Math.abs(b.seed as number),
  };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiRequestError('body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function parseCompletionRequest(body: unknown): CompletionParams & { prompt: string } {
  const b = objectBody(body);
  let prompt = b.prompt;
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (typeof prompt !== 'string') throw new ApiRequestError('prompt must be a string (or an array of one string)');
  if (prompt.length > MAX_PROMPT_CHARS) throw new ApiRequestError(`prompt longer than ${MAX_PROMPT_CHARS} characters`);
  return { ...commonParams(b), prompt };
}

export function parseChatRequest(body: unknown): CompletionParams & { messages: ChatMessage[] } {
  const b = objectBody(body);
  const { messages } = b;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > 256) {
    throw new ApiRequestError('messages must be a non-empty array');
  }
  let chars = 0;
  const parsed = messages.map((m, i): ChatMessage => {
    const message = m as Record<string, unknown> | null;
    if (typeof message !== 'object' || message === null) throw new ApiRequestError(`messages[${i}] must be an object`);
    const { role, content } = message;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new ApiRequestError(`messages[${i}].role must be system, user or assistant`);
    }
    const text = Array.isArray(content)
      ? content.map((part) => (part as { type?: string; text?: unknown }).text ?? '').join('')
      : content;
    if (typeof text !== 'string') throw new ApiRequestError(`messages[${i}].content must be text`);
    chars += text.length;
    return { role, content: text };
  });
  if (chars > MAX_PROMPT_CHARS) throw new ApiRequestError(`messages longer than ${MAX_PROMPT_CHARS} characters`);
  return { ...commonParams(b), messages: parsed };
}

/** A plain transcript template: the test models have no chat template, and this keeps roles visible. */
export function chatPrompt(messages: readonly ChatMessage[]): string {
  return `${messages.map((m) => `${m.role}: ${m.content}`).join('\n')}\nassistant:`;
}
