// The SpecDecodeDeployment reconciler. One pass, level-triggered and idempotent:
//   1. read the deployment, DeviceClasses, Nodes, profiles and owned objects from the informer caches;
//   2. group edge nodes by class and plan a configuration per class (the pure planner);
//   3. build desired objects (pure builders) and apply only those that drifted from what is live;
//   4. start bounded profiling work for missing profiles;
//   5. compute status and write it once, only if it changed.
// With nothing changing, a pass sends no request at all.
import type {
  Configuration,
  DeviceClass,
  DeviceClassStatus,
  Figures,
  FrontierEntry,
  InputBasis,
  ModelDeliveryStatus,
  SpecDecodeDeployment,
  SpecDecodeDeploymentStatus,
} from '../api/types.js';
import type { OperatorMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/log.js';
import { LABELS } from '../planner/metadata.js';
import { names } from '../planner/naming.js';
import { groupEdgeNodes, type NodeGroups } from '../planner/node-groups.js';
import type { ClassPlan, DeploymentPlan, PlanRequest } from '../planner/plan.js';
import { buildProfilingJob, type ProfilingJobOptions } from '../planner/profiling-jobs.js';
import {
  decideRollout,
  readyOnEveryNode,
  sameModel,
  draftFileSource,
  MODEL_ANNOTATION,
  parseModelAnnotation,
  type ModelDeliveryOptions,
  type PrefetchView,
} from '../planner/model-delivery.js';
import { buildPrefetchDaemonSet, prefetchName } from '../planner/prefetch.js';
import {
  buildDrafterDaemonSet,
  buildKConfigMap,
  buildVerifierDeployment,
  buildVerifierService,
  verifierEndpoint,
  type BuildContext,
  type DrafterOptions,
  type VerifierOptions,
} from '../planner/workloads.js';
import type { Clock } from '../util/clock.js';
import type { ClusterCache } from './cache.js';
import { isSubset, jsonEqual } from './drift.js';
import type { ClusterWriter, EventRecorder, KubeObject } from './ports.js';
import { decideProfiling, type ProfilingDecision } from './profiling.js';
import { computeStatus, type ClassOutcomeView } from './status.js';
import type { ReconcileResult } from './workqueue.js';

export interface ReconcilerOptions {
  cache: ClusterCache;
  writer: ClusterWriter;
  events: EventRecorder;
  /** The planner (src/planner/plan.ts planDeployment), injected so tests can pin its answers. */
  plan(request: PlanRequest): DeploymentPlan;
  clock: Clock;
  log: Logger;
  metrics?: OperatorMetrics;
  /** The operator's own image, which holds the agent commands. */
  image: string;
  imagePullPolicy?: BuildContext['imagePullPolicy'];
  /** Where profiling Jobs run (the operator's namespace). */
  operatorNamespace: string;
  verifier?: VerifierOptions;
  drafter?: DrafterOptions;
  profilingJobs?: ProfilingJobOptions;
  /** The node cache agent pods fetch models through, and the catalog naming files. */
  modelDelivery?: ModelDeliveryOptions;
  /**
   * The closed loop's observations (src/controller/serving-observer.ts ServingObserver) per deployment key:
   * serving counters per class and the verifier's (batch, K) windows. Without it the planner sees profiles only.
   */
  closedLoop?: {
    observations(key: string): PlanRequest['observations'];
    verifierWindows(key: string): NonNullable<PlanRequest['verifierLoad']>['windows'];
  };
}

type Sdd = SpecDecodeDeployment & { metadata: { namespace: string; uid: string } };

/** How long a write of ours explains a cache that does not show it yet. */
const CACHE_LAG_GRACE_MS = 30_000;

export class SpecDecodeReconciler {
  /**
   * Our last apply per object: what we sent and the resourceVersion the cache showed before it. Right after a
   * write the informer may not have delivered it yet; without this, the next pass would see the old object
   * and apply the same content again (harmless, but a write).
   */
  private readonly lastApplied = new Map<string, { desired: string; before: string | undefined; at: number }>();
  /** Our recent deletes and the resourceVersion the cache showed then, for the same reason. */
  private readonly lastDeleted = new Map<string, { before: string | undefined; at: number }>();
  /**
   * Our last status write per deployment and the resourceVersion the cache showed before it. A pass that runs
   * before the informer delivers that write (woken by a change of a DaemonSet, say) must start from the status we
   * wrote: from the cached one it would see the same transitions again and repeat their Events and the write.
   */
  private readonly lastStatusWrite = new Map<
    string,
    { status: SpecDecodeDeploymentStatus; before: string | undefined; at: number }
  >();

  constructor(private readonly options: ReconcilerOptions) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache, metrics } = this.options;
    const [namespace, name] = splitKey(key);
    const stored = cache.specDecodeDeployments.get(name, namespace);
    if (!stored || stored.metadata.deletionTimestamp) {
      // Garbage collection removes what it owned; only our metric series and memos need forgetting.
      metrics?.forgetDeployment(namespace, name);
      this.lastStatusWrite.delete(key);
      return {};
    }
    const now = this.options.clock.now();
    const nowText = new Date(now).toISOString();
    const sdd = this.withOurLatestStatus(key, stored as Sdd, now);
    const log = this.options.log.child({ sdd: key, generation: sdd.metadata.generation });

    // 1–2. Observe and plan.
    const deviceClasses = cache.deviceClasses.list();
    const groups = groupEdgeNodes(sdd, deviceClasses, cache.nodes.list());
    const populated = groups.classes.filter((g) => g.nodes.length > 0);
    const populatedNames = new Set(populated.map((g) => g.deviceClass.metadata.name));
    const verifierClass = deviceClasses.find((dc) => dc.metadata.name === sdd.spec.target.verifier.deviceClass);
    const plan = this.options.plan({
      deployment: sdd,
      deviceClasses: [...(verifierClass ? [verifierClass] : []), ...populated.map((g) => g.deviceClass)],
      draftProfiles: cache.draftProfiles.list(),
      alignmentProfiles: cache.alignmentProfiles.list(),
      current: currentSelections(sdd),
      now,
      ...(this.options.closedLoop
        ? {
            observations: this.options.closedLoop.observations(key),
            verifierLoad: {
              windows: this.options.closedLoop.verifierWindows(key),
              drafters: populated.reduce((sum, g) => sum + g.readyNodes.length, 0),
            },
          }
        : {}),
    });
    const classPlans = plan.classes.filter((c) => populatedNames.has(c.name));

    // 3. Serving workloads.
    const context: BuildContext = {
      sdd,
      image: this.options.image,
      imagePullPolicy: this.options.imagePullPolicy,
      modelDelivery: this.options.modelDelivery,
    };
    const modelDelivery = new Map<string, ModelDeliveryStatus>();
    const desired: KubeObject[] = [];
    const buildErrors = new Map<string, string>();
    // Problems building the serving workloads (e.g. a target with no model file): reported in status instead of
    // failing every pass with no status at all.
    const workloadErrors: string[] = [];
    if (verifierClass?.spec.role === 'Verifier') {
      try {
        desired.push(
          buildVerifierDeployment(context, verifierClass, this.options.verifier),
          buildVerifierService(context),
        );
      } catch (err) {
        workloadErrors.push((err as Error).message);
      }
    }
    const manageDrafters = sdd.spec.policy.mode !== 'Recommend';
    // Pre-fetch DaemonSets whose model change is delivered (deleted after the applies).
    const finishedPrefetches: KubeObject[] = [];
    if (manageDrafters) {
      for (const classPlan of classPlans) {
        if (!classPlan.selected) continue;
        const deviceClass = populated.find((g) => g.deviceClass.metadata.name === classPlan.name)!.deviceClass;
        try {
          // A model change first fills every node's cache (the pre-fetch DaemonSet), then rolls the drafters;
          // until then they keep the file and the K they run (src/planner/model-delivery.ts decideRollout).
          const selected = classPlan.selected;
          const drafterName = names.drafter(sdd.metadata.name, classPlan.name);
          const liveDrafter = this.liveModel(sdd, drafterName);
          const prefetch = this.prefetchView(sdd, classPlan.name);
          const drafters = this.daemonSetView(sdd, drafterName);
          const drafterLive = this.options.cache.daemonSets.get(drafterName, namespace);
          // The pre-fetch DaemonSet exists only while a model change is delivered: from the change until the
          // drafters serve the new file on every node. A first rollout needs none (each drafter's own fetch step
          // brings the file), and a drafter pod pins its file in the node cache as a pre-fetch pod would, so
          // keeping one afterwards would only double the pods (1,000 more for 100 deployments in
          // bench/fleet.ts). Until a change, a node whose drafter is ready on the file counts as having it. (A
          // class left as it is — Recommend mode, no feasible selection — keeps whatever it has.)
          const prefetchLive = this.options.cache.daemonSets.get(
            prefetchName(sdd.metadata.name, classPlan.name),
            namespace,
          );
          const changePending = liveDrafter !== undefined && !sameModel(liveDrafter, selected);
          const prefetchNeeded = changePending || (prefetchLive !== undefined && !readyOnEveryNode(drafters, selected));
          if (prefetchLive && !prefetchNeeded) finishedPrefetches.push(prefetchLive);
          // The file is on a node when its pre-fetch pod or its drafter on the selected model is ready. Every
          // ready drafter pod counts, updated or not: a roll that keeps the file (a new pod template) leaves it
          // on every node, and the drafters of a changed file roll only once the pre-fetch covered every node.
          const drafterHolders =
            drafters && sameModel(drafters, selected)
              ? { ...drafters, ready: drafterLive?.status?.numberReady ?? 0, current: true }
              : undefined;
          const onNodes =
            [prefetch, drafterHolders]
              .filter((v): v is PrefetchView => v !== undefined && v.current && sameModel(v, selected))
              .sort((a, b) => b.ready - a.ready)[0] ?? prefetch;
          const rollout = decideRollout(classPlan.selected, liveDrafter, onNodes);
          modelDelivery.set(classPlan.name, rollout.status);
          if (prefetchNeeded) desired.push(buildPrefetchDaemonSet(context, deviceClass, classPlan.selected));
          desired.push(buildDrafterDaemonSet(context, deviceClass, rollout.run, this.options.drafter));
          if (rollout.switched) desired.push(buildKConfigMap(context, classPlan.name, classPlan.selected.k));
        } catch (err) {
          buildErrors.set(classPlan.name, (err as Error).message);
        }
      }
    }
    // The objects are independent, so they are applied concurrently (one round trip per pass, not one per
    // object: serial applies capped a 100-deployment fleet at a few writes per second per worker); each drafter
    // DaemonSet goes after the K ConfigMaps, so its pods never wait for their mount.
    const changed = desired.filter((object) => this.needsApply(object, now));
    const applyAll = (objects: KubeObject[]) =>
      Promise.all(
        objects.map(async (object) => {
          const before = (this.live(object) as KubeObject | undefined)?.metadata.resourceVersion;
          await this.options.writer.apply(object);
          this.lastApplied.set(objectId(object), { desired: JSON.stringify(object), before, at: now });
        }),
      );
    await applyAll(changed.filter((object) => object.kind !== 'DaemonSet'));
    await applyAll(changed.filter((object) => object.kind === 'DaemonSet'));
    let writes = changed.length;
    if (manageDrafters) {
      writes += await this.deleteStaleDrafters(sdd, desired, populatedNames, now);
      writes += await this.deleteObjects(finishedPrefetches, now);
    }

    // 4. Profiling.
    const verifierLive = this.options.cache.deployments.get(names.verifier(sdd.metadata.name), namespace);
    const verifierReadyReplicas = verifierLive?.status?.readyReplicas ?? 0;
    const profiling = this.decideProfiling(sdd, plan, groups, populatedNames, verifierReadyReplicas > 0, now);
    writes += await this.actOnProfiling(sdd, profiling);

    // 5. Status, written once and only when it changed.
    const classOutcomes: ClassOutcomeView[] = classPlans.map((c) =>
      buildErrors.has(c.name)
        ? { name: c.name, outcome: 'Error', reason: 'InvalidWorkload', message: buildErrors.get(c.name)! }
        : { name: c.name, outcome: c.outcome, reason: c.reason, message: c.message },
    );
    const status = computeStatus({
      sdd,
      now: nowText,
      mode: sdd.spec.policy.mode,
      verifier: {
        deviceClassFound: verifierClass?.spec.role === 'Verifier',
        endpoint: verifierEndpoint(sdd),
        desiredReplicas: sdd.spec.target.verifier.replicas,
        readyReplicas: verifierReadyReplicas,
      },
      deviceClasses: classPlans.map((c) => this.classStatus(sdd, c, groups, modelDelivery.get(c.name))),
      classOutcomes,
      planErrors: [...plan.issues.filter((i) => i.severity === 'Error').map((i) => i.message), ...workloadErrors],
      planWarnings: [
        ...plan.issues.filter((i) => i.severity === 'Warning').map((i) => i.message),
        // A class named in spec.edge.deviceClasses that exists nowhere has no nodes, so no class plan above.
        ...plan.classes.filter((c) => !populatedNames.has(c.name) && c.outcome === 'Error').map((c) => c.message),
      ],
      unclassifiedNodes: groups.unclassified,
      modelMismatches: classPlans.flatMap((c) =>
        c.mismatch?.raised && c.mismatch.residual
          ? [{ name: c.name, message: mismatchSentence(c.mismatch.residual, sdd.spec.policy.cooldownSeconds) }]
          : [],
      ),
      profiling: {
        mode: sdd.spec.profiling.mode,
        completed: profiling.completed,
        total: profiling.total,
        running: profiling.running,
        failed: profiling.failures.length,
        failures: profiling.failures,
        pending: profiling.pending,
      },
    });
    if (!jsonEqual(status, sdd.status ?? {})) {
      await this.options.writer.applyStatus({ ...sdd, status } as unknown as KubeObject);
      this.lastStatusWrite.set(key, { status, before: stored.metadata.resourceVersion, at: now });
      writes += 1;
      this.recordTransitions(sdd, classPlans, status.conditions ?? []);
    }

    metrics?.setSelections(
      namespace,
      name,
      classPlans.flatMap((c) => (c.selected ? [{ deviceClass: c.name, k: c.selected.k, predicted: c.predicted }] : [])),
    );
    metrics?.setProfilingJobs(namespace, name, {
      pending: profiling.pending,
      running: profiling.running,
      succeeded: profiling.completed,
      failed: profiling.failures.length,
    });
    if (writes > 0) log.info('Reconciled SpecDecodeDeployment', { writes });
    const requeue = requeueForCooldown(sdd, classPlans, now);
    // A profiling attempt waiting out its backoff is started when it is due, not at the next resync.
    if (profiling.retryAfterMs !== undefined) {
      const due = Math.max(1000, profiling.retryAfterMs + 1000);
      return { requeueAfterMs: Math.min(requeue.requeueAfterMs ?? due, due) };
    }
    return requeue;
  }

  /** The cached deployment, with the status we last wrote while the cache has not caught up with that write. */
  private withOurLatestStatus(key: string, cached: Sdd, now: number): Sdd {
    const memo = this.lastStatusWrite.get(key);
    if (!memo) return cached;
    if (now - memo.at > CACHE_LAG_GRACE_MS || cached.metadata.resourceVersion !== memo.before) {
      this.lastStatusWrite.delete(key);
      return cached;
    }
    return { ...cached, status: memo.status };
  }

  private needsApply(object: KubeObject, now: number): boolean {
    const live = this.live(object) as KubeObject | undefined;
    if (isSubset(object, live)) return false;
    const id = objectId(object);
    const memo = this.lastApplied.get(id);
    if (!memo || now - memo.at > CACHE_LAG_GRACE_MS) {
      this.lastApplied.delete(id);
      return true;
    }
    // Same content as our recent write, and the cache still shows what it showed before that write: it lags.
    return !(memo.desired === JSON.stringify(object) && live?.metadata.resourceVersion === memo.before);
  }

  private live(object: KubeObject): unknown {
    const { cache } = this.options;
    const { name, namespace } = object.metadata;
    switch (object.kind) {
      case 'Deployment':
        return cache.deployments.get(name, namespace);
      case 'Service':
        return cache.services.get(name, namespace);
      case 'DaemonSet':
        return cache.daemonSets.get(name, namespace);
      case 'ConfigMap':
        return cache.configMaps.get(name, namespace);
      case 'Job':
        return cache.jobs.get(name, namespace);
      default:
        return undefined;
    }
  }

  /**
   * Deletes drafters and K ConfigMaps this deployment owns for classes that no longer have edge nodes. A class
   * that still has nodes but no selection (infeasible) keeps its drafter running as it was.
   */
  private async deleteStaleDrafters(
    sdd: Sdd,
    desired: readonly KubeObject[],
    populatedNames: ReadonlySet<string>,
    now: number,
  ): Promise<number> {
    const wanted = new Set(desired.map((o) => `${o.kind}/${o.metadata.name}`));
    const stale = [
      ...this.options.cache.daemonSets.list(sdd.metadata.namespace),
      ...this.options.cache.configMaps.list(sdd.metadata.namespace),
    ].filter(
      (o) =>
        ['drafter', 'prefetch'].includes(o.metadata.labels?.[LABELS.component] ?? '') &&
        (o.metadata.ownerReferences ?? []).some((r) => r.uid === sdd.metadata.uid && r.controller) &&
        !wanted.has(`${o.kind}/${o.metadata.name}`) &&
        !populatedNames.has(o.metadata.labels?.[LABELS.deviceClass] ?? ''),
    );
    return this.deleteObjects(stale, now);
  }

  /** Deletes the objects, except those we deleted moments ago that the cache still shows unchanged. */
  private async deleteObjects(objects: readonly KubeObject[], now: number): Promise<number> {
    let deleted = 0;
    for (const object of objects) {
      const id = objectId(object);
      const memo = this.lastDeleted.get(id);
      if (memo && now - memo.at > CACHE_LAG_GRACE_MS) this.lastDeleted.delete(id);
      else if (memo && memo.before === object.metadata.resourceVersion) continue;
      await this.options.writer.delete({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
      });
      // A later create of the same content is a real create, not our own write lagging in the cache.
      this.lastApplied.delete(id);
      this.lastDeleted.set(id, { before: object.metadata.resourceVersion, at: now });
      deleted += 1;
    }
    return deleted;
  }

  private decideProfiling(
    sdd: Sdd,
    plan: DeploymentPlan,
    groups: NodeGroups,
    populatedNames: ReadonlySet<string>,
    verifierReady: boolean,
    now: number,
  ): ProfilingDecision {
    const { cache } = this.options;
    const variants = sdd.spec.drafts.reduce((sum, d) => sum + new Set(d.quantizations).size, 0);
    const readyNodes = new Map<string, { deviceClass: DeviceClass; nodes: readonly string[] }>(
      groups.classes.map((g) => [g.deviceClass.metadata.name, { deviceClass: g.deviceClass, nodes: g.readyNodes }]),
    );
    return decideProfiling({
      sdd,
      missingDraftProfiles: plan.missingDraftProfiles.filter((m) => populatedNames.has(m.deviceClass)),
      missingAlignmentProfiles: plan.missingAlignmentProfiles,
      readyNodes,
      verifierReady,
      now,
      retry: this.options.profilingJobs,
      totalProfiles: sdd.spec.profiling.mode === 'Never' ? 0 : variants * (populatedNames.size + 1),
      storedProfile: (target) =>
        target.kind === 'DraftProfile'
          ? cache.draftProfiles
              .list()
              .find(
                (p) =>
                  p.spec.deviceClass === target.deviceClass &&
                  p.spec.draft === target.draft.name &&
                  p.spec.quantization === target.quantization,
              )
          : cache.alignmentProfiles
              .list()
              .find(
                (p) =>
                  p.spec.draft === target.draft.name &&
                  p.spec.quantization === target.quantization &&
                  p.spec.target === target.target.name &&
                  p.spec.promptSet === target.promptSet,
              ),
      job: (name) => cache.jobs.get(name, this.options.operatorNamespace),
    });
  }

  private async actOnProfiling(sdd: Sdd, decision: ProfilingDecision): Promise<number> {
    const { writer, events } = this.options;
    let writes = 0;
    // Profiles and their Jobs are shared by every deployment that needs them: the first to ask creates them, and
    // nobody rewrites them (a Job's template is immutable, and another deployment may have made it).
    for (const profile of decision.createProfiles) {
      await writer.createIfAbsent(profile as unknown as KubeObject);
      writes += 1;
    }
    for (const start of decision.startJobs) {
      const candidate = sdd.spec.drafts.find((d) => d.model.name === start.target.draft.name);
      let draftSource;
      try {
        draftSource = candidate
          ? draftFileSource(candidate, start.target.quantization, this.options.modelDelivery?.catalog)
          : undefined;
      } catch (err) {
        // No file for this draft and quantisation: nothing to measure. The drafter's InvalidWorkload says why.
        this.options.log.warn('Profiling skipped', {
          profile: start.profile.metadata.name,
          reason: (err as Error).message,
        });
        continue;
      }
      const job = buildProfilingJob(
        {
          profile: start.profile,
          target: start.target,
          node: start.node,
          verifierEndpoint: verifierEndpoint(sdd),
          attempt: start.attempt,
          namespace: this.options.operatorNamespace,
          image: this.options.image,
          imagePullPolicy: this.options.imagePullPolicy,
          draftSource,
          modelDelivery: this.options.modelDelivery,
        },
        this.options.profilingJobs,
      );
      const created = await writer.createIfAbsent(job);
      writes += 1;
      if (!created) continue;
      events.record(
        sdd as unknown as KubeObject,
        'Normal',
        'ProfilingStarted',
        'Profile',
        `Measuring ${start.profile.kind} ${start.profile.metadata.name} on node ${start.node.name}`,
      );
    }
    for (const name of decision.deleteJobs) {
      await writer.delete({ apiVersion: 'batch/v1', kind: 'Job', name, namespace: this.options.operatorNamespace });
      writes += 1;
    }
    return writes;
  }

  /** The draft and quantisation a live DaemonSet of ours runs (or pre-fetches), from its annotation. */
  private liveModel(sdd: Sdd, name: string) {
    const live = this.options.cache.daemonSets.get(name, sdd.metadata.namespace);
    return parseModelAnnotation(live?.metadata.annotations?.[MODEL_ANNOTATION]);
  }

  private prefetchView(sdd: Sdd, className: string): PrefetchView | undefined {
    return this.daemonSetView(sdd, prefetchName(sdd.metadata.name, className));
  }

  /** A live DaemonSet's model and how many of its nodes run it ready, as the rollout gate reads them. */
  private daemonSetView(sdd: Sdd, name: string): PrefetchView | undefined {
    const live = this.options.cache.daemonSets.get(name, sdd.metadata.namespace);
    const model = this.liveModel(sdd, name);
    if (!live || !model) return undefined;
    const status = live.status ?? {};
    return {
      ...model,
      desired: status.desiredNumberScheduled ?? 0,
      ready: Math.min(status.numberReady ?? 0, status.updatedNumberScheduled ?? 0),
      current: (status.observedGeneration ?? 0) >= (live.metadata.generation ?? 1),
    };
  }

  private classStatus(
    sdd: Sdd,
    plan: ClassPlan,
    groups: NodeGroups,
    model: ModelDeliveryStatus | undefined,
  ): DeviceClassStatus {
    const group = groups.classes.find((g) => g.deviceClass.metadata.name === plan.name);
    const drafter = this.options.cache.daemonSets
      .list(sdd.metadata.namespace)
      .find(
        (ds) =>
          ds.metadata.labels?.[LABELS.component] === 'drafter' &&
          ds.metadata.labels?.[LABELS.deviceClass] === plan.name &&
          (ds.metadata.ownerReferences ?? []).some((r) => r.uid === sdd.metadata.uid),
      );
    const current = drafter?.status;
    const upToDate = current && (current.observedGeneration ?? 0) >= (drafter.metadata.generation ?? 0);
    const readyNodes = upToDate ? Math.min(current.numberReady ?? 0, current.updatedNumberScheduled ?? 0) : 0;
    const previous = sdd.status?.deviceClasses?.find((c) => c.name === plan.name);
    return canonicalClassStatus({
      name: plan.name,
      nodes: group?.nodes.length ?? 0,
      readyNodes,
      model,
      selected: plan.selected,
      predicted: plan.predicted,
      basis: plan.basis,
      frontier: plan.frontier,
      // The closed loop's latest view, else what the last pass recorded (observations come and go with scrapes).
      observed: plan.observed ?? previous?.observed,
      lastChangeTime: plan.lastChangeTime,
      reason: plan.reason,
      message: plan.message,
    });
  }

  private recordTransitions(
    sdd: Sdd,
    classPlans: readonly ClassPlan[],
    conditions: readonly { type: string; status: string; reason: string; message: string }[],
  ): void {
    const regarding = sdd as unknown as KubeObject;
    for (const plan of classPlans) {
      if (!plan.changed || !plan.selected) continue;
      const previous = sdd.status?.deviceClasses?.find((c) => c.name === plan.name)?.selected;
      const { draft, quantization, k } = plan.selected;
      this.options.events.record(
        regarding,
        'Normal',
        previous ? 'ConfigurationSwitched' : 'ConfigurationSelected',
        'Select',
        `${plan.name}: ${draft} ${quantization} K=${k}. ${plan.message}`,
      );
    }
    const before = (type: string) => sdd.status?.conditions?.find((c) => c.type === type);
    for (const condition of conditions) {
      const old = before(condition.type);
      if (old?.status === condition.status && old.reason === condition.reason) continue;
      if (condition.type === 'Infeasible' && condition.status === 'True') {
        this.options.events.record(regarding, 'Warning', 'Infeasible', 'Select', condition.message);
      }
      if (condition.type === 'ModelMismatch' && condition.status === 'True') {
        this.options.events.record(regarding, 'Warning', 'ModelMismatch', 'Select', condition.message);
      }
      if (condition.type === 'Profiled' && condition.reason === 'ProfilingFailed') {
        this.options.events.record(regarding, 'Warning', 'ProfilingFailed', 'Profile', condition.message);
      }
      if (condition.type === 'Profiled' && condition.reason === 'ProfilesMeasured') {
        this.options.events.record(regarding, 'Normal', 'ProfilingFinished', 'Profile', condition.message);
      }
    }
  }
}

