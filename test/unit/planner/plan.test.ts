import fc from 'fast-check';
import type { DeviceClass } from '../../../src/api/types.js';
import { API_VERSION } from '../../../src/api/types.js';
import { formatTimestamp, parseTimestamp } from '../../../src/planner/inputs.js';
import { planDeployment, toDeviceClassStatus, type DeploymentPlan } from '../../../src/planner/plan.js';
import { alignmentProfile, deployment, draftProfile, NOW } from './plan-fixtures.js';

const HOUR = 3600;
const jsonOf = (plan: DeploymentPlan) => JSON.stringify({ ...plan, grids: undefined });

function slowBoard(name = 'slow-board'): DeviceClass {
  return {
    apiVersion: API_VERSION,
    kind: 'DeviceClass',
    metadata: { name },
    spec: {
      role: 'Edge',
      nodeSelector: { board: name },
      hardware: { arch: 'arm64', memoryGiB: 4, memoryBandwidthGBps: 2 },
      power: { idleWatts: 2, maxWatts: 5, sensor: 'None' },
      network: { rttMilliseconds: 30 },
    },
  };
}

describe('planDeployment: selections and shape', () => {
  it('plans every listed class from priors and reports every profile as missing', () => {
    const plan = planDeployment({ deployment: deployment(), deviceClasses: [], now: NOW });
    expect(plan.issues).toEqual([]);
    expect(plan.classes.map((c) => c.name)).toEqual(['raspberry-pi-5', 'jetson-orin-nano-8gb']);
    for (const c of plan.classes) {
      expect(c.outcome).toBe('Selected');
      expect(c.selected).toBeDefined();
      expect(c.basis).toEqual({
        draftSpeed: 'Prior',
        acceptance: 'Prior',
        power: 'Prior',
        network: 'Prior',
        verification: 'Prior',
      });
      expect(c.frontier.length).toBeGreaterThan(0);
      expect(c.frontier.length).toBeLessThanOrEqual(5);
      expect(c.grid).toEqual({
        drafts: ['qwen2.5-0.5b-instruct', 'qwen2.5-1.5b-instruct'],
        quantizations: ['Q4_K_M', 'Q8_0'],
        kMin: 0,
        kMax: 8,
        configurations: 27,
      });
      expect(c.lastChangeTime).toBe('2026-11-28T12:00:00Z');
      expect(c.changed).toBe(true);
    }
    expect(plan.configurationsEvaluated).toBe(54);
    expect(plan.missingDraftProfiles).toHaveLength(6);
    expect(plan.missingAlignmentProfiles.map((m) => `${m.draft}/${m.quantization}/${m.target}/${m.state}`)).toEqual([
      'qwen2.5-0.5b-instruct/Q4_K_M/qwen2.5-7b-instruct/Missing',
      'qwen2.5-0.5b-instruct/Q8_0/qwen2.5-7b-instruct/Missing',
      'qwen2.5-1.5b-instruct/Q4_K_M/qwen2.5-7b-instruct/Missing',
    ]);
  });

  it('is deterministic', () => {
    const request = { deployment: deployment(), deviceClasses: [], now: NOW };
    expect(jsonOf(planDeployment(request))).toEqual(jsonOf(planDeployment(request)));
  });

  it('selects the best configuration on the objective among all evaluated ones', () => {
    const plan = planDeployment({
      deployment: deployment({ objective: { maximize: 'EnergyEfficiency' } }),
      deviceClasses: [],
      now: NOW,
    });
    for (const c of plan.classes) {
      const grid = plan.grids.get(c.name)!;
      expect(c.predicted!.joulesPerToken).toBeCloseTo(Math.min(...grid.joulesPerToken), 12);
    }
  });

  it('chooses K = 0 with a reason on a board too slow to draft usefully, using the DeviceClass object', () => {
    const plan = planDeployment({
      deployment: deployment({ edge: {} }),
      deviceClasses: [slowBoard()],
      now: NOW,
    });
    const [board] = plan.classes;
    expect(board!.name).toBe('slow-board');
    expect(board!.selected!.k).toBe(0);
    expect(board!.reason).toBe('NoSpeculativeGain');
    expect(board!.message).toMatch(/plain remote decoding \(K = 0\) beats every speculative configuration/);
    expect(board!.runnerUp!.k).toBeGreaterThan(0);
    expect(board!.inputs[0]!.rttSeconds).toBeCloseTo(0.03, 12);
  });

  it('turns a class plan into a DeviceClassStatus the operator can write as is', () => {
    const plan = planDeployment({ deployment: deployment(), deviceClasses: [], now: NOW });
    const status = toDeviceClassStatus(plan.classes[0]!, { nodes: 3, readyNodes: 2 });
    expect(Object.keys(status).sort()).toEqual(
      [
        'basis',
        'frontier',
        'lastChangeTime',
        'message',
        'name',
        'nodes',
        'predicted',
        'reason',
        'readyNodes',
        'selected',
      ].sort(),
    );
    expect(status.nodes).toBe(3);
    expect(Object.keys(status.predicted!).sort()).toEqual([
      'acceptanceRate',
      'goodputTokensPerSecond',
      'joulesPerToken',
      'roundSeconds',
      'usdPerMillionTokens',
    ]);
  });

  it('gives Recommend the same selection as Auto', () => {
    const auto = planDeployment({ deployment: deployment(), deviceClasses: [], now: NOW });
    const recommend = planDeployment({
      deployment: deployment({ policy: { mode: 'Recommend', minImprovementPercent: 10, cooldownSeconds: 600 } }),
      deviceClasses: [],
      now: NOW,
    });
    expect(recommend.classes.map((c) => c.selected)).toEqual(auto.classes.map((c) => c.selected));
  });
});

