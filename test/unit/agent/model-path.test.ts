// The agent commands load what the operator's workloads name (a model and its file:// source) or a plain path.
import { resolveModelPath } from '../../../src/agent/model-path.js';

describe('resolveModelPath', () => {
  it('loads a plain path as given when no source is named', () => {
    expect(resolveModelPath('./models/target.gguf', undefined)).toBe('./models/target.gguf');
  });

  it('loads a file:// source in place, whatever the model is called', () => {
    expect(resolveModelPath('tiny-draft', 'file:///var/models/draft%20a.gguf')).toBe('/var/models/draft a.gguf');
  });

  it('refuses a remote source with the advice to fetch it first', () => {
    expect(() => resolveModelPath('qwen', 'hf://Qwen/Qwen2.5-0.5B/q4.gguf')).toThrow(
      /not a local file; fetch it first/,
    );
  });
});
