import { formatValidationError } from '../../../src/api/errors.js';
import { validateObject } from '../../../src/api/validate.js';
import { INVALID_MANIFESTS } from '../../support/invalid-manifests.js';

describe('the invalid-manifest catalogue', () => {
  it('has at least 25 cases with unique names, across every kind', () => {
    expect(INVALID_MANIFESTS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(INVALID_MANIFESTS.map((c) => c.name)).size).toBe(INVALID_MANIFESTS.length);
    expect(new Set(INVALID_MANIFESTS.map((c) => c.manifest.kind)).size).toBe(4);
  });

  it.each(INVALID_MANIFESTS.map((c) => [c.name, c] as const))('%s is rejected naming the field', (_name, c) => {
    const errors = validateObject(c.manifest);
    const atPath = errors.filter((error) => error.path === c.path);
    // The whole list is in the failure message, so a wrong path or wording is easy to see.
    expect({
      errors: errors.map(formatValidationError),
      matched: atPath.some((e) => e.message.includes(c.message)),
    }).toEqual({
      errors: expect.arrayContaining([expect.stringContaining(`${c.path}: ${c.message}`)]),
      matched: true,
    });
  });

  it('every case is rejected for one reason only (each mutation breaks exactly one rule)', () => {
    const noisy = INVALID_MANIFESTS.filter((c) => validateObject(c.manifest).length !== 1).map((c) => ({
      name: c.name,
      errors: validateObject(c.manifest).map(formatValidationError),
    }));
    expect(noisy).toEqual([]);
  });
});
