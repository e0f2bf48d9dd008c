import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runPlan } from '../../../src/cli/commands/plan.js';
import { EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID } from '../../../src/cli/commands/validate.js';
import { PLAN_REPORT_VERSION, type PlanReport } from '../../../src/report/plan-report.js';
import { sample } from '../../support/invalid-manifests.js';

const NOW = '2026-11-29T12:00:00Z';
const SAMPLES = join(process.cwd(), 'config', 'samples');
const directory = mkdtempSync(join(tmpdir(), 'configspec-plan-'));
function write(name: string, documents: readonly unknown[]): string {
  const file = join(directory, name);
  writeFileSync(file, documents.map((d) => stringify(d)).join('---\n'));
  return file;
}

/** The goodput sample, its device classes, and measured profiles for one (class, draft, quantisation). */
function measuredInputs(): unknown[] {
  const draftProfile = sample('draftprofile.yaml');
  draftProfile.status = {
    draftSecondsIntercept: 0.004,
    draftSecondsPerToken: 0.02,
    samples: 64,
    powerDraftingWatts: 8,
    powerIdleWatts: 3,
    powerSource: 'Sensor',
    rttSeconds: 0.01,
    measuredAt: '2026-11-29T11:00:00Z',
    node: 'pi5-0',
  };
  const alignmentProfile = sample('alignmentprofile.yaml');
  alignmentProfile.status = {
    acceptanceRate: 0.8,
    perPosition: [0.85, 0.8, 0.78],
    samples: 500,
    verifySecondsIntercept: 0.012,
    verifySecondsPerToken: 0.002,
    measuredAt: '2026-11-29T11:00:00Z',
  };
  return [
    sample('specdecodedeployment-goodput.yaml'),
    sample('deviceclass-raspberry-pi-5.yaml'),
    sample('deviceclass-jetson-orin-nano-8gb.yaml'),
    sample('deviceclass-nvidia-a100-80gb.yaml'),
    draftProfile,
    alignmentProfile,
  ];
}

