import { ApiError, isApiError } from '../../../src/controller/ports.js';
import { apiErrorFromResponse, toApiError } from '../../../src/k8s/errors.js';

describe('toApiError', () => {
  const cases: [string, unknown, string, number][] = [
    [
      'client ApiException 404',
      { code: 404, body: '{"kind":"Status","reason":"NotFound","message":"x not found"}', message: 'HTTP-Code: 404' },
      'NotFound',
      404,
    ],
    ['conflict', { code: 409, body: { reason: 'Conflict', message: 'modified' } }, 'Conflict', 409],
    ['already exists', { code: 409, body: { reason: 'AlreadyExists', message: 'exists' } }, 'AlreadyExists', 409],
    ['watch error with statusCode 410', { statusCode: 410, message: 'Gone' }, 'Gone', 410],
    ['invalid', { code: 422, body: {} }, 'Invalid', 422],
    ['throttled', { code: 429 }, 'TooManyRequests', 429],
    ['server error', { code: 500 }, 'ServerError', 500],
    ['unavailable', { code: 503 }, 'Unavailable', 503],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'Unavailable',
      0,
    ],
    ['timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'Timeout', 0],
    ['plain string', 'weird', 'Unknown', 0],
  ];
  it.each(cases)('maps %s', (_name, thrown, reason, code) => {
    const error = toApiError(thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.reason).toBe(reason);
    expect(error.code).toBe(code);
  });

  it('keeps the apiserver message and field causes', () => {
    const error = apiErrorFromResponse(
      422,
      JSON.stringify({
        reason: 'Invalid',
        message: 'SpecDecodeDeployment.configspec.io "x" is invalid',
        details: { causes: [{ field: 'spec.speculation.k', message: 'min must be <= max' }] },
      }),
      'fallback',
    );
    expect(error.message).toBe('SpecDecodeDeployment.configspec.io "x" is invalid');
    expect(error.causes).toEqual(['spec.speculation.k: min must be <= max']);
  });

  it('returns an ApiError unchanged and says which failures are worth retrying', () => {
    const conflict = new ApiError('Conflict', 409, 'c');
    expect(toApiError(conflict)).toBe(conflict);
    expect(conflict.retriable).toBe(true);
    expect(new ApiError('Forbidden', 403, 'f').retriable).toBe(false);
    expect(isApiError(conflict, 'Conflict')).toBe(true);
    expect(isApiError(conflict, 'NotFound')).toBe(false);
  });
});
