import { formatValidationError } from '../../../src/api/errors.js';
import { validateObject } from '../../../src/api/validate.js';
import { INVALID_MANIFESTS, INVALID_STATUSES, type InvalidManifestCase } from '../../support/invalid-manifests.js';

function expectRejected(c: InvalidManifestCase): void {
  const errors = validateObject(c.manifest);
  // The whole list is in the failure message, so a wrong path or wording is easy to see.
  expect({
    errors: errors.map(formatValidationError),
    matched: errors.some((error) => error.path === c.path && error.message.includes(c.message)),
  }).toEqual({
    errors: expect.arrayContaining([expect.stringContaining(`${c.path}: ${c.message}`)]),
    matched: true,
  });
}

/** Each mutation should break exactly one rule, so a case tests what its name says. */
function noisyCases(cases: readonly InvalidManifestCase[]): { name: string; errors: string[] }[] {
  return cases
    .map((c) => ({ name: c.name, errors: validateObject(c.manifest).map(formatValidationError) }))
    .filter((c) => c.errors.length !== 1);
}

describe('the invalid-manifest catalogue', () => {
  it('has at least 25 cases with unique names, across every kind', () => {
    const all = [...INVALID_MANIFESTS, ...INVALID_STATUSES];
    expect(INVALID_MANIFESTS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    expect(new Set(INVALID_MANIFESTS.map((c) => c.manifest.kind)).size).toBe(4);
    expect(new Set(INVALID_STATUSES.map((c) => c.manifest.kind)).size).toBe(4);
  });

  it.each(INVALID_MANIFESTS.map((c) => [c.name, c] as const))('%s is rejected naming the field', (_name, c) =>
    expectRejected(c),
  );

  it.each(INVALID_STATUSES.map((c) => [c.name, c] as const))(
    '%s (a /status write) is rejected naming the field',
    (_name, c) => expectRejected(c),
  );

  it('every case is rejected for one reason only', () => {
    expect(noisyCases([...INVALID_MANIFESTS, ...INVALID_STATUSES])).toEqual([]);
  });

  it('holds valid objects apart from the status, which the apiserver ignores outside /status', () => {
    const withoutStatus = INVALID_STATUSES.map((c) => {
      const { status: _status, ...rest } = c.manifest;
      return { name: c.name, errors: validateObject(rest).map(formatValidationError) };
    }).filter((c) => c.errors.length > 0);
    expect(withoutStatus).toEqual([]);
  });
});