/** The ModelMismatch sentence of one class: the figure, both values, the gap and how long it has lasted. */
function mismatchSentence(
  residual: { figure: string; observed: number; predicted: number; gapPercent: number },
  cooldownSeconds: number,
): string {
  const value = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));
  return `${residual.figure} observed ${value(residual.observed)}, the corrected model predicts ${value(residual.predicted)} (${residual.gapPercent.toFixed(0)}%) for longer than the cooldown (${cooldownSeconds} s); holding the selection`;
}

function objectId(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  if (slash <= 0) throw new Error(`Key "${key}" is not namespace/name`);
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function currentSelections(sdd: SpecDecodeDeployment): PlanRequest['current'] {
  const current: NonNullable<PlanRequest['current']> = {};
  for (const c of sdd.status?.deviceClasses ?? []) {
    if (c.selected) {
      (current as Record<string, unknown>)[c.name] = {
        selected: c.selected,
        ...(c.lastChangeTime ? { lastChangeTime: c.lastChangeTime } : {}),
      };
    }
  }
  return current;
}

/** The remaining cooldown of classes kept in cooldown, so the switch happens when it may. */
function requeueForCooldown(sdd: SpecDecodeDeployment, classPlans: readonly ClassPlan[], now: number): ReconcileResult {
  let earliest: number | undefined;
  for (const plan of classPlans) {
    if (plan.reason !== 'KeptInCooldown' || !plan.lastChangeTime) continue;
    const until = Date.parse(plan.lastChangeTime) + sdd.spec.policy.cooldownSeconds * 1000;
    if (until > now && (earliest === undefined || until < earliest)) earliest = until;
  }
  return earliest === undefined ? {} : { requeueAfterMs: earliest - now + 1000 };
}

/**
 * Only the fields the CRD schema knows, so the stored status (pruned by the apiserver) can equal the computed
 * one; an extra field here would be pruned on every write and make every pass write again.
 */
export function canonicalClassStatus(s: {
  name: string;
  nodes: number;
  readyNodes: number;
  model?: ModelDeliveryStatus;
  selected?: Configuration;
  predicted?: Figures;
  basis?: InputBasis;
  frontier?: readonly FrontierEntry[];
  observed?: DeviceClassStatus['observed'];
  lastChangeTime?: string;
  reason?: string;
  message?: string;
}): DeviceClassStatus {
  const figures = (f: Figures): Figures => ({
    goodputTokensPerSecond: f.goodputTokensPerSecond,
    usdPerMillionTokens: f.usdPerMillionTokens,
    joulesPerToken: f.joulesPerToken,
    acceptanceRate: f.acceptanceRate,
    roundSeconds: f.roundSeconds,
  });
  return {
    name: s.name,
    nodes: s.nodes,
    readyNodes: s.readyNodes,
    ...(s.model
      ? {
          model: {
            draft: s.model.draft,
            quantization: s.model.quantization,
            readyNodes: s.model.readyNodes,
            state: s.model.state,
          },
        }
      : {}),
    ...(s.selected
      ? { selected: { draft: s.selected.draft, quantization: s.selected.quantization, k: s.selected.k } }
      : {}),
    ...(s.predicted ? { predicted: figures(s.predicted) } : {}),
    ...(s.basis
      ? {
          basis: {
            draftSpeed: s.basis.draftSpeed,
            acceptance: s.basis.acceptance,
            power: s.basis.power,
            network: s.basis.network,
            verification: s.basis.verification,
          },
        }
      : {}),
    ...(s.frontier && s.frontier.length > 0
      ? {
          frontier: s.frontier.map((e) => ({
            draft: e.draft,
            quantization: e.quantization,
            k: e.k,
            goodputTokensPerSecond: e.goodputTokensPerSecond,
            usdPerMillionTokens: e.usdPerMillionTokens,
            joulesPerToken: e.joulesPerToken,
          })),
        }
      : {}),
    ...(s.observed ? { observed: s.observed } : {}),
    ...(s.lastChangeTime ? { lastChangeTime: s.lastChangeTime } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: s.message } : {}),
  };
}
