// `configspec profile`: measures what the cost model needs about one (device, draft, quantisation) and one
// (draft, target, prompt set): t_draft(K) at several K with a least-squares fit, power while drafting and idle
// (sensor, else the DeviceClass's watts marked Estimated), RTT to the verifier, acceptance overall and per
// position, and verification time T_v(K) = a + b·(K+1) from the verifier's own timings.
import type { AlignmentProfileStatus, DraftProfileStatus, PowerSource } from '../../api/types.js';
import { DraftEngine } from '../drafter/draft-engine.js';
import { generate, type RoundRecord } from '../drafter/speculative-loop.js';
import { VerifierClient } from '../drafter/verifier-client.js';
import { acceptanceByPosition, fitLine, median, type LinearFit } from './fit.js';
import type { PowerMeter } from './power.js';

export interface ProfileOptions {
  draftModelPath: string;
  verifierUrl: string;
  prompts: string[];
  /** K values at which drafting time is measured. */
  draftKs: number[];
  repetitions: number;
  /** K of the acceptance runs (per-position acceptance is measured up to this position). */
  acceptanceK: number;
  maxTokens: number;
  /** K values at which verification time is measured. */
  verifyKs: number[];
  verifyPromptsPerK: number;
  rttSamples: number;
  /** Greedy (0) or sampling temperature for the acceptance runs. */
  temperature: number;
  threads: number;
  powerMeter?: PowerMeter;
  /** DeviceClass power figures, used (as Estimated) when there is no sensor. */
  estimatedWatts?: { idle: number; max: number };
  idleWindowMs: number;
  progress?: (message: string) => void;
}

export interface ProfileResult {
  draftProfile: DraftProfileStatus;
  alignmentProfile: AlignmentProfileStatus;
  details: {
    draftSecondsByK: Record<string, number>;
    draftFit: LinearFit;
    verifySecondsByK: Record<string, number>;
    verifierComputeSecondsByK: Record<string, number>;
    verifyFit: LinearFit;
    acceptanceRounds: number;
    reachedByPosition: number[];
    rttSamplesSeconds: number[];
    powerSensor: string;
  };
}

