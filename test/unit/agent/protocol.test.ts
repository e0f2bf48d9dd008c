import { ProtocolError, parseVerifyRequest } from '../../../src/agent/protocol.js';

const parse = (body: unknown) => parseVerifyRequest(body, 100, 50);

describe('verification request validation', () => {
  it('accepts a greedy request with a full context and a sampling request with a delta', () => {
    expect(parse({ sessionId: 'a', context: [1, 2], draft: [3] })).toEqual({
      sessionId: 'a',
      context: [1, 2],
      draft: [3],
      mode: 'greedy',
    });
    const sampling = parse({
      sessionId: 'a',
      delta: { keep: 2, append: [4] },
      draft: [3],
      mode: 'sampling',
      temperature: 0.8,
      draftDistributions: [
        [
          [3, 0.75],
          [4, 0.25],
        ],
      ],
      seed: 5,
    });
    expect(sampling.delta).toEqual({ keep: 2, append: [4] });
    expect(sampling.draftDistributions).toHaveLength(1);
  });

  it.each([
    [[], 'JSON object'],
    [{ context: [1], draft: [] }, 'sessionId'],
    [{ sessionId: 'a', context: [1], delta: { keep: 0, append: [] }, draft: [] }, 'exactly one'],
    [{ sessionId: 'a', context: [], draft: [] }, 'must not be empty'],
    [{ sessionId: 'a', context: [1.5], draft: [] }, 'context[0]'],
    [{ sessionId: 'a', context: new Array(51).fill(1), draft: [] }, 'limit 50'],
    [{ sessionId: 'a', context: [1], draft: new Array(65).fill(1) }, 'limit 64'],
    [{ sessionId: 'a', context: [1], draft: [], mode: 'beam' }, 'mode'],
    [{ sessionId: 'a', context: [1], draft: [], temperature: 1 }, 'belong to sampling'],
    [{ sessionId: 'a', context: [1], draft: [2], mode: 'sampling', temperature: 0 }, 'temperature'],
    [
      { sessionId: 'a', context: [1], draft: [2], mode: 'sampling', temperature: 1, draftDistributions: [[[3, 1]]] },
      'probability 0',
    ],
    [
      { sessionId: 'a', context: [1], draft: [2], mode: 'sampling', temperature: 1, draftDistributions: [[[2, 0.5]]] },
      'sums to',
    ],
    [{ sessionId: 'a', delta: { keep: -1, append: [] }, draft: [] }, 'delta'],
  ])('rejects malformed request %# with a clear message', (body, message) => {
    expect(() => parse(body)).toThrow(ProtocolError);
    expect(() => parse(body)).toThrow(message);
  });
});