describe('planDeployment: profiles', () => {
  const measuredAt = '2026-11-28T11:00:00Z';

  it('uses a fresh DraftProfile as Measured for its (class, draft, quantisation) only', () => {
    const profile = draftProfile('raspberry-pi-5', 'qwen2.5-0.5b-instruct', 'Q4_K_M', {
      draftSecondsIntercept: 0.01,
      draftSecondsPerToken: 0.04,
      powerDraftingWatts: 7,
      powerIdleWatts: 3,
      rttSeconds: 0.012,
      measuredAt,
    });
    const plan = planDeployment({ deployment: deployment(), deviceClasses: [], draftProfiles: [profile], now: NOW });
    const pi = plan.classes.find((c) => c.name === 'raspberry-pi-5')!;
    const measured = pi.inputs.find((i) => i.draft === 'qwen2.5-0.5b-instruct' && i.quantization === 'Q4_K_M')!;
    expect(measured).toMatchObject({
      draftSecondsPerToken: 0.04,
      draftInterceptSeconds: 0.01,
      draftingWatts: 7,
      waitingWatts: 3,
      rttSeconds: 0.012,
    });
    expect(measured.basis).toMatchObject({
      draftSpeed: 'Measured',
      power: 'Measured',
      network: 'Measured',
      acceptance: 'Prior',
    });
    expect(pi.inputs.find((i) => i.quantization === 'Q8_0')!.basis.draftSpeed).toBe('Prior');
    expect(plan.missingDraftProfiles).toHaveLength(5);
    expect(plan.missingDraftProfiles).not.toContainEqual(
      expect.objectContaining({
        deviceClass: 'raspberry-pi-5',
        draft: 'qwen2.5-0.5b-instruct',
        quantization: 'Q4_K_M',
      }),
    );
  });

  it('carries times measured per K from both profiles, dropping points that are not a whole K ≥ 0 with a time', () => {
    const draft = draftProfile('raspberry-pi-5', 'qwen2.5-0.5b-instruct', 'Q8_0', {
      draftSecondsPerToken: 0.04,
      rttSeconds: 0.012,
      rttSecondsByK: [
        { k: 0, seconds: 0.008 },
        { k: 4, seconds: 0.013 },
        { k: 1.5, seconds: 0.01 },
        { k: 2, seconds: -1 },
      ],
      measuredAt,
    });
    const alignment = alignmentProfile('qwen2.5-0.5b-instruct', 'Q8_0', 'qwen2.5-7b-instruct', {
      acceptanceRate: 0.7,
      verifySecondsIntercept: 0.04,
      verifySecondsPerToken: 0.002,
      verifySecondsByK: [
        { k: 0, seconds: 0.03 },
        { k: 8, seconds: 0.06 },
      ],
      measuredAt,
    });
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      draftProfiles: [draft],
      alignmentProfiles: [alignment],
      now: NOW,
    });
    const pi = plan.classes.find((c) => c.name === 'raspberry-pi-5')!;
    const q8 = pi.inputs.find((i) => i.quantization === 'Q8_0')!;
    expect(q8.rttSecondsByK).toEqual([
      { k: 0, seconds: 0.008 },
      { k: 4, seconds: 0.013 },
    ]);
    expect(q8.verifySecondsByK).toEqual([
      { k: 0, seconds: 0.03 },
      { k: 8, seconds: 0.06 },
    ]);
    // Verification belongs to the target: another draft's candidate uses the same measured points.
    expect(pi.inputs.find((i) => i.quantization === 'Q4_K_M')!.verifySecondsByK).toHaveLength(2);
    expect(pi.inputs.find((i) => i.quantization === 'Q4_K_M')!.rttSecondsByK).toBeUndefined();
  });

  it('keeps a measured verification whose fitted intercept is 0 (a convex T_v over K ≥ 1)', () => {
    const alignment = alignmentProfile('qwen2.5-0.5b-instruct', 'Q8_0', 'qwen2.5-7b-instruct', {
      acceptanceRate: 0.7,
      verifySecondsIntercept: 0,
      verifySecondsPerToken: 0.0001,
      verifySecondsByK: [
        { k: 1, seconds: 0.0001 },
        { k: 2, seconds: 0.0001 },
        { k: 4, seconds: 0.0002 },
        { k: 8, seconds: 0.001 },
      ],
      measuredAt,
    });
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      alignmentProfiles: [alignment],
      now: NOW,
    });
    const q8 = plan.classes[0]!.inputs.find((i) => i.quantization === 'Q8_0')!;
    expect(q8.basis.verification).toBe('Measured');
    expect(q8).toMatchObject({ verifyInterceptSeconds: 0, verifySecondsPerToken: 0.0001 });
    expect(q8.verifySecondsByK).toHaveLength(4);
  });

  it('treats a profile older than maxAgeSeconds as stale (Prior), unless profiling is Never', () => {
    const old = draftProfile('raspberry-pi-5', 'qwen2.5-0.5b-instruct', 'Q4_K_M', {
      draftSecondsPerToken: 0.04,
      measuredAt: '2026-11-20T00:00:00Z',
    });
    const stale = planDeployment({ deployment: deployment(), deviceClasses: [], draftProfiles: [old], now: NOW });
    expect(stale.classes[0]!.inputs[0]!.basis.draftSpeed).toBe('Prior');
    expect(stale.missingDraftProfiles).toContainEqual({
      deviceClass: 'raspberry-pi-5',
      draft: 'qwen2.5-0.5b-instruct',
      quantization: 'Q4_K_M',
      state: 'Stale',
    });
    const never = planDeployment({
      deployment: deployment({ profiling: { mode: 'Never', maxAgeSeconds: HOUR, maxConcurrentJobs: 1 } }),
      deviceClasses: [],
      draftProfiles: [old],
      now: NOW,
    });
    expect(never.classes[0]!.inputs[0]!.basis.draftSpeed).toBe('Measured');
  });

  it('reports a profile without results as Incomplete and keeps the prior', () => {
    const pending = draftProfile('raspberry-pi-5', 'qwen2.5-0.5b-instruct', 'Q4_K_M', {});
    const plan = planDeployment({ deployment: deployment(), deviceClasses: [], draftProfiles: [pending], now: NOW });
    expect(plan.missingDraftProfiles[0]).toMatchObject({ state: 'Incomplete' });
    expect(plan.classes[0]!.inputs[0]!.basis.draftSpeed).toBe('Prior');
  });

  it('uses a fresh AlignmentProfile for acceptance and verification, per-position form included', () => {
    const profile = alignmentProfile('qwen2.5-0.5b-instruct', 'Q8_0', 'qwen2.5-7b-instruct', {
      acceptanceRate: 0.7,
      perPosition: [0.9, 0.8, 0.7],
      verifySecondsIntercept: 0.04,
      verifySecondsPerToken: 0.002,
      samples: 200,
      measuredAt,
    });
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      alignmentProfiles: [profile],
      now: NOW,
    });
    const inputs = plan.classes[0]!.inputs;
    const q8 = inputs.find((i) => i.quantization === 'Q8_0')!;
    expect(q8).toMatchObject({
      acceptanceRate: 0.7,
      perPositionAcceptance: [0.9, 0.8, 0.7],
      verifyInterceptSeconds: 0.04,
      verifySecondsPerToken: 0.002,
    });
    expect(q8.basis).toMatchObject({ acceptance: 'Measured', verification: 'Measured' });
    // Verification is a property of the target: other drafts reuse the measured timing, acceptance stays a prior.
    const q4 = inputs.find((i) => i.quantization === 'Q4_K_M')!;
    expect(q4.basis).toMatchObject({ acceptance: 'Prior', verification: 'Measured' });
    expect(plan.missingAlignmentProfiles).toHaveLength(2);
  });

  it('ignores alignment profiles of another prompt set', () => {
    const profile = alignmentProfile('qwen2.5-0.5b-instruct', 'Q8_0', 'qwen2.5-7b-instruct', {
      acceptanceRate: 0.7,
      measuredAt,
    });
    const plan = planDeployment({
      deployment: deployment({
        profiling: { mode: 'IfMissing', maxAgeSeconds: 86400, maxConcurrentJobs: 1, prompts: { name: 'my-prompts' } },
      }),
      deviceClasses: [],
      alignmentProfiles: [profile],
      now: NOW,
    });
    expect(plan.classes[0]!.inputs.every((i) => i.basis.acceptance === 'Prior')).toBe(true);
    expect(plan.missingAlignmentProfiles[0]!.promptSet).toBe('my-prompts');
  });
});

