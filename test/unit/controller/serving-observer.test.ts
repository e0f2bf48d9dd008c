// Drafter and verifier /metrics text into the planner's observations: deltas between scrapes (restarts too),
// sampling at most N pods per class in rotation, accumulation per configuration, verifier (batch, K) windows.
import {
  ServingObserver,
  drafterSnapshot,
  parsePrometheusText,
  samplePods,
  windowBetween,
} from '../../../src/controller/serving-observer.js';

function drafterText(rounds: number, k: number, alpha: number, draftPerRound = 0.05): string {
  const lines = [
    '# HELP configspec_drafter_rounds_total Speculative rounds',
    '# TYPE configspec_drafter_rounds_total counter',
    `configspec_drafter_rounds_total ${rounds}`,
  ];
  let reaching = rounds;
  let accepted = 0;
  for (let i = 1; i <= k; i++) {
    lines.push(`configspec_drafter_drafted_tokens_total{position="${i}"} ${reaching}`);
    lines.push(`configspec_drafter_accepted_tokens_total{position="${i}"} ${reaching * alpha}`);
    accepted += reaching * alpha;
    reaching *= alpha;
  }
  lines.push(
    `configspec_drafter_generated_tokens_total ${rounds + accepted}`,
    `configspec_drafter_draft_seconds_sum ${rounds * draftPerRound}`,
    `configspec_drafter_draft_seconds_count ${rounds}`,
    `configspec_drafter_verify_seconds_bucket{le="+Inf"} ${rounds}`,
    `configspec_drafter_verify_seconds_sum ${rounds * 0.05}`,
    `configspec_drafter_network_seconds_sum ${rounds * 0.02}`,
    `configspec_drafter_speculation_length ${k}`,
  );
  return lines.join('\n');
}

describe('drafter metrics into observations', () => {
  it('parses the counters prom-client writes', () => {
    const s = drafterSnapshot(parsePrometheusText(drafterText(100, 2, 0.5)));
    expect(s).toMatchObject({ rounds: 100, drafted: [100, 50], accepted: [50, 25], k: 2 });
    expect(s.roundTripSeconds).toBeCloseTo(5);
  });

  it('takes deltas between scrapes, the network part out of the verification time, and a restart as a reset', () => {
    const a = drafterSnapshot(parsePrometheusText(drafterText(100, 2, 0.5)));
    const b = drafterSnapshot(parsePrometheusText(drafterText(300, 2, 0.5)));
    const w = windowBetween(a, b, 60);
    expect(w).toMatchObject({ rounds: 200, drafted: [200, 100], accepted: [100, 50], kRounds: 400, windowSeconds: 60 });
    expect(w.verifySeconds).toBeCloseTo(200 * 0.03);
    expect(w.networkSeconds).toBeCloseTo(200 * 0.02);
    const restarted = windowBetween(b, a, 60);
    expect(restarted.rounds).toBe(100);
  });

  it('samples at most N pods per class, rotating so every pod is read over time', () => {
    const pods = Array.from({ length: 20 }, (_, i) => i);
    const seen = new Set<number>();
    for (let scrape = 0; scrape < 3; scrape++) {
      const sample = samplePods(pods, 8, scrape);
      expect(sample).toHaveLength(8);
      sample.forEach((p) => seen.add(p));
    }
    expect(seen.size).toBe(20);
    expect(samplePods([1, 2], 8, 5)).toEqual([1, 2]);
  });

  it('accumulates windows per class and configuration for the planner; a first read only sets the baseline', async () => {
    const texts = new Map<string, string>();
    const reads: string[] = [];
    const observer = new ServingObserver(async (url) => {
      reads.push(url);
      const text = texts.get(url);
      if (text === undefined) throw new Error('unreachable');
      return text;
    });
    const pods = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, url: `http://10.0.0.${i}:8080/metrics` }));
    const scrape = [{ deviceClass: 'pi5', draft: 'd', quantization: 'Q4_K_M' as const, pods }];
    pods.forEach((p) => texts.set(p.url, drafterText(1000, 4, 0.7)));
    await observer.scrapeDrafters('ns/chat', scrape, 0);
    expect(reads).toHaveLength(8);
    expect(observer.observations('ns/chat')).toEqual({});
    pods.forEach((p) => texts.set(p.url, drafterText(1100, 4, 0.7)));
    await observer.scrapeDrafters('ns/chat', scrape, 60_000);
    const observed = observer.observations('ns/chat').pi5!.candidates[0]!;
    // Second scrape: 8 pods again, 4 of them read before (rotation), each with 100 new rounds.
    expect(observed).toMatchObject({ draft: 'd', quantization: 'Q4_K_M', k: 4 });
    expect(observed.counters.rounds).toBe(400);
    expect(observed.counters.accepted[0]! / observed.counters.drafted[0]!).toBeCloseTo(0.7);
    observer.forget('ns/chat');
    expect(observer.observations('ns/chat')).toEqual({});
  });

  it('turns verifier scrapes into (drafters per replica, K, seconds per request) windows', async () => {
    let requests = 0;
    const observer = new ServingObserver(async () =>
      [
        `configspec_verifier_compute_seconds_sum ${requests * 0.04}`,
        `configspec_verifier_compute_seconds_count ${requests}`,
        `configspec_verifier_queue_seconds_sum ${requests * 0.01}`,
        `configspec_verifier_draft_tokens_total ${requests * 4}`,
      ].join('\n'),
    );
    const replicas = [{ id: 'v0', url: 'http://v0/metrics' }];
    await observer.scrapeVerifier('ns/chat', replicas, 10, 0);
    requests = 500;
    await observer.scrapeVerifier('ns/chat', replicas, 10, 60_000);
    const [cell] = observer.verifierWindows('ns/chat');
    expect(cell).toMatchObject({ batch: 10, k: 4, requests: 500 });
    expect(cell!.seconds).toBeCloseTo(0.05);
  });
});
