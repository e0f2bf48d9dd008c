// The closed loop's eyes: scrapes of drafter (and verifier) /metrics turned into the planner's observations.
// Per (deployment, device class, draft, quantisation) it keeps the last cumulative counters of each sampled pod,
// turns the next scrape into a window of deltas (a counter that went down means the pod restarted: its new value
// is the delta), and accumulates windows with decay and shift detection (src/costmodel/correction.ts). Verifier
// scrapes become windows of (drafters per replica, mean K, seconds per request), kept per (batch, K) cell for the
// load fit. Fetching is a port (MetricsReader), so this runs in unit tests on text and in the operator over HTTP.
//
// Sampling: at most SAMPLED_PODS_PER_CLASS drafters per class per scrape, rotated so every pod is read over time.
// Eight: the figures are pooled over pods, so precision grows with rounds, not pods; eight pods at a few rounds
// per second already give thousands of rounds per minute (acceptance to ±1–2 %), and device-to-device spread
// within a class is averaged over eight. It bounds the cost at fleet scale to 8 × classes GETs per deployment
// per interval (100 deployments × 3 classes: 2,400 small GETs a minute), independent of the node count.
import {
  DEFAULT_CORRECTION,
  accumulateVerifierWindow,
  accumulateWithShiftDetection,
  type CorrectionSettings,
  type ServingCounters,
  type VerifierWindow,
} from '../costmodel/index.js';
import type { Quantization } from '../api/types.js';
import type { ClassObservations } from '../planner/closed-loop.js';

export const SAMPLED_PODS_PER_CLASS = 8;

/** Reads the Prometheus text of one pod's /metrics (HTTP in the operator, strings in tests). */
export type MetricsReader = (url: string) => Promise<string>;

/** One sample: name → label set text → value. */
export type Samples = Map<string, Map<string, number>>;

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
export function parsePrometheusText(text: string): Samples {
  const samples: Samples = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const byLabels = samples.get(match[1]!) ?? new Map<string, number>();
    byLabels.set(match[2] ?? '', value);
    samples.set(match[1]!, byLabels);
  }
  return samples;
}

const total = (samples: Samples, name: string) => [...(samples.get(name)?.values() ?? [])].reduce((s, v) => s + v, 0);

function byPosition(samples: Samples, name: string): number[] {
  const list: number[] = [];
  for (const [labels, value] of samples.get(name) ?? []) {
    const position = /position="(\d+)"/.exec(labels);
    if (!position) continue;
    const index = Number(position[1]) - 1;
    if (index < 0 || index >= 64) continue;
    while (list.length <= index) list.push(0);
    list[index] = value;
  }
  return list;
}

/** Cumulative drafter counters of one scrape (kRounds and windowSeconds are not cumulative: filled per window). */
export interface DrafterSnapshot {
  rounds: number;
  tokens: number;
  drafted: number[];
  accepted: number[];
  draftSeconds: number;
  /** Verification round trip as the drafter saw it, network included. */
  roundTripSeconds: number;
  networkSeconds: number;
  k: number;
}

export function drafterSnapshot(samples: Samples): DrafterSnapshot {
  return {
    rounds: total(samples, 'configspec_drafter_rounds_total'),
    tokens: total(samples, 'configspec_drafter_generated_tokens_total'),
    drafted: byPosition(samples, 'configspec_drafter_drafted_tokens_total'),
    accepted: byPosition(samples, 'configspec_drafter_accepted_tokens_total'),
    draftSeconds: total(samples, 'configspec_drafter_draft_seconds_sum'),
    roundTripSeconds: total(samples, 'configspec_drafter_verify_seconds_sum'),
    networkSeconds: total(samples, 'configspec_drafter_network_seconds_sum'),
    k: total(samples, 'configspec_drafter_speculation_length'),
  };
}

/** The window between two snapshots of one pod; a counter that fell means a restart: the new value is the delta. */
export function windowBetween(
  before: DrafterSnapshot | undefined,
  after: DrafterSnapshot,
  seconds: number,
): ServingCounters {
  const restarted =
    !before ||
    after.rounds < before.rounds ||
    after.tokens < before.tokens ||
    after.draftSeconds < before.draftSeconds ||
    after.roundTripSeconds < before.roundTripSeconds;
  const base = restarted ? undefined : before;
  const delta = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0));
  const positions = Math.max(after.drafted.length, after.accepted.length);
  const drafted: number[] = [];
  const accepted: number[] = [];
  for (let i = 0; i < positions; i++) {
    const d = delta(after.drafted[i] ?? 0, base?.drafted[i]);
    drafted.push(d);
    accepted.push(Math.min(d, delta(after.accepted[i] ?? 0, base?.accepted[i])));
  }
  const rounds = delta(after.rounds, base?.rounds);
  const roundTrip = delta(after.roundTripSeconds, base?.roundTripSeconds);
  const network = Math.min(roundTrip, delta(after.networkSeconds, base?.networkSeconds));
  return {
    rounds,
    tokens: delta(after.tokens, base?.tokens),
    drafted,
    accepted,
    kRounds: rounds * after.k,
    draftSeconds: delta(after.draftSeconds, base?.draftSeconds),
    verifySeconds: roundTrip - network,
    networkSeconds: network,
    windowSeconds: Math.max(0, seconds),
  };
}

