// Prometheus metrics of the verifier, in their own registry so several verifiers can live in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createVerifierMetrics(defaults = true) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'configspec_verifier_requests_total',
      help: 'Verification requests by mode and HTTP status code',
      labelNames: ['mode', 'code'] as const,
      registers,
    }),
    draftTokens: new Counter({
      name: 'configspec_verifier_draft_tokens_total',
      help: 'Draft tokens received for verification',
      registers,
    }),
    acceptedTokens: new Counter({
      name: 'configspec_verifier_accepted_tokens_total',
      help: 'Draft tokens accepted',
      registers,
    }),
    evaluatedTokens: new Counter({
      name: 'configspec_verifier_evaluated_tokens_total',
      help: 'Tokens evaluated by the target model (context not found in the cache, plus drafts)',
      registers,
    }),
    reusedTokens: new Counter({
      name: 'configspec_verifier_reused_prefix_tokens_total',
      help: 'Context tokens served from a cached session prefix instead of being evaluated',
      registers,
    }),
    queueSeconds: new Histogram({
      name: 'configspec_verifier_queue_seconds',
      help: 'Time a request waited for a free sequence',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    computeSeconds: new Histogram({
      name: 'configspec_verifier_compute_seconds',
      help: 'Time spent evaluating a request on the target model',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    busyPollSeconds: new Counter({
      name: 'configspec_verifier_busy_poll_seconds_total',
      help: 'Time spent polling for the next request instead of sleeping (--busy-poll-ms): CPU spent for latency',
      registers,
    }),
    waiting: new Gauge({ name: 'configspec_verifier_queue_depth', help: 'Requests waiting for a sequence', registers }),
    sessions: new Gauge({ name: 'configspec_verifier_sessions', help: 'Sessions with a cached context', registers }),
    evictions: new Gauge({
      name: 'configspec_verifier_sequence_evictions',
      help: 'Times a session lost its sequence (KV cache) to another session, since start',
      registers,
    }),
  };
}

export type VerifierMetrics = ReturnType<typeof createVerifierMetrics>;
