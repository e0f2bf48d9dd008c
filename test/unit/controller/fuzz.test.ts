// Property test over random schema-valid input: any SpecDecodeDeployment the apiserver would accept, with any
// schema-valid DeviceClasses and node fleet, goes through the pure planner and one full reconcile pass (over the
// in-memory cluster) without an exception, and the status written holds only finite numbers and passes the
// CRD's own schema. Further passes with nothing changed settle to writing nothing (idempotent on odd
// input too). The generators aim at the edges: tiny and huge hardware figures, constraints nobody can meet,
// unknown models and classes, pins outside the grid (those the CRD rejects are filtered out by the validator).
import fc from 'fast-check';
import type { DeviceClass, SpecDecodeDeployment } from '../../../src/api/types.js';
import { applyDefaults, validateAndDefault } from '../../../src/api/validate.js';
import { SpecDecodeReconciler } from '../../../src/controller/reconciler.js';
import { silentLogger } from '../../../src/observability/log.js';
import { planDeployment, type PlanRequest } from '../../../src/planner/plan.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeCluster, RecordingEvents } from './fake-cluster.js';

/** Property runs that pass the validator (fast-check counts only those; rejected ones are retried). */
const RUNS = Number(process.env.CONFIGSPEC_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.CONFIGSPEC_FUZZ_SEED ?? 20_261_129);
const DEEP_EVERY = 10;
const NAMESPACE = 'fuzz';
const LABEL = 'configspec.io/device-class';

const CATALOG_MODELS = [
  'qwen2.5-0.5b-instruct',
  'qwen2.5-1.5b-instruct',
  'qwen2.5-3b-instruct',
  'qwen2.5-7b-instruct',
  'qwen2.5-32b-instruct',
  'llama-3.2-1b-instruct',
  'llama-3.1-8b-instruct',
  'llama-3.3-70b-instruct',
];
const QUANTS = ['Q4_K_M', 'Q5_K_M', 'Q8_0', 'F16'] as const;
const EDGE_CLASSES = ['edge-a', 'edge-b', 'edge-c'];

// Positive figures from the tiny to the absurd, as a user might type them.
const magnitude = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(min, max, 1, 0.5),
    fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
  );

const modelRef = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: fc.constantFrom(...CATALOG_MODELS) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      name: fc.constantFrom('my-model', 'custom-draft', 'big-one'),
      family: fc.constantFrom('qwen2.5', 'llama3', 'mistral'),
      parametersBillions: magnitude(0.01, 2000),
    }),
  },
);

const edgeClass = (name: string) =>
  fc.record({
    apiVersion: fc.constant('configspec.io/v1alpha1' as const),
    kind: fc.constant('DeviceClass' as const),
    metadata: fc.constant({ name }),
    spec: fc.record(
      {
        role: fc.constant('Edge' as const),
        nodeSelector: fc.constant({ [LABEL]: name }),
        hardware: fc.record(
          {
            arch: fc.constantFrom('arm64' as const, 'amd64' as const),
            memoryGiB: magnitude(0.25, 1024),
            memoryBandwidthGBps: magnitude(0.1, 5000),
            computeTFLOPS: magnitude(0.01, 2000),
          },
          { requiredKeys: ['arch', 'memoryGiB', 'memoryBandwidthGBps'] },
        ),
        power: fc
          .tuple(magnitude(0, 500), magnitude(0.001, 500), fc.constantFrom('None' as const, 'RAPL' as const))
          .map(([idle, max, sensor]) => ({ idleWatts: Math.min(idle, max), maxWatts: max, sensor })),
        price: fc.record({ usdPerHour: magnitude(0, 100) }),
        network: fc.record({ rttMilliseconds: magnitude(0, 10_000) }),
      },
      { requiredKeys: ['role', 'nodeSelector', 'hardware', 'power'] },
    ),
  }) as fc.Arbitrary<DeviceClass>;

const verifierClass = fc.record({
  apiVersion: fc.constant('configspec.io/v1alpha1' as const),
  kind: fc.constant('DeviceClass' as const),
  metadata: fc.constant({ name: 'gpu' }),
  spec: fc.record({
    role: fc.constant('Verifier' as const),
    nodeSelector: fc.constant({ [LABEL]: 'gpu' }),
    hardware: fc.record({
      arch: fc.constant('amd64' as const),
      memoryGiB: magnitude(1, 1024),
      memoryBandwidthGBps: magnitude(1, 10_000),
      computeTFLOPS: magnitude(0.5, 5000),
    }),
    power: fc.constant({ idleWatts: 60, maxWatts: 700, sensor: 'None' as const }),
    price: fc.record({ usdPerHour: magnitude(0, 1000) }),
  }),
}) as fc.Arbitrary<DeviceClass>;