function sumCounters(windows: readonly ServingCounters[]): ServingCounters {
  const positions = Math.max(0, ...windows.map((w) => w.drafted.length));
  const drafted = Array.from({ length: positions }, (_, i) => windows.reduce((s, w) => s + (w.drafted[i] ?? 0), 0));
  const accepted = Array.from({ length: positions }, (_, i) => windows.reduce((s, w) => s + (w.accepted[i] ?? 0), 0));
  const add = (key: 'rounds' | 'tokens' | 'kRounds' | 'draftSeconds' | 'verifySeconds' | 'networkSeconds') =>
    windows.reduce((s, w) => s + w[key], 0);
  return {
    rounds: add('rounds'),
    tokens: add('tokens'),
    drafted,
    accepted,
    kRounds: add('kRounds'),
    draftSeconds: add('draftSeconds'),
    verifySeconds: add('verifySeconds'),
    networkSeconds: add('networkSeconds'),
    // The pods ran side by side: the window is one interval, not their sum.
    windowSeconds: Math.max(0, ...windows.map((w) => w.windowSeconds)),
  };
}

/** Which pods of a class to read this time: up to `limit`, rotating through the list from scrape to scrape. */
export function samplePods<T>(pods: readonly T[], limit: number, scrape: number): T[] {
  if (pods.length <= limit) return [...pods];
  const start = (scrape * limit) % pods.length;
  return Array.from({ length: limit }, (_, i) => pods[(start + i) % pods.length]!);
}

export interface DrafterPod {
  /** Stable identity (namespace/name, or uid). */
  id: string;
  /** The pod's /metrics URL. */
  url: string;
}

export interface ClassScrape {
  deviceClass: string;
  /** The configuration the class's drafters run (the selected one). */
  draft: string;
  quantization: Quantization;
  pods: readonly DrafterPod[];
}

interface Accumulated {
  counters: ServingCounters;
  k: number;
  atMs: number;
}

/** Per-deployment observation state; one per operator process (it is rebuilt from scrapes after a restart). */
export class ServingObserver {
  private readonly snapshots = new Map<string, { snapshot: DrafterSnapshot; atMs: number }>();
  private readonly accumulated = new Map<string, Map<string, Accumulated>>();
  private readonly verifierCells = new Map<string, { cells: VerifierWindow[]; atMs: number }>();
  private readonly verifierSnapshots = new Map<string, { samples: VerifierTotals; atMs: number }>();
  /** Scrapes per (deployment, class, configuration): each group rotates through its own pods. */
  private readonly scrapes = new Map<string, number>();

  constructor(
    private readonly read: MetricsReader,
    private readonly settings: CorrectionSettings = DEFAULT_CORRECTION,
    private readonly podsPerClass = SAMPLED_PODS_PER_CLASS,
  ) {}

  /**
   * Reads up to podsPerClass drafters of each class and folds the window into the class's observations. Returns
   * the rounds that came in (0: nothing new for the planner). `classes` lists every group of the deployment: a
   * pod that is in none of them is gone, and its baseline is dropped.
   */
  async scrapeDrafters(
    deployment: string,
    classes: readonly ClassScrape[],
    nowMs: number,
    read: MetricsReader = this.read,
  ): Promise<number> {
    let newRounds = 0;
    const live = new Set<string>();
    for (const scrape of classes) {
      const group = `${deployment}\u0000${scrape.deviceClass}\u0000${scrape.draft}\u0000${scrape.quantization}`;
      const count = (this.scrapes.get(group) ?? 0) + 1;
      this.scrapes.set(group, count);
      const windows: ServingCounters[] = [];
      for (const pod of scrape.pods)
        live.add(`${deployment}\u0000${pod.id}\u0000${scrape.draft}\u0000${scrape.quantization}`);
      for (const pod of samplePods(scrape.pods, this.podsPerClass, count)) {
        let snapshot: DrafterSnapshot;
        try {
          snapshot = drafterSnapshot(parsePrometheusText(await read(pod.url)));
        } catch {
          continue; // An unreachable pod is no evidence; the next scrape tries again.
        }
        const key = `${deployment}\u0000${pod.id}\u0000${scrape.draft}\u0000${scrape.quantization}`;
        const before = this.snapshots.get(key);
        this.snapshots.set(key, { snapshot, atMs: nowMs });
        // The first read of a pod only sets its baseline: its lifetime totals are not this window's.
        if (before) windows.push(windowBetween(before.snapshot, snapshot, (nowMs - before.atMs) / 1000));
      }
      const window = sumCounters(windows);
      if (!(window.rounds > 0)) continue;
      newRounds += window.rounds;
      const byCandidate = this.accumulated.get(`${deployment}\u0000${scrape.deviceClass}`) ?? new Map();
      const candidate = `${scrape.draft}\u0000${scrape.quantization}`;
      const previous = byCandidate.get(candidate);
      const next = accumulateWithShiftDetection(
        previous?.counters,
        window,
        previous ? (nowMs - previous.atMs) / 1000 : 0,
        this.settings,
      );
      const k = window.rounds > 0 ? Math.round(window.kRounds / window.rounds) : (previous?.k ?? 0);
      byCandidate.set(candidate, { counters: next.counters, k, atMs: nowMs });
      this.accumulated.set(`${deployment}\u0000${scrape.deviceClass}`, byCandidate);
    }
    // Baselines of pods that are gone (deleted, or rolled to another configuration) would only take memory.
    const prefix = `${deployment}\u0000`;
    for (const key of [...this.snapshots.keys()])
      if (key.startsWith(prefix) && !live.has(key)) this.snapshots.delete(key);
    const groups = new Set(
      classes.map((c) => `${deployment}\u0000${c.deviceClass}\u0000${c.draft}\u0000${c.quantization}`),
    );
    for (const key of [...this.scrapes.keys()])
      if (key.startsWith(prefix) && !groups.has(key)) this.scrapes.delete(key);
    return newRounds;
  }

