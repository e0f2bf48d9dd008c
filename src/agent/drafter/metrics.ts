// Prometheus metrics of the drafter: what the operator reads back to correct its cost model (per-position
// acceptance, draft/verify/network time, goodput).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LoopObserver, RoundRecord } from './speculative-loop.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createDrafterMetrics(defaults = true) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'configspec_drafter_requests_total',
      help: 'API requests by endpoint and HTTP status code',
      labelNames: ['endpoint', 'code'] as const,
      registers,
    }),
    rounds: new Counter({ name: 'configspec_drafter_rounds_total', help: 'Speculative rounds', registers }),
    drafted: new Counter({
      name: 'configspec_drafter_drafted_tokens_total',
      help: 'Draft tokens sent for verification, by draft position (1-based)',
      labelNames: ['position'] as const,
      registers,
    }),
    accepted: new Counter({
      name: 'configspec_drafter_accepted_tokens_total',
      help: 'Draft tokens accepted by the verifier, by draft position (1-based)',
      labelNames: ['position'] as const,
      registers,
    }),
    generated: new Counter({
      name: 'configspec_drafter_generated_tokens_total',
      help: 'Verified tokens returned to clients',
      registers,
    }),
    draftSeconds: new Histogram({
      name: 'configspec_drafter_draft_seconds',
      help: 'Time to draft the tokens of one round',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    verifySeconds: new Histogram({
      name: 'configspec_drafter_verify_seconds',
      help: 'Round trip of one verification request as seen by the drafter',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    networkSeconds: new Histogram({
      name: 'configspec_drafter_network_seconds',
      help: 'Verification round trip minus the verifier-reported queue and compute time',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    busyPollSeconds: new Counter({
      name: 'configspec_drafter_busy_poll_seconds_total',
      help: 'Time spent polling for verification answers instead of sleeping (--busy-poll-ms): CPU spent for latency',
      registers,
    }),
    goodput: new Gauge({
      name: 'configspec_drafter_goodput_tokens_per_second',
      help: 'Verified tokens per second of the last completed generation',
      registers,
    }),
    k: new Gauge({ name: 'configspec_drafter_speculation_length', help: 'K currently in force', registers }),
    verifierErrors: new Counter({
      name: 'configspec_drafter_verifier_errors_total',
      help: 'Generations that failed because the verifier was unreachable or overloaded',
      registers,
    }),
  };
}

export type DrafterMetrics = ReturnType<typeof createDrafterMetrics>;

export function metricsObserver(metrics: DrafterMetrics): LoopObserver {
  return {
    round(record: RoundRecord): void {
      metrics.rounds.inc();
      // Position i counts as drafted only when 1..i-1 were accepted: then accepted/drafted per position is the
      // conditional acceptance a_i of the cost model.
      for (let i = 1; i <= Math.min(record.k, record.accepted + 1); i++) {
        metrics.drafted.inc({ position: String(i) });
        if (i <= record.accepted) metrics.accepted.inc({ position: String(i) });
      }
      metrics.draftSeconds.observe(record.draftMs / 1000);
      metrics.verifySeconds.observe(record.roundTripMs / 1000);
      const network = record.roundTripMs - record.verifierQueueMs - record.verifierComputeMs;
      metrics.networkSeconds.observe(Math.max(0, network) / 1000);
    },
  };
}