const draft = fc.record({
  model: modelRef,
  quantizations: fc.uniqueArray(fc.constantFrom(...QUANTS), { minLength: 1, maxLength: 4 }),
});

const spec = fc
  .record({
    target: fc.record({
      model: modelRef,
      verifier: fc.record(
        {
          replicas: fc.integer({ min: 1, max: 16 }),
          gpusPerReplica: fc.integer({ min: 1, max: 8 }),
          deviceClass: fc.constantFrom('gpu', 'gpu', 'gpu', 'missing-gpu', 'edge-a'),
        },
        { requiredKeys: ['deviceClass'] },
      ),
    }),
    drafts: fc.array(draft, { minLength: 1, maxLength: 3 }),
    k: fc.tuple(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 })),
    edge: fc.oneof(
      fc.constant({ nodeSelector: { 'node-role.kubernetes.io/edge': 'true' } }),
      fc.record({ deviceClasses: fc.uniqueArray(fc.constantFrom(...EDGE_CLASSES, 'nope'), { maxLength: 4 }) }),
    ),
    objective: fc.record(
      {
        maximize: fc.constantFrom('Goodput' as const, 'CostEfficiency' as const, 'EnergyEfficiency' as const),
        constraints: fc.option(
          fc.record(
            {
              minGoodputTokensPerSecond: magnitude(0, 1e6),
              maxUSDPerMillionTokens: magnitude(0, 1e6),
              maxJoulesPerToken: magnitude(0, 1e6),
            },
            { requiredKeys: [] },
          ),
          { freq: 3, nil: undefined },
        ),
      },
      { requiredKeys: ['maximize'] },
    ),
    mode: fc.constantFrom('Auto' as const, 'Recommend' as const, 'Pinned' as const),
    pin: fc.record({ draftIndex: fc.nat(3), quantIndex: fc.nat(3), k: fc.integer({ min: 1, max: 16 }) }),
    minImprovementPercent: fc.option(magnitude(0, 100), { nil: undefined }),
    cooldownSeconds: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined }),
    profiling: fc.constantFrom('IfMissing' as const, 'Periodic' as const, 'Never' as const),
    maxConcurrentJobs: fc.integer({ min: 1, max: 8 }),
    accounting: fc.constantFrom('Full' as const, 'Paper' as const),
  })
  .map((s) => {
    const [kMin, kMax] = s.k[0] <= s.k[1] ? s.k : [s.k[1], s.k[0]];
    const pinnedDraft = s.drafts[s.pin.draftIndex % s.drafts.length]!;
    return {
      target: s.target,
      drafts: s.drafts,
      speculation: { k: { min: kMin, max: kMax } },
      edge: s.edge,
      objective: s.objective.constraints === undefined ? { maximize: s.objective.maximize } : s.objective,
      policy: {
        mode: s.mode,
        ...(s.mode === 'Pinned'
          ? {
              pinned: {
                draft: pinnedDraft.model.name,
                quantization: pinnedDraft.quantizations[s.pin.quantIndex % pinnedDraft.quantizations.length]!,
                k: Math.min(kMax, Math.max(kMin, s.pin.k)),
              },
            }
          : {}),
        ...(s.minImprovementPercent !== undefined ? { minImprovementPercent: s.minImprovementPercent } : {}),
        ...(s.cooldownSeconds !== undefined ? { cooldownSeconds: s.cooldownSeconds } : {}),
      },
      profiling: { mode: s.profiling, maxConcurrentJobs: s.maxConcurrentJobs },
      accounting: s.accounting,
    };
  });

const world = fc.record({
  spec,
  edgeClasses: fc.tuple(...EDGE_CLASSES.map(edgeClass)),
  classPresent: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
  verifier: verifierClass,
  // Nodes per edge class, each Ready or not.
  nodes: fc.tuple(...EDGE_CLASSES.map(() => fc.array(fc.boolean(), { maxLength: 3 }))),
  generation: fc.integer({ min: 1, max: 1_000_000 }),
});

