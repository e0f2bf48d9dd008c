import { API_VERSION, QUANTIZATIONS } from '../../../src/api/types.js';

describe('API constants', () => {
  it('names the configspec.io/v1alpha1 group version', () => {
    expect(API_VERSION).toBe('configspec.io/v1alpha1');
  });
  it('lists each GGUF quantisation once', () => {
    expect(new Set(QUANTIZATIONS).size).toBe(QUANTIZATIONS.length);
  });
});
