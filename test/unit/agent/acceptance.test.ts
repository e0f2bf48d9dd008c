import { acceptGreedy, acceptSampling, sampleFrom } from '../../../src/agent/verifier/acceptance.js';
import { seededRandom } from '../../../src/agent/rng.js';

describe('greedy acceptance', () => {
  it('accepts the longest prefix equal to the target choices and returns the target token after it', () => {
    expect(acceptGreedy([5, 6, 7], [5, 6, 9, 4])).toEqual({ accepted: 2, next: 9 });
    expect(acceptGreedy([5, 6], [5, 6, 8])).toEqual({ accepted: 2, next: 8 });
    expect(acceptGreedy([], [3])).toEqual({ accepted: 0, next: 3 });
    expect(acceptGreedy([1], [2, 3])).toEqual({ accepted: 0, next: 2 });
  });
});

describe('speculative sampling', () => {
  const p0 = new Map([
    [0, 0.5],
    [1, 0.3],
    [2, 0.2],
  ]);
  const q0 = new Map([
    [0, 0.1],
    [1, 0.6],
    [2, 0.3],
  ]);
  const p1 = new Map([
    [0, 0.2],
    [1, 0.2],
    [2, 0.6],
  ]);

  it('outputs the first token with the target distribution whatever the draft distribution', () => {
    const random = seededRandom(1);
    const counts = [0, 0, 0];
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const drafted = sampleFrom(q0, random);
      const { accepted, next } = acceptSampling([drafted], [q0], [p0, p1], random);
      const first = accepted === 1 ? drafted : next;
      counts[first] = (counts[first] as number) + 1;
    }
    // Binomial standard error at n = 200k is ≤ 0.0012; allow 4 of them.
    [0.5, 0.3, 0.2].forEach((p, token) => expect(Math.abs((counts[token] as number) / n - p)).toBeLessThan(0.005));
  });

  it('accepts with probability min(1, p/q) in expectation', () => {
    const random = seededRandom(2);
    let accepted = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) accepted += acceptSampling([sampleFrom(q0, random)], [q0], [p0, p1], random).accepted;
    // Σ_x q(x)·min(1, p(x)/q(x)) = Σ min(p, q) = 0.1 + 0.3 + 0.2 = 0.6
    expect(Math.abs(accepted / n - 0.6)).toBeLessThan(0.02);
  });

  it('draws the bonus token from the last target distribution when all drafts are accepted', () => {
    const same = acceptSampling([2], [new Map([[2, 1]])], [new Map([[2, 1]]), new Map([[7, 1]])], seededRandom(3));
    expect(same).toEqual({ accepted: 1, next: 7 });
  });
});
