// Structured logs: one JSON object per line with time, level, msg and the object key fields
// (e.g. {"sdd":"ns/name"}). Messages follow Kubernetes style: capitalised, no trailing period.
// Values under keys that look like credentials are replaced, so a token can never reach the log.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|password|passwd|secret|authorization|bearer|credential|kubeconfig|private.?key/i;

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: JsonLoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = LEVEL_ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < threshold) return;
    const entry = { time: now().toISOString(), level, msg, ...redact(base), ...redact(fields ?? {}) };
    write(JSON.stringify(entry, errorReplacer));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : value;
  }
  return out;
}

// Errors serialise to {} by default; keep what helps: name, message, reason and code.
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const extra = value as Error & { reason?: unknown; code?: unknown };
    return { name: value.name, message: value.message, reason: extra.reason, code: extra.code };
  }
  return value;
}

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined || text === '') return 'info';
  if (text in LEVEL_ORDER) return text as LogLevel;
  throw new Error(`Unknown log level "${text}"; use debug, info, warn or error`);
}