/** The first path holding a non-finite number (or a non-JSON value), for the failure message. */
function nonFinite(value: unknown, path = 'status'): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} = ${value}`;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = nonFinite(child, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

describe('fuzz: random schema-valid deployments through the planner and the reconciler', () => {
  it('the DeviceClass generators yield only schema-valid classes', () => {
    fc.assert(
      fc.property(fc.tuple(...EDGE_CLASSES.map(edgeClass), verifierClass), (classes) => {
        for (const dc of classes) expect(validateAndDefault(dc).errors).toEqual([]);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it(`${RUNS} runs: no exception, finite numbers, a status the CRD accepts, settles to zero writes`, async () => {
    let runs = 0;
    let planned = 0;
    let selected = 0;
    let notSelected = 0;
    let deepChecks = 0;
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const raw = {
          apiVersion: 'configspec.io/v1alpha1',
          kind: 'SpecDecodeDeployment',
          metadata: { name: 'chat', namespace: NAMESPACE },
          spec: w.spec,
        };
        const validated = validateAndDefault(raw);
        fc.pre(validated.errors.length === 0);
        runs += 1;
        const deployment = {
          ...(validated.object as SpecDecodeDeployment),
          metadata: { name: 'chat', namespace: NAMESPACE, uid: 'uid-chat', generation: w.generation },
        };
        // The generators build schema-valid classes (checked on their own below); defaults are applied here.
        const deviceClasses = [...w.edgeClasses.filter((_, i) => w.classPresent[i]), w.verifier].map(
          (dc) => applyDefaults(dc) as DeviceClass,
        );

        // The in-memory cluster: the classes, a fleet, the deployment.
        const cluster = new FakeCluster();
        for (const dc of deviceClasses) cluster.seed(dc);
        EDGE_CLASSES.forEach((name, i) =>
          w.nodes[i]!.forEach((ready, n) =>
            cluster.seed({
              apiVersion: 'v1',
              kind: 'Node',
              metadata: { name: `${name}-${n}`, labels: { [LABEL]: name, 'node-role.kubernetes.io/edge': 'true' } },
              status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
            }),
          ),
        );
        cluster.seed({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gpu-0', labels: { [LABEL]: 'gpu' } } });
        cluster.seed(deployment);
        // The real planner, its every answer checked on the way through.
        const plan = (request: PlanRequest) => {
          const answer = planDeployment(request);
          planned += 1;
          for (const c of answer.classes) {
            if (c.outcome === 'Selected') selected += 1;
            else notSelected += 1;
            expect(nonFinite(c.predicted, `plan.${c.name}.predicted`)).toBeUndefined();
            expect(nonFinite(c.frontier, `plan.${c.name}.frontier`)).toBeUndefined();
          }
          return answer;
        };
        const reconciler = new SpecDecodeReconciler({
          cache: cluster.cache(),
          writer: cluster,
          events: new RecordingEvents(),
          plan,
          clock: new ManualClock(Date.parse('2026-11-29T00:00:00Z')),
          log: silentLogger,
          image: 'ghcr.io/configspec/configspec:fuzz',
          operatorNamespace: 'configspec-system',
        });
        await reconciler.reconcile(`${NAMESPACE}/chat`);
        const stored = cluster.get<SpecDecodeDeployment>('SpecDecodeDeployment', 'chat', NAMESPACE)!;
        expect(stored.status).toBeDefined();
        expect(nonFinite(stored.status)).toBeUndefined();
        expect(stored.status!.observedGeneration).toBe(w.generation);
        for (const condition of stored.status!.conditions ?? []) {
          expect(condition.reason).toMatch(/^[A-Z][A-Za-z0-9]*$/);
          expect(condition.message.length).toBeGreaterThan(0);
        }
        // The costlier checks on a sample (every DEEP_EVERY-th run), to keep the suite within a minute: the
        // status passes the CRD schema and its CEL rules, and further passes settle to zero writes (profiling
        // takes a pass to create profile objects and one to start Jobs).
        if (runs % DEEP_EVERY !== 0) return;
        deepChecks += 1;
        const { metadata: _m, ...withStatus } = stored;
        expect(validateAndDefault({ ...withStatus, metadata: { name: 'chat', namespace: NAMESPACE } }).errors).toEqual(
          [],
        );
        let quiet = false;
        for (let pass = 0; pass < 4 && !quiet; pass++) {
          const mark = cluster.writes.length;
          await reconciler.reconcile(`${NAMESPACE}/chat`);
          quiet = cluster.writesSince(mark).length === 0;
          const again = cluster.get<SpecDecodeDeployment>('SpecDecodeDeployment', 'chat', NAMESPACE)!;
          expect(nonFinite(again.status)).toBeUndefined();
        }
        expect(quiet).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED, maxSkipsPerRun: 20, endOnFailure: true },
    );
    console.log(
      `fuzz: ${runs} schema-valid deployments reconciled (${planned} plans; class plans ${selected} selected, ` +
        `${notSelected} infeasible or error; ${deepChecks} with the CRD status check and the settle check)`,
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  }, 600_000);
});
