// The profiler as a process (`configspec profile`, built into dist/) against a live verifier and the local
// control plane: it creates the DraftProfile and AlignmentProfile, server-side applies their measured status as
// configspec-profiler, and the measured acceptance matches what the generator built into the draft (±0.08).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildTestModel, chainAcceptance, draftSpec, targetSpec } from '../../src/agent/gguf/bigram-model.js';
import { ensureTestModel } from '../../src/agent/gguf/model-cache.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { kubeconfigPath, kubectl, repoRoot } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';

const target = targetSpec({ chainSeed: 3 });
const draft = draftSpec(target, 0.7, { seed: 11 });
const suffix = Date.now().toString(36);
const draftProfile = `it-profiler-${suffix}`;
const alignmentProfile = `it-profiler-${suffix}`;
let verifier: RunningVerifier;

beforeAll(async () => {
  installCrds();
  verifier = await startVerifier(
    { modelPath: ensureTestModel(target), threads: 1, sequences: 1 },
    { defaultMetrics: false },
  );
}, 120_000);

afterAll(async () => {
  await verifier?.close();
  kubectl(['delete', '--ignore-not-found', `draftprofile/${draftProfile}`, `alignmentprofile/${alignmentProfile}`]);
});

/** Runs `configspec profile` asynchronously (the verifier lives in this process and must keep answering). */
function profile(extra: string[]): Promise<{ status: number | null; stderr: string }> {
  const args = [
    join(repoRoot, 'dist/src/cli/main.js'),
    'profile',
    '--model',
    ensureTestModel(draft),
    '--kubeconfig',
    kubeconfigPath(),
    '--prompt-count',
    '16',
    '--repetitions',
    '3',
    '--max-tokens',
    '32',
    '--rtt-samples',
    '5',
    '--idle-watts',
    '3',
    '--max-watts',
    '8',
    ...extra,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stderr })));
}

it('writes measured DraftProfile and AlignmentProfile status through the Kubernetes API', async () => {
  const { status, stderr } = await profile([
    '--verifier',
    verifier.url,
    '--draft-profile',
    draftProfile,
    '--alignment-profile',
    alignmentProfile,
    '--device-class',
    'test-edge',
    '--draft',
    'tiny-draft',
    '--quantization',
    'F16',
    '--target',
    'tiny-target',
  ]);
  expect({ status, stderr }).toMatchObject({ status: 0 });
  expect(stderr).toContain('profile: writing DraftProfile/');

  const get = (kind: string, name: string) => {
    const res = kubectl(['get', kind, name, '-o', 'json', '--show-managed-fields']);
    expect(res.status).toBe(0);
    return JSON.parse(res.stdout) as {
      spec: Record<string, unknown>;
      status: Record<string, unknown>;
      metadata: { managedFields: Array<{ manager: string; subresource?: string }> };
    };
  };
  const dp = get('draftprofile', draftProfile);
  expect(dp.spec).toEqual({ deviceClass: 'test-edge', draft: 'tiny-draft', quantization: 'F16' });
  expect(dp.status).toMatchObject({ powerSource: 'Estimated', powerDraftingWatts: 8, powerIdleWatts: 3 });
  expect(dp.status.draftSecondsPerToken).toBeGreaterThan(0);
  expect(dp.status.rttSeconds).toBeGreaterThan(0);
  // The per-K tables survive the CRD's structural schema (unknown fields would be pruned).
  expect((dp.status.rttSecondsByK as unknown[]).length).toBeGreaterThan(1);
  expect(dp.metadata.managedFields).toContainEqual(
    expect.objectContaining({ manager: 'configspec-profiler', subresource: 'status' }),
  );

  const ap = get('alignmentprofile', alignmentProfile);
  const intended = chainAcceptance(buildTestModel(target), buildTestModel(draft));
  expect(Math.abs((ap.status.acceptanceRate as number) - intended)).toBeLessThanOrEqual(0.08);
  expect(ap.status.perPosition).toHaveLength(8);
  const verifyByK = ap.status.verifySecondsByK as Array<{ k: number; seconds: number }>;
  expect(verifyByK[0]).toMatchObject({ k: 0 });
  expect(verifyByK.length).toBeGreaterThan(1);
  expect(ap.metadata.managedFields).toContainEqual(
    expect.objectContaining({ manager: 'configspec-profiler', subresource: 'status' }),
  );
}, 300_000);

it('exits non-zero with a reason when the verifier is unreachable', async () => {
  const { status, stderr } = await profile(['--output', 'json', '--verifier', 'http://127.0.0.1:9']);
  expect(status).toBe(1);
  expect(stderr).toContain('profile: failed: verifier at http://127.0.0.1:9 is unreachable');
}, 60_000);

it('refuses a K above what a profile records before measuring anything', async () => {
  const { status, stderr } = await profile([
    '--output',
    'json',
    '--verifier',
    'http://127.0.0.1:9',
    '--k-values',
    '1,48',
  ]);
  expect(status).toBe(1);
  expect(stderr).toContain('--k-values: 48 is above 32');
}, 60_000);