/** Replaces every leaf by its type, so the test pins the shape of `-o json` and not the model's numbers. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, shapeOf(child)]));
  return value === null ? 'null' : typeof value;
}

describe('configspec plan', () => {
  it('plans the samples with no cluster: every class of every deployment gets a selection or a reason', () => {
    const result = runPlan([SAMPLES], { output: 'table', now: NOW });
    expect(result.stderr).toEqual([]);
    expect(result.exitCode).toBe(EXIT_VALID);
    expect(result.report!.deployments.map((d) => d.name).sort()).toEqual([
      'llama-advice',
      'llama-pinned',
      'qwen-chat',
      'qwen-chat-cost',
      'qwen-chat-energy',
    ]);
    for (const deployment of result.report!.deployments)
      for (const c of deployment.classes) {
        expect(c.outcome).toBe('Selected');
        expect(result.stdout).toContain(`  ${c.name}  `);
        expect(result.stdout).toContain(`${c.reason}: ${c.message}`);
      }
    expect(result.stdout).toMatch(/DEVICE CLASS +SELECTED +TOK\/S +\$\/MTOK +J\/TOK +ACCEPT +ROUND MS +INPUTS +REASON/);
    expect(result.stdout).toContain('Pareto front');
    expect(result.stdout).toContain('runner-up: ');
  });

  it('says which inputs were measured: a fresh DraftProfile and AlignmentProfile make that candidate Measured', () => {
    const result = runPlan([write('measured.yaml', measuredInputs())], { output: 'json', now: NOW });
    expect(result.exitCode).toBe(EXIT_VALID);
    const report = JSON.parse(result.stdout) as PlanReport;
    const pi = report.deployments[0]!.classes.find((c) => c.name === 'raspberry-pi-5')!;
    const measured = pi.inputs.find((i) => i.draft === 'qwen2.5-0.5b-instruct' && i.quantization === 'Q4_K_M')!;
    expect(measured.basis).toEqual({
      draftSpeed: 'Measured',
      acceptance: 'Measured',
      power: 'Measured',
      network: 'Measured',
      verification: 'Measured',
    });
    expect(measured.draftSecondsPerToken).toBe(0.02);
    const prior = pi.inputs.find((i) => i.draft === 'qwen2.5-1.5b-instruct')!;
    expect(prior.basis.draftSpeed).toBe('Prior');
    // The draft profile is per class: the other class still runs on priors for drafting speed.
    const orin = report.deployments[0]!.classes.find((c) => c.name === 'jetson-orin-nano-8gb')!;
    expect(orin.inputs.every((i) => i.basis.draftSpeed === 'Prior')).toBe(true);
    expect(report.deployments[0]!.missingDraftProfiles).not.toContainEqual(
      expect.objectContaining({
        deviceClass: 'raspberry-pi-5',
        draft: 'qwen2.5-0.5b-instruct',
        quantization: 'Q4_K_M',
      }),
    );
  });

  it('pins the -o json shape documented in the README', () => {
    const file = write('shape.yaml', measuredInputs());
    const result = runPlan([file], { output: 'json', now: NOW });
    const report = JSON.parse(result.stdout) as PlanReport;
    expect(report.reportVersion).toBe(PLAN_REPORT_VERSION);
    const figures = {
      goodputTokensPerSecond: 'number',
      usdPerMillionTokens: 'number',
      joulesPerToken: 'number',
      acceptanceRate: 'number',
      roundSeconds: 'number',
    };
    const basis = {
      draftSpeed: 'string',
      acceptance: 'string',
      power: 'string',
      network: 'string',
      verification: 'string',
    };
    const configuration = { draft: 'string', quantization: 'string', k: 'number' };
    expect(shapeOf(report)).toEqual({
      reportVersion: 'string',
      now: 'string',
      deployments: [
        {
          namespace: 'string',
          name: 'string',
          file: 'string',
          document: 'number',
          objective: 'string',
          mode: 'string',
          accounting: 'string',
          target: 'string',
          verifierDeviceClass: 'string',
          configurationsEvaluated: 'number',
          classes: [
            {
              name: 'string',
              source: 'string',
              outcome: 'string',
              reason: 'string',
              message: 'string',
              selected: configuration,
              predicted: figures,
              basis,
              runnerUp: { ...configuration, figures, feasible: 'boolean', reasons: [] },
              frontier: [
                {
                  ...configuration,
                  goodputTokensPerSecond: 'number',
                  usdPerMillionTokens: 'number',
                  joulesPerToken: 'number',
                },
              ],
              inputs: [
                {
                  draft: 'string',
                  quantization: 'string',
                  basis,
                  draftInterceptSeconds: 'number',
                  draftSecondsPerToken: 'number',
                  acceptanceRate: 'number',
                  verifyInterceptSeconds: 'number',
                  verifySecondsPerToken: 'number',
                  rttSeconds: 'number',
                  draftingWatts: 'number',
                  waitingWatts: 'number',
                },
              ],
              issues: [],
            },
          ],
          issues: [],
          missingDraftProfiles: [{ deviceClass: 'string', draft: 'string', quantization: 'string', state: 'string' }],
          missingAlignmentProfiles: [
            { draft: 'string', quantization: 'string', target: 'string', promptSet: 'string', state: 'string' },
          ],
        },
      ],
    });
    // -o yaml is the same document.
    const yaml = runPlan([file], { output: 'yaml', now: NOW });
    expect(parse(yaml.stdout)).toEqual(report);
  });

  it('reads kubectl List output and takes the selection in status as the current one (hysteresis)', () => {
    const documents = measuredInputs();
    const plain = runPlan([write('plain.yaml', documents)], { output: 'json', now: NOW }).report!;
    const pi = plain.deployments[0]!.classes.find((c) => c.name === 'raspberry-pi-5')!;
    expect(pi.runnerUp).toBeDefined();
    // The operator switched to the runner-up a minute ago: the cooldown keeps it.
    const deployment = documents[0] as { status?: unknown };
    deployment.status = {
      deviceClasses: [
        {
          name: 'raspberry-pi-5',
          nodes: 2,
          readyNodes: 2,
          selected: { draft: pi.runnerUp!.draft, quantization: pi.runnerUp!.quantization, k: pi.runnerUp!.k },
          lastChangeTime: '2026-11-29T11:59:00Z',
        },
      ],
    };
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: documents };
    const result = runPlan([write('list.yaml', [list])], { output: 'json', now: NOW });
    expect(result.stderr).toEqual([]);
    const kept = result.report!.deployments[0]!.classes.find((c) => c.name === 'raspberry-pi-5')!;
    expect(kept.selected).toEqual({
      draft: pi.runnerUp!.draft,
      quantization: pi.runnerUp!.quantization,
      k: pi.runnerUp!.k,
    });
    expect(kept.reason).toMatch(/^Kept/);
  });

  it('falls back to the catalog for device classes when the files define none', () => {
    const deployment = sample('specdecodedeployment-goodput.yaml');
    delete deployment.spec.edge.deviceClasses;
    const result = runPlan([write('lone.yaml', [deployment])], { output: 'json', now: NOW });
    expect(result.exitCode).toBe(EXIT_VALID);
    const classes = result.report!.deployments[0]!.classes;
    expect(classes.length).toBeGreaterThanOrEqual(4);
    expect(classes.every((c) => c.source === 'Catalog')).toBe(true);
    expect(classes.map((c) => c.name)).toEqual(expect.arrayContaining(['raspberry-pi-4', 'raspberry-pi-5']));
  });

  it('exits 1 naming file and field for an invalid object, and for one it cannot plan', () => {
    const invalid = sample('specdecodedeployment-goodput.yaml');
    invalid.spec.speculation.k = { min: 4, max: 2 };
    const invalidFile = write('invalid.yaml', [invalid]);
    const bad = runPlan([invalidFile], { output: 'table', now: NOW });
    expect(bad.exitCode).toBe(EXIT_INVALID);
    expect(bad.stderr).toEqual([
      expect.stringContaining(`${invalidFile}:doc 1: SpecDecodeDeployment/qwen-chat: spec.speculation.k.min`),
    ]);

    const unplannable = sample('specdecodedeployment-goodput.yaml');
    unplannable.spec.target.verifier.deviceClass = 'tpu-v9';
    const unplannableFile = write('unplannable.yaml', [unplannable]);
    const result = runPlan([unplannableFile], { output: 'table', now: NOW });
    expect(result.exitCode).toBe(EXIT_INVALID);
    expect(result.stderr).toEqual([
      `${unplannableFile}:doc 1: SpecDecodeDeployment/default/qwen-chat: spec.target.verifier.deviceClass: verifier device class "tpu-v9" is neither a DeviceClass object nor in the catalog`,
    ]);

    const onlyClasses = write('classes.yaml', [sample('deviceclass-raspberry-pi-5.yaml')]);
    expect(runPlan([onlyClasses], { output: 'table', now: NOW }).stderr).toEqual([
      `${onlyClasses}: no valid SpecDecodeDeployment found: nothing to plan (pass its manifest with -f)`,
    ]);
    expect(runPlan([SAMPLES], { output: 'table', now: 'soon' })).toMatchObject({
      exitCode: EXIT_INVALID,
      stderr: ['--now: "soon" is not an RFC 3339 timestamp'],
    });
  });

  it('exits 2 when a file cannot be read', () => {
    const result = runPlan([join(directory, 'missing.yaml')], { output: 'table', now: NOW });
    expect(result.exitCode).toBe(EXIT_UNREADABLE);
    expect(result.stderr).toEqual([`${join(directory, 'missing.yaml')}: cannot read: ENOENT`]);
  });

  it('draws goodput against K: one line per draft and quantisation per class, the selection marked', () => {
    const result = runPlan([write('svg.yaml', measuredInputs())], { output: 'table', now: NOW, svg: 'plot.svg' });
    const svg = result.svg!;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const classes = result.report!.deployments[0]!.classes;
    const candidates = classes.reduce((sum, c) => sum + c.inputs.length, 0);
    expect(svg.match(/<polyline /g)).toHaveLength(candidates);
    for (const c of classes) {
      expect(svg).toContain(`· ${c.name} ·`);
      expect(svg).toContain(`selected K=${c.selected!.k}`);
    }
  });
});