describe('planDeployment: hysteresis', () => {
  function worstFeasible(plan: DeploymentPlan, name: string) {
    const c = plan.classes.find((each) => each.name === name)!;
    const grid = plan.grids.get(name)!;
    let worst = -1;
    for (let row = 0; row < grid.rows; row++)
      if (grid.violations[row] === 0 && (worst < 0 || grid.goodput[row]! < grid.goodput[worst]!)) worst = row;
    const inputs = grid.candidates[Math.floor(worst / grid.kCount)]!;
    return {
      best: c.selected!,
      worst: { draft: inputs.draft, quantization: inputs.quantization, k: grid.kMin + (worst % grid.kCount) },
    };
  }
  const fresh = planDeployment({ deployment: deployment(), deviceClasses: [], now: NOW });
  const { best, worst } = worstFeasible(fresh, 'jetson-orin-nano-8gb');

  it('keeps a much worse configuration inside the cooldown, and says why', () => {
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      current: { 'jetson-orin-nano-8gb': { selected: worst, lastChangeTime: '2026-11-28T11:59:00Z' } },
      now: NOW,
    });
    const jetson = plan.classes.find((c) => c.name === 'jetson-orin-nano-8gb')!;
    expect(jetson.selected).toEqual(worst);
    expect(jetson.reason).toBe('KeptInCooldown');
    expect(jetson.changed).toBe(false);
    expect(jetson.lastChangeTime).toBe('2026-11-28T11:59:00Z');
    expect(jetson.best).toMatchObject(best);
  });

  it('switches once the cooldown has passed', () => {
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      current: { 'jetson-orin-nano-8gb': { selected: worst, lastChangeTime: '2026-11-28T10:00:00Z' } },
      now: NOW,
    });
    const jetson = plan.classes.find((c) => c.name === 'jetson-orin-nano-8gb')!;
    expect(jetson.selected).toEqual(best);
    expect(jetson.reason).toBe('Switched');
    expect(jetson.changed).toBe(true);
    expect(jetson.lastChangeTime).toBe('2026-11-28T12:00:00Z');
  });

  it('keeps a configuration that is only slightly worse, however old', () => {
    const threshold = 1e6;
    const plan = planDeployment({
      deployment: deployment({ policy: { mode: 'Auto', minImprovementPercent: threshold, cooldownSeconds: 0 } }),
      deviceClasses: [],
      current: { 'jetson-orin-nano-8gb': { selected: worst, lastChangeTime: '2020-01-01T00:00:00Z' } },
      now: NOW,
    });
    expect(plan.classes.find((c) => c.name === 'jetson-orin-nano-8gb')!.reason).toBe('KeptBelowThreshold');
  });

  it('replaces a current configuration that left the grid at once', () => {
    const plan = planDeployment({
      deployment: deployment(),
      deviceClasses: [],
      current: {
        'jetson-orin-nano-8gb': { selected: { draft: 'gone', quantization: 'F16', k: 3 }, lastChangeTime: NOW },
      },
      now: NOW,
    });
    const jetson = plan.classes.find((c) => c.name === 'jetson-orin-nano-8gb')!;
    expect(jetson.reason).toBe('Replaced');
    expect(jetson.selected).toEqual(best);
  });
});