  /** Reads the verifier replicas and adds a (drafters per replica, K, seconds per request) window. */
  async scrapeVerifier(
    deployment: string,
    replicas: readonly DrafterPod[],
    drafters: number,
    nowMs: number,
    read: MetricsReader = this.read,
  ): Promise<number> {
    const deltas: VerifierTotals[] = [];
    for (const pod of replicas) {
      let totals: VerifierTotals;
      try {
        totals = verifierTotals(parsePrometheusText(await read(pod.url)));
      } catch {
        continue;
      }
      const key = `${deployment}\u0000${pod.id}`;
      const before = this.verifierSnapshots.get(key);
      this.verifierSnapshots.set(key, { samples: totals, atMs: nowMs });
      if (!before || totals.requests < before.samples.requests) continue;
      deltas.push({
        requests: totals.requests - before.samples.requests,
        draftTokens: totals.draftTokens - before.samples.draftTokens,
        seconds: totals.seconds - before.samples.seconds,
      });
    }
    const requests = deltas.reduce((s, d) => s + d.requests, 0);
    const prefix = `${deployment}\u0000`;
    const live = new Set(replicas.map((pod) => `${deployment}\u0000${pod.id}`));
    for (const key of [...this.verifierSnapshots.keys()])
      if (key.startsWith(prefix) && !live.has(key)) this.verifierSnapshots.delete(key);
    if (!(requests > 0) || replicas.length === 0) return 0;
    const window: VerifierWindow = {
      batch: Math.max(1, drafters / replicas.length),
      k: deltas.reduce((s, d) => s + d.draftTokens, 0) / requests,
      seconds: deltas.reduce((s, d) => s + d.seconds, 0) / requests,
      requests,
    };
    const state = this.verifierCells.get(deployment);
    this.verifierCells.set(deployment, {
      cells: accumulateVerifierWindow(
        state?.cells ?? [],
        window,
        state ? (nowMs - state.atMs) / 1000 : 0,
        this.settings.observationHalfLifeSeconds,
      ),
      atMs: nowMs,
    });
    return requests;
  }

  /** The planner's observations for a deployment, per device class name. */
  observations(deployment: string): Record<string, ClassObservations> {
    const result: Record<string, ClassObservations> = {};
    for (const [key, byCandidate] of this.accumulated) {
      const [owner, deviceClass] = key.split('\u0000') as [string, string];
      if (owner !== deployment) continue;
      result[deviceClass] = {
        candidates: [...byCandidate.entries()].map(([candidate, value]) => {
          const [draft, quantization] = candidate.split('\u0000') as [string, Quantization];
          return { draft, quantization, k: value.k, counters: value.counters };
        }),
      };
    }
    return result;
  }

  /** The verifier's (batch, K) cells for the load fit. */
  verifierWindows(deployment: string): VerifierWindow[] {
    return this.verifierCells.get(deployment)?.cells ?? [];
  }

  /** The deployments this observer holds state for. */
  deployments(): string[] {
    const keys = new Set<string>(this.verifierCells.keys());
    for (const map of [this.snapshots, this.accumulated, this.verifierSnapshots, this.scrapes] as Map<
      string,
      unknown
    >[])
      for (const key of map.keys()) keys.add(key.slice(0, key.indexOf('\u0000')));
    return [...keys];
  }

  /** Drops everything about a deleted deployment. */
  forget(deployment: string): void {
    const prefix = `${deployment}\u0000`;
    for (const map of [this.snapshots, this.accumulated, this.verifierSnapshots, this.scrapes] as Map<
      string,
      unknown
    >[])
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    this.verifierCells.delete(deployment);
  }
}

interface VerifierTotals {
  requests: number;
  draftTokens: number;
  /** Σ queue + compute seconds. */
  seconds: number;
}

function verifierTotals(samples: Samples): VerifierTotals {
  return {
    requests: total(samples, 'configspec_verifier_compute_seconds_count'),
    draftTokens: total(samples, 'configspec_verifier_draft_tokens_total'),
    seconds:
      total(samples, 'configspec_verifier_compute_seconds_sum') +
      total(samples, 'configspec_verifier_queue_seconds_sum'),
  };
}
