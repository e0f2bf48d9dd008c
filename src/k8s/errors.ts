// One place that turns whatever the transport threw (an HTTP status from our REST calls, the client's
// ApiException, a watch error with statusCode, a network failure) into an ApiError with a named reason.
import { ApiError, type ApiErrorReason } from '../controller/ports.js';

/** The apiserver's metav1.Status body, as far as we read it. */
interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { causes?: { message?: string; field?: string }[] };
}

export function reasonForStatus(code: number, statusReason?: string): ApiErrorReason {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return statusReason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
    case 410:
      return 'Gone';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'Unavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'ServerError' : 'Unknown';
  }
}

/** Builds the error for a failed response from its code and (possibly unparsed) body. */
export function apiErrorFromResponse(code: number, body: unknown, fallbackMessage: string): ApiError {
  const status = parseStatus(body);
  const causes = (status?.details?.causes ?? [])
    .map((c) => [c.field, c.message].filter(Boolean).join(': '))
    .filter((text) => text.length > 0);
  return new ApiError(reasonForStatus(code, status?.reason), code, status?.message ?? fallbackMessage, causes);
}

/** Maps anything thrown by a Kubernetes call to an ApiError; network failures become Unavailable. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (typeof err === 'object' && err !== null) {
    const record = err as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown; name?: unknown };
    const message = typeof record.message === 'string' ? record.message : String(err);
    // client-node's ApiException carries the HTTP status in `code`; its watch errors use `statusCode`.
    const httpCode =
      typeof record.statusCode === 'number'
        ? record.statusCode
        : typeof record.code === 'number'
          ? record.code
          : undefined;
    if (httpCode !== undefined) return apiErrorFromResponse(httpCode, record.body, message);
    if (record.name === 'TimeoutError' || record.name === 'AbortError') return new ApiError('Timeout', 0, message);
    // Node's network errors carry string codes such as ECONNREFUSED or ECONNRESET; fetch wraps them in `cause`.
    if (typeof record.code === 'string') return new ApiError('Unavailable', 0, `${record.code}: ${message}`);
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (cause && typeof cause === 'object') {
      const code = typeof cause.code === 'string' ? `${cause.code}: ` : '';
      return new ApiError('Unavailable', 0, `${message}: ${code}${String(cause.message ?? '')}`);
    }
    return new ApiError('Unknown', 0, message);
  }
  return new ApiError('Unknown', 0, String(err));
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return parseStatus(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  return undefined;
}