describe('planDeployment: Pinned mode', () => {
  it('scores the pin and shows it against the best', () => {
    const pin = { draft: 'qwen2.5-1.5b-instruct', quantization: 'Q4_K_M' as const, k: 1 };
    const plan = planDeployment({
      deployment: deployment({
        policy: { mode: 'Pinned', pinned: pin, minImprovementPercent: 10, cooldownSeconds: 600 },
      }),
      deviceClasses: [],
      now: NOW,
    });
    for (const c of plan.classes) {
      expect(c.selected).toEqual(pin);
      expect(c.reason).toBe('Pinned');
      expect(c.pinned!.bestAheadPercent).toBeGreaterThanOrEqual(0);
      expect(c.predicted!.goodputTokensPerSecond).toBeLessThanOrEqual(c.best!.figures.goodputTokensPerSecond);
      expect(c.message).toMatch(/^pinned qwen2.5-1.5b-instruct Q4_K_M K=1/);
    }
  });

  it('marks a pin outside the K range as infeasible, with the reason', () => {
    const pin = { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' as const, k: 12 };
    const plan = planDeployment({
      deployment: deployment({
        policy: { mode: 'Pinned', pinned: pin, minImprovementPercent: 10, cooldownSeconds: 600 },
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(plan.classes[0]!.reason).toBe('PinnedInfeasible');
    expect(plan.classes[0]!.pinned!.reasons.map((r) => r.code)).toEqual(['KOutOfRange']);
  });
});

describe('planDeployment: infeasible and bad input', () => {
  it('reports infeasibility with the best achievable numbers per constraint', () => {
    const plan = planDeployment({
      deployment: deployment({
        objective: { maximize: 'Goodput', constraints: { minGoodputTokensPerSecond: 10_000 } },
      }),
      deviceClasses: [],
      now: NOW,
    });
    for (const c of plan.classes) {
      expect(c.outcome).toBe('Infeasible');
      expect(c.selected).toBeUndefined();
      expect(c.infeasibility!.bestAchievable[0]).toMatchObject({
        constraint: 'minGoodputTokensPerSecond',
        limit: 10_000,
      });
      expect(c.infeasibility!.bestAchievable[0]!.bestAchievable).toBeCloseTo(
        Math.max(...plan.grids.get(c.name)!.goodput),
        9,
      );
      expect(c.message).toMatch(/no configuration reaches 10000 tok\/s; the best is/);
    }
  });

  it('reports memory when the drafts do not fit the device', () => {
    const plan = planDeployment({
      deployment: deployment({
        target: {
          model: { name: 'qwen2.5-32b-instruct' },
          verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-h100-80gb' },
        },
        drafts: [{ model: { name: 'qwen2.5-14b-instruct' }, quantizations: ['Q8_0'] }],
        edge: { deviceClasses: ['raspberry-pi-4-4gb'] },
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(plan.classes[0]!.infeasibility!.reasons[0]!.code).toBe('MemoryExceeded');
  });

  it('answers unknown classes, roles and models with clear errors instead of throwing', () => {
    const plan = planDeployment({
      deployment: deployment({
        drafts: [
          { model: { name: 'no-such-model' }, quantizations: ['Q4_K_M'] },
          { model: { name: 'llama-3.2-1b-instruct' }, quantizations: ['Q4_K_M'] },
          { model: { name: 'my-qwen-0.3b', family: 'qwen2.5', parametersBillions: 0.3 }, quantizations: ['Q8_0'] },
        ],
        edge: { deviceClasses: ['raspberry-pi-5', 'nowhere', 'nvidia-l4'] },
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(plan.issues.map((i) => `${i.code}@${i.field}`)).toEqual([
      'UnknownModel@spec.drafts[0].model',
      'FamilyMismatch@spec.drafts[1].model',
    ]);
    expect(plan.classes.map((c) => `${c.name}:${c.outcome}:${c.outcome === 'Error' ? c.reason : ''}`)).toEqual([
      'raspberry-pi-5:Selected:',
      'nowhere:Error:UnknownDeviceClass',
      'nvidia-l4:Error:WrongRole',
    ]);
    expect(plan.classes[0]!.selected!.draft).toBe('my-qwen-0.3b');
  });

  it('stops at an unknown target or verifier with an error naming the field', () => {
    const noTarget = planDeployment({
      deployment: deployment({
        target: {
          model: { name: 'mystery' },
          verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-a100-80gb' },
        },
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(noTarget.classes).toEqual([]);
    expect(noTarget.issues).toContainEqual(
      expect.objectContaining({ severity: 'Error', code: 'UnknownModel', field: 'spec.target.model' }),
    );
    const noVerifier = planDeployment({
      deployment: deployment({
        target: {
          model: { name: 'qwen2.5-7b-instruct' },
          verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'raspberry-pi-5' },
        },
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(noVerifier.issues).toContainEqual(
      expect.objectContaining({ code: 'WrongRole', field: 'spec.target.verifier.deviceClass' }),
    );
    expect(planDeployment({ deployment: deployment(), deviceClasses: [], now: 'yesterday' }).issues[0]!.code).toBe(
      'InvalidNow',
    );
  });

  it('warns when the target does not fit the verifier at F16', () => {
    const plan = planDeployment({
      deployment: deployment({
        target: {
          model: { name: 'llama-3.3-70b-instruct' },
          verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-h100-80gb' },
        },
        drafts: [{ model: { name: 'llama-3.2-1b-instruct' }, quantizations: ['Q4_K_M'] }],
      }),
      deviceClasses: [],
      now: NOW,
    });
    expect(plan.issues).toEqual([expect.objectContaining({ severity: 'Warning', code: 'TargetDoesNotFit' })]);
    expect(plan.classes.every((c) => c.outcome === 'Selected')).toBe(true);
  });

  it('warns that Paper accounting with an energy objective and K = 0 in range picks K = 0 by construction', () => {
    const energy = { maximize: 'EnergyEfficiency' as const };
    const paperFromZero = planDeployment({
      deployment: deployment({ accounting: 'Paper', objective: energy }),
      deviceClasses: [],
      now: NOW,
    });
    expect(paperFromZero.issues).toEqual([
      expect.objectContaining({
        severity: 'Warning',
        code: 'PaperEnergyFavoursNoDrafting',
        field: 'spec.speculation.k.min',
      }),
    ]);
    expect(paperFromZero.classes.every((c) => c.selected?.k === 0)).toBe(true);
    const paperFromOne = planDeployment({
      deployment: deployment({ accounting: 'Paper', objective: energy, speculation: { k: { min: 1, max: 8 } } }),
      deviceClasses: [],
      now: NOW,
    });
    expect(paperFromOne.issues).toEqual([]);
    expect(paperFromOne.classes.every((c) => (c.selected?.k ?? 0) >= 1)).toBe(true);
    const fullFromZero = planDeployment({
      deployment: deployment({ objective: energy }),
      deviceClasses: [],
      now: NOW,
    });
    expect(fullFromZero.issues).toEqual([]);
  });
});

describe('timestamps', () => {
  it('round-trips any second between 1970 and 2200 through RFC 3339', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7_258_118_400 }),
        (seconds) => parseTimestamp(formatTimestamp(seconds * 1000)) === seconds * 1000,
      ),
    );
  });

  it('reads offsets and fractions and rejects malformed text', () => {
    expect(parseTimestamp('2026-11-28T13:00:00.500+01:00')).toBe(parseTimestamp('2026-11-28T12:00:00Z')! + 500);
    expect(parseTimestamp('2026-13-01T00:00:00Z')).toBeUndefined();
    expect(parseTimestamp('not a time')).toBeUndefined();
  });
});