export async function runProfile(options: ProfileOptions): Promise<ProfileResult> {
  const progress = options.progress ?? (() => undefined);
  if (options.prompts.length === 0) throw new Error('the prompt set is empty');
  const verifier = new VerifierClient(options.verifierUrl);
  progress(`checking the verifier at ${options.verifierUrl}`);
  await verifier.health();

  progress(`loading draft model ${options.draftModelPath}`);
  const engine = await DraftEngine.load({
    modelPath: options.draftModelPath,
    threads: options.threads,
    sequences: 1,
    contextSize: 2048,
    maxWaiting: 1,
  });
  try {
    // --- drafting time ---
    const promptTokens = options.prompts.map((p) => engine.tokenize(p));
    const measureDrafting = async (): Promise<Map<number, number[]>> => {
      const samples = new Map<number, number[]>();
      const slot = await engine.pool.acquire('profile');
      try {
        // Untimed warm-up: the first evaluations after loading pay for page faults on the mapped weights,
        // allocations and JIT compilation, and would inflate the fit.
        progress('warming up the draft model');
        const warmUpK = Math.max(...options.draftKs);
        for (let r = 0; r < Math.max(8, options.repetitions); r++) {
          const tokens = promptTokens[r % promptTokens.length] as number[];
          await engine.draft(slot, [engine.bosToken ?? 1, ...tokens], warmUpK, { kind: 'greedy' });
        }
        for (const k of options.draftKs) {
          progress(`drafting time at K=${k}`);
          const times: number[] = [];
          for (let r = 0; r < options.repetitions; r++) {
            const tokens = promptTokens[r % promptTokens.length] as number[];
            const context = [engine.bosToken ?? 1, ...tokens];
            // Steady state of the loop: the context is cached except the token the verifier just returned.
            const warm = await engine.draft(slot, context, 1, { kind: 'greedy' });
            const next = [...context, ...warm.tokens];
            const started = performance.now();
            await engine.draft(slot, next, k, { kind: 'greedy' });
            times.push((performance.now() - started) / 1000);
          }
          samples.set(k, times);
        }
      } finally {
        engine.pool.release(slot);
      }
      return samples;
    };
    let powerDraftingWatts: number | undefined;
    let powerIdleWatts: number | undefined;
    let powerSource: PowerSource;
    let draftSamples: Map<number, number[]>;
    if (options.powerMeter) {
      const measured = await options.powerMeter.measure(measureDrafting);
      draftSamples = measured.result;
      powerDraftingWatts = measured.watts;
      progress(`measuring idle power for ${options.idleWindowMs} ms (${options.powerMeter.sensor})`);
      powerIdleWatts = (await options.powerMeter.measure(() => new Promise((r) => setTimeout(r, options.idleWindowMs))))
        .watts;
      powerSource = 'Sensor';
    } else {
      draftSamples = await measureDrafting();
      powerDraftingWatts = options.estimatedWatts?.max;
      powerIdleWatts = options.estimatedWatts?.idle;
      powerSource = 'Estimated';
    }
    const draftSecondsByK: Record<string, number> = {};
    for (const [k, times] of draftSamples) draftSecondsByK[String(k)] = median(times);
    // Fits go through per-K medians: on a shared machine a few preempted samples would otherwise pull the line.
    const draftFit = fitLine(
      [...draftSamples].map(([k, times]) => ({ x: k, y: median(times) })),
      { nonNegativeIntercept: true },
    );

    // --- RTT ---
    progress(`RTT: ${options.rttSamples} round trips to /healthz`);
    const rtts: number[] = [];
    for (let i = 0; i < options.rttSamples; i++) rtts.push((await verifier.health()) / 1000);

    // --- acceptance ---
    const acceptanceRounds: RoundRecord[] = [];
    for (const [i, tokens] of promptTokens.entries()) {
      if (i % 8 === 0) progress(`acceptance at K=${options.acceptanceK}: prompt ${i + 1}/${promptTokens.length}`);
      const result = await generate(engine, verifier, () => options.acceptanceK, {
        promptTokens: tokens,
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        seed: i,
      });
      acceptanceRounds.push(...result.rounds);
      // RTT samples spread over the whole run see the same machine and network state as the rounds do.
      rtts.push((await verifier.health()) / 1000);
    }
    const acceptance = acceptanceByPosition(acceptanceRounds);

    // --- verification time ---
    // T_v(K) = the verifier's own time (queue + compute, from its answers) plus whatever the verification round
    // trip costs beyond a bare RTT (request encoding, HTTP handling of a larger body), so that RTT + T_v is the
    // round trip the drafter actually waits for. The excess is taken on medians and never below zero.
    const verifySecondsByK: Record<string, number> = {};
    const verifierComputeSecondsByK: Record<string, number> = {};
    const samplesByK: Array<{ k: number; server: number[]; beyondServer: number[] }> = [];
    for (const k of options.verifyKs) {
      progress(`verification time at K=${k}`);
      const server: number[] = [];
      const beyondServer: number[] = [];
      for (let i = 0; i < options.verifyPromptsPerK; i++) {
        const result = await generate(engine, verifier, () => k, {
          promptTokens: promptTokens[i % promptTokens.length] as number[],
          maxTokens: Math.max(options.maxTokens, 2 * (k + 1)),
          temperature: 0,
        });
        // Only full-K rounds after the first (which evaluates the whole prompt) show steady-state cost.
        for (const round of result.rounds.slice(1).filter((r) => r.k === k)) {
          const serverSeconds = (round.verifierQueueMs + round.verifierComputeMs) / 1000;
          server.push(serverSeconds);
          beyondServer.push(round.roundTripMs / 1000 - serverSeconds);
        }
        rtts.push((await verifier.health()) / 1000);
      }
      if (server.length) samplesByK.push({ k, server, beyondServer });
    }
    const rtt = median(rtts);
    for (const { k, server, beyondServer } of samplesByK) {
      verifierComputeSecondsByK[String(k)] = median(server);
      verifySecondsByK[String(k)] = median(server) + Math.max(0, median(beyondServer) - rtt);
    }
    const verifyFit = fitLine(
      Object.entries(verifySecondsByK).map(([k, y]) => ({ x: Number(k) + 1, y })),
      { nonNegativeIntercept: true },
    );

    const measuredAt = new Date().toISOString();
    const condition = (message: string) => ({
      type: 'Measured',
      status: 'True' as const,
      lastTransitionTime: measuredAt,
      reason: 'Measured',
      message,
    });
    const draftSamplesCount = [...draftSamples.values()].reduce((s, t) => s + t.length, 0);
    return {
      draftProfile: {
        draftSecondsIntercept: Math.max(0, draftFit.intercept),
        draftSecondsPerToken: Math.max(0, draftFit.slope),
        samples: draftSamplesCount,
        powerDraftingWatts,
        powerIdleWatts,
        powerSource,
        rttSeconds: rtt,
        // Peak resident memory of this process: the runtime plus the loaded draft model and its context.
        memoryBytes: process.resourceUsage().maxRSS * 1024,
        measuredAt,
        conditions: [
          condition(
            `t_draft fitted over K=${options.draftKs.join(',')} (${draftSamplesCount} samples, r²=${draftFit.r2.toFixed(3)}); power ${powerSource === 'Sensor' ? `from ${options.powerMeter?.sensor}` : 'estimated from the DeviceClass'}`,
          ),
        ],
      },
      alignmentProfile: {
        acceptanceRate: acceptance.overall,
        perPosition: acceptance.perPosition,
        samples: acceptance.reached.reduce((s, v) => s + v, 0),
        verifySecondsIntercept: Math.max(0, verifyFit.intercept),
        verifySecondsPerToken: Math.max(0, verifyFit.slope),
        measuredAt,
        conditions: [
          condition(
            `${acceptanceRounds.length} rounds at K=${options.acceptanceK} over ${promptTokens.length} prompts; T_v fitted over K=${options.verifyKs.join(',')}`,
          ),
        ],
      },
      details: {
        draftSecondsByK,
        draftFit,
        verifySecondsByK,
        verifierComputeSecondsByK,
        verifyFit,
        acceptanceRounds: acceptanceRounds.length,
        reachedByPosition: acceptance.reached,
        rttSamplesSeconds: rtts,
        powerSensor: options.powerMeter?.sensor ?? 'None',
      },
    };
  } finally {
    await engine.close();
    await verifier.close();
  }
}
