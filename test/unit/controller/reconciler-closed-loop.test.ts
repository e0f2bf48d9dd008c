// The reconciler and the closed loop: observations from the injected port reach the planner and come back in
// status.deviceClasses[].observed; a class the planner holds for a model mismatch sets ModelMismatch True and
// records a Warning Event naming the figure.
import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import { SpecDecodeReconciler } from '../../../src/controller/reconciler.js';
import type { ServingCounters } from '../../../src/costmodel/index.js';
import { silentLogger } from '../../../src/observability/log.js';
import { planDeployment, type PlanRequest } from '../../../src/planner/plan.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { h100, pi5, sdd } from '../planner/workloads-fixtures.js';
import { FakeCluster, RecordingEvents } from './fake-cluster.js';

const KEY = 'team-a/chat';

function counters(rounds: number, k: number, alpha: number, tokensFactor = 1): ServingCounters {
  const drafted: number[] = [];
  const accepted: number[] = [];
  let reaching = rounds;
  for (let i = 0; i < k; i++) {
    drafted.push(reaching);
    accepted.push(reaching * alpha);
    reaching *= alpha;
  }
  return {
    rounds,
    tokens: (rounds + accepted.reduce((s, v) => s + v, 0)) * tokensFactor,
    drafted,
    accepted,
    kRounds: rounds * k,
    draftSeconds: rounds * 0.1,
    verifySeconds: rounds * 0.05,
    networkSeconds: rounds * 0.02,
    windowSeconds: 600,
  };
}

function setup(tokensFactor: number) {
  const cluster = new FakeCluster();
  for (const dc of [h100, pi5]) cluster.seed(dc);
  for (const n of ['pi-1', 'pi-2'])
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n, labels: { 'node-role.kubernetes.io/edge': 'true', 'configspec.io/device-class': 'pi5' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  const deployment: SpecDecodeDeployment = sdd();
  deployment.spec.profiling.mode = 'Never';
  cluster.seed(deployment);
  const events = new RecordingEvents();
  const clock = new ManualClock(Date.parse('2026-11-28T12:00:00Z'));
  const requests: PlanRequest[] = [];
  let serving: { draft: string; quantization: 'Q4_K_M'; k: number } | undefined;
  const reconciler = new SpecDecodeReconciler({
    cache: cluster.cache(),
    writer: cluster,
    events,
    plan: (request) => {
      requests.push(request);
      return planDeployment(request);
    },
    clock,
    log: silentLogger,
    image: 'ghcr.io/configspec/configspec:0.1.0',
    operatorNamespace: 'configspec-system',
    closedLoop: {
      observations: (): NonNullable<PlanRequest['observations']> =>
        serving
          ? { pi5: { candidates: [{ ...serving, counters: counters(50_000, serving.k, 0.6, tokensFactor) }] } }
          : {},
      verifierWindows: () => [],
    },
  });
  const current = () => cluster.get<SpecDecodeDeployment>('SpecDecodeDeployment', 'chat', 'team-a')!;
  return {
    events,
    clock,
    requests,
    current,
    reconcile: () => reconciler.reconcile(KEY),
    serve: () => {
      const selected = current().status!.deviceClasses!.find((c) => c.name === 'pi5')!.selected!;
      serving = { draft: selected.draft, quantization: selected.quantization as 'Q4_K_M', k: selected.k };
    },
  };
}

describe('reconciler with the closed loop', () => {
  it('passes observations and the drafters on the verifier to the planner, and writes status.observed', async () => {
    const s = setup(1);
    await s.reconcile();
    s.serve();
    await s.clock.advance(60_000);
    await s.reconcile();
    const last = s.requests.at(-1)!;
    expect(last.observations?.pi5?.candidates).toHaveLength(1);
    expect(last.verifierLoad?.drafters).toBe(2);
    const observed = s.current().status!.deviceClasses!.find((c) => c.name === 'pi5')!.observed!;
    expect(observed.figures.acceptanceRate).toBeCloseTo(0.6, 2);
    expect(s.current().status!.conditions!.find((c) => c.type === 'ModelMismatch')).toMatchObject({
      status: expect.stringMatching(/True|False/),
    });
  });

  it('raises ModelMismatch with a Warning Event when a residual lasts longer than the cooldown', async () => {
    // A token counter reading a third of the truth: no input of the model can explain the goodput.
    const s = setup(0.33);
    await s.reconcile();
    s.serve();
    const cooldown = s.current().spec.policy.cooldownSeconds;
    for (let i = 0; i < 4; i++) {
      await s.clock.advance((cooldown / 2) * 1000 + 1000);
      await s.reconcile();
    }
    const condition = s.current().status!.conditions!.find((c) => c.type === 'ModelMismatch')!;
    expect(condition.status).toBe('True');
    expect(condition.message).toMatch(/^pi5: goodput observed [\d.]+, the corrected model predicts [\d.]+/);
    expect(s.events.events.some((e) => e.type === 'Warning' && e.reason === 'ModelMismatch')).toBe(true);
  });
});
