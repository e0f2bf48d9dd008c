// The profiler's measurements on real llama.cpp against a live verifier: acceptance equals what the generator
// built into the draft (within ±0.06, the spread of a few hundred rounds over a 125-state chain), per-position
// rates are flat (i.i.d. agreement), drafting time grows with K, and power is either sensed or estimated.
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestModel, chainAcceptance, draftSpec } from '../../src/agent/gguf/bigram-model.js';
import { detectPowerMeter } from '../../src/agent/profiler/power.js';
import { runProfile, type ProfileOptions } from '../../src/agent/profiler/profile.js';
import { builtinPrompts } from '../../src/agent/prompts.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { TARGET, draftPath, targetPath } from './support.js';

jest.setTimeout(300_000);

let verifier: RunningVerifier;
beforeAll(async () => {
  verifier = await startVerifier({ modelPath: targetPath(), threads: 1, sequences: 1 }, { defaultMetrics: false });
});
afterAll(async () => verifier?.close());

const base = (): Omit<ProfileOptions, 'draftModelPath'> => ({
  verifierUrl: verifier.url,
  prompts: builtinPrompts(24, 8),
  draftKs: [1, 2, 4, 8],
  repetitions: 4,
  acceptanceK: 6,
  maxTokens: 40,
  // K up to 8 and three prompts each: the verifier's per-token cost must stand out of a loaded machine's noise
  // (T_v is now the verifier's own time, without the protocol cost that used to grow with the body).
  verifyKs: [0, 4, 8],
  verifyPromptsPerK: 3,
  rttSamples: 10,
  temperature: 0,
  threads: 1,
  idleWindowMs: 50,
});

describe.each([0.5, 0.9])('profile of a draft built for acceptance %s', (acceptance) => {
  it('measures the acceptance the generator built in, and fits drafting and verification time', async () => {
    const intended = chainAcceptance(
      buildTestModel(TARGET),
      buildTestModel(draftSpec(TARGET, acceptance, { seed: 11 })),
    );
    const result = await runProfile({
      ...base(),
      draftModelPath: draftPath(acceptance),
      estimatedWatts: { idle: 3, max: 8 },
    });
    const { alignmentProfile: alignment, draftProfile: draft } = result;
    expect(Math.abs((alignment.acceptanceRate as number) - intended)).toBeLessThanOrEqual(0.06);
    expect(alignment.perPosition).toHaveLength(6);
    expect(Math.abs((alignment.perPosition?.[0] as number) - intended)).toBeLessThanOrEqual(0.1);
    expect(draft.draftSecondsPerToken).toBeGreaterThan(0);
    expect(result.details.draftSecondsByK['8']).toBeGreaterThan(result.details.draftSecondsByK['1'] as number);
    expect(alignment.verifySecondsPerToken).toBeGreaterThan(0);
    expect(draft.rttSeconds).toBeGreaterThan(0);
    // Both terms are also kept as measured at every K run, plain decoding (K = 0) included.
    for (const table of [alignment.verifySecondsByK, draft.rttSecondsByK]) {
      expect(table?.map((p) => p.k)).toEqual([0, 4, 8]);
      for (const point of table ?? []) expect(point.seconds).toBeGreaterThan(0);
    }
    expect(alignment.verifySecondsByK?.[2]?.seconds).toBeGreaterThan(
      alignment.verifySecondsByK?.[0]?.seconds as number,
    );
    expect(draft).toMatchObject({ powerSource: 'Estimated', powerDraftingWatts: 8, powerIdleWatts: 3 });
  });
});

it('records sensor power when the device has a sensor', async () => {
  const root = mkdtempSync(join(tmpdir(), 'configspec-sysfs-'));
  try {
    mkdirSync(join(root, 'class/hwmon/hwmon0'), { recursive: true });
    writeFileSync(join(root, 'class/hwmon/hwmon0/power1_input'), '6500000\n');
    const result = await runProfile({
      ...base(),
      prompts: builtinPrompts(2, 1),
      draftModelPath: draftPath(0.9),
      powerMeter: detectPowerMeter(root),
    });
    expect(result.draftProfile).toMatchObject({ powerSource: 'Sensor', powerDraftingWatts: 6.5, powerIdleWatts: 6.5 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
