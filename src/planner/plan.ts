// The planner: a SpecDecodeDeployment, the DeviceClasses, the profiles and the catalog in; per edge device
// class a selection with predicted figures, runner-up, Pareto front, infeasibility details and the profiles
// still missing out. Pure and deterministic: the clock is the `now` argument, nothing is read or written.
import type {
  AlignmentProfile,
  Configuration,
  DeviceClass,
  DeviceClassStatus,
  DraftProfile,
  Figures,
  FrontierEntry,
  InputBasis,
  ObservedFigures,
  Objective,
  Quantization,
  SpecDecodeDeployment,
} from '../api/types.js';
import { BUILTIN_CATALOG, PAPER_VERIFY_SECONDS, type Catalog } from '../catalog/index.js';
import {
  checkFeasibility,
  decideSwitch,
  estimate,
  evaluateGrid,
  explainInfeasibility,
  improvementPercent,
  paretoFront,
  reasonsFromViolations,
  rowCandidate,
  rowEstimate,
  rowK,
  rowOf,
  selectBest,
  type CandidateInputs,
  type EvaluatedGrid,
  type Estimate,
  type FeasibilityReason,
  type InfeasibilityReport,
  type MismatchState,
  type ModelSettings,
  type SwitchDecision,
} from '../costmodel/index.js';
import {
  buildCandidate,
  formatTimestamp,
  indexProfiles,
  parseTimestamp,
  promptSetOf,
  resolveDeviceClass,
  resolveModel,
  verificationPriorFor,
  type PlanContext,
  type PlanIssue,
  type ProfileState,
  type ResolvedDeviceClass,
  type ResolvedModel,
} from './inputs.js';
import {
  applyClosedLoop,
  describeVerifierLoad,
  verifierLoadReport,
  type ClassObservations,
  type ClosedLoopSettings,
  type VerifierLoadInput,
  type VerifierLoadReport,
} from './closed-loop.js';

export type { PlanIssue } from './inputs.js';

/** What is running now on a device class, as the operator last wrote it into status. */
export interface CurrentSelection {
  selected: Configuration;
  /** RFC 3339; when absent the cooldown counts as passed. */
  lastChangeTime?: string;
}

export interface PlanRequest {
  /** The deployment with its spec already defaulted (the API's defaults applied). */
  deployment: SpecDecodeDeployment;
  /** DeviceClass objects of the cluster (or read from files); the catalog fills in classes named but absent. */
  deviceClasses: readonly DeviceClass[];
  draftProfiles?: readonly DraftProfile[];
  alignmentProfiles?: readonly AlignmentProfile[];
  /** The built-in catalog unless given. */
  catalog?: Catalog;
  /** Current selection per device class name (hysteresis input). */
  current?: Readonly<Record<string, CurrentSelection>>;
  /** RFC 3339 timestamp or epoch milliseconds: the planner's only notion of time. */
  now: string | number;
  /** Constant T_v of Paper accounting; the paper's 0.5 s when absent. */
  paperVerifySeconds?: number;
  /** Closed loop: what serving observed per device class name (src/planner/closed-loop.ts). */
  observations?: Readonly<Record<string, ClassObservations>>;
  /** Closed loop: the verifier's fitted load model and how many drafters share its replicas. */
  verifierLoad?: VerifierLoadInput;
  /** Closed loop: correction and mismatch settings (defaults in closed-loop.ts). */
  closedLoop?: ClosedLoopSettings;
}

/** A scored configuration, for the runner-up, the unconstrained best and the pinned comparison. */
export interface ScoredConfiguration extends Configuration {
  figures: Figures;
  feasible: boolean;
  reasons: FeasibilityReason[];
}

export type ClassOutcome = 'Selected' | 'Infeasible' | 'Error';

/** One edge device class's plan; `toDeviceClassStatus` turns it into status.deviceClasses[]. */
export interface ClassPlan {
  name: string;
  outcome: ClassOutcome;
  /** The configuration to run (the pin in Pinned mode; kept one under hysteresis). Absent when infeasible. */
  selected?: Configuration;
  predicted?: Figures;
  basis?: InputBasis;
  /** CamelCase, stable: Optimal, NoSpeculativeGain, Switched, Replaced, KeptBelowThreshold, KeptInCooldown,
   *  Pinned, PinnedInfeasible, Infeasible, or an error code. */
  reason: string;
  /** One human sentence with the numbers behind the reason. */
  message: string;
  /** True when `selected` differs from the current selection passed in. */
  changed: boolean;
  lastChangeTime?: string;
  /** The model's best configuration (equals `selected` unless hysteresis kept another one or a pin is set). */
  best?: ScoredConfiguration;
  runnerUp?: ScoredConfiguration;
  frontier: FrontierEntry[];
  infeasibility?: InfeasibilityReport;
  /** Pinned mode: the pin's figures and how far the best is ahead of it (percent on the objective). */
  pinned?: ScoredConfiguration & { bestAheadPercent: number };
  hysteresis?: SwitchDecision;
  grid: { drafts: string[]; quantizations: Quantization[]; kMin: number; kMax: number; configurations: number };
  /** Model inputs per (draft, quantisation), each input tagged Measured or Prior (after the closed loop). */
  inputs: CandidateInputs[];
  issues: PlanIssue[];
  /** Closed loop: observed against predicted for the serving configuration (status.deviceClasses[].observed). */
  observed?: ObservedFigures;
  /** Closed loop: the residual gap check; `raised` holds the selection and sets ModelMismatch. */
  mismatch?: MismatchState;
  /** Verifier load on the selected configuration, when a load model is known. */
  verifierLoad?: VerifierLoadReport;
}

export interface MissingDraftProfile {
  deviceClass: string;
  draft: string;
  quantization: Quantization;
  state: Exclude<ProfileState, 'Fresh'>;
}

export interface MissingAlignmentProfile {
  draft: string;
  quantization: Quantization;
  target: string;
  promptSet: string;
  state: Exclude<ProfileState, 'Fresh'>;
}

export interface DeploymentPlan {
  objective: Objective;
  accounting: 'Full' | 'Paper';
  mode: 'Auto' | 'Recommend' | 'Pinned';
  classes: ClassPlan[];
  /** Problems that concern the whole deployment (unknown target, unknown verifier, skipped drafts…). */
  issues: PlanIssue[];
  /** Profiles the operator should schedule (missing, stale or incomplete). */
  missingDraftProfiles: MissingDraftProfile[];
  missingAlignmentProfiles: MissingAlignmentProfile[];
  configurationsEvaluated: number;
  /** Evaluated grid per class name, for plots (typed arrays; not part of the JSON shape). */
  grids: ReadonlyMap<string, EvaluatedGrid>;
}

const fmt = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
const describe = (c: Configuration) => `${c.draft} ${c.quantization} K=${c.k}`;
const figuresText = (f: Figures) =>
  `${fmt(f.goodputTokensPerSecond, 2)} tok/s, $${fmt(f.usdPerMillionTokens, 4)}/Mtoken, ${fmt(f.joulesPerToken, 3)} J/token`;
const objectiveWord: Record<Objective, string> = {
  Goodput: 'goodput',
  CostEfficiency: 'cost efficiency',
  EnergyEfficiency: 'energy efficiency',
};

function toFigures(e: Estimate): Figures {
  return {
    goodputTokensPerSecond: e.goodputTokensPerSecond,
    usdPerMillionTokens: e.usdPerMillionTokens,
    joulesPerToken: e.joulesPerToken,
    acceptanceRate: e.acceptanceRate,
    roundSeconds: e.roundSeconds,
  };
}

function scoredRow(grid: EvaluatedGrid, row: number, request: PlanRequest): ScoredConfiguration {
  const inputs = rowCandidate(grid, row);
  const figures = rowEstimate(grid, row);
  return {
    draft: inputs.draft,
    quantization: inputs.quantization,
    k: rowK(grid, row),
    figures: toFigures(figures),
    feasible: grid.violations[row] === 0,
    reasons: reasonsFromViolations(
      grid.violations[row]!,
      inputs,
      figures,
      request.deployment.spec.objective.constraints ?? {},
    ),
  };
}

function errorClass(name: string, code: string, message: string, field?: string): ClassPlan {
  return {
    name,
    outcome: 'Error',
    reason: code,
    message,
    changed: false,
    frontier: [],
    grid: { drafts: [], quantizations: [], kMin: 0, kMax: -1, configurations: 0 },
    inputs: [],
    issues: [{ severity: 'Error', code, message, ...(field ? { field } : {}) }],
  };
}

/** Plans every edge device class of the deployment. Never throws on bad input: problems come back as issues. */
export function planDeployment(request: PlanRequest): DeploymentPlan {
  const catalog = request.catalog ?? BUILTIN_CATALOG;
  const spec = request.deployment.spec;
  const issues: PlanIssue[] = [];
  const plan: DeploymentPlan = {
    objective: spec.objective.maximize,
    accounting: spec.accounting,
    mode: spec.policy.mode,
    classes: [],
    issues,
    missingDraftProfiles: [],
    missingAlignmentProfiles: [],
    configurationsEvaluated: 0,
    grids: new Map(),
  };

  const nowMs = typeof request.now === 'number' ? request.now : parseTimestamp(request.now);
  if (nowMs === undefined || !Number.isFinite(nowMs)) {
    issues.push({
      severity: 'Error',
      code: 'InvalidNow',
      field: 'now',
      message: `"${request.now}" is not an RFC 3339 timestamp`,
    });
    return plan;
  }

  // Target and verifier: without them nothing can be scored.
  const targetResult = resolveModel(spec.target.model, catalog, 'spec.target.model');
  if ('issue' in targetResult) issues.push(targetResult.issue);
  const verifierName = spec.target.verifier.deviceClass;
  const verifier = resolveDeviceClass(verifierName, request.deviceClasses, catalog);
  if (!verifier)
    issues.push({
      severity: 'Error',
      code: 'UnknownDeviceClass',
      field: 'spec.target.verifier.deviceClass',
      message: `verifier device class "${verifierName}" is neither a DeviceClass object nor in the catalog`,
    });
  else if (verifier.role !== 'Verifier')
    issues.push({
      severity: 'Error',
      code: 'WrongRole',
      field: 'spec.target.verifier.deviceClass',
      message: `device class "${verifierName}" has role ${verifier.role}, not Verifier`,
    });
  if (!('model' in targetResult) || !verifier || verifier.role !== 'Verifier') return plan;
  const target = targetResult.model;
  if (verifier.usdPerHour === undefined)
    issues.push({
      severity: 'Warning',
      code: 'NoVerifierPrice',
      field: `DeviceClass/${verifierName}.spec.price`,
      message: `verifier device class "${verifierName}" has no price; Full-accounting cost counts as $0`,
    });
  warnIfTargetDoesNotFit(target, verifier, spec.target.verifier.gpusPerReplica, issues);
  if (spec.accounting === 'Paper' && spec.objective.maximize === 'EnergyEfficiency' && spec.speculation.k.min === 0)
    issues.push({
      severity: 'Warning',
      code: 'PaperEnergyFavoursNoDrafting',
      field: 'spec.speculation.k.min',
      message:
        'Paper accounting counts drafting energy only, so K = 0 costs 0 J/token and always wins on energy; ' +
        'set speculation.k.min to 1 or more, or use accounting Full (which counts the wait for the verifier too)',
    });

  // Drafts: resolvable, same tokenizer family as the target, de-duplicated.
  const drafts: { model: ResolvedModel; quantizations: Quantization[] }[] = [];
  spec.drafts.forEach((candidate, index) => {
    const field = `spec.drafts[${index}].model`;
    const result = resolveModel(candidate.model, catalog, field);
    if ('issue' in result) {
      issues.push({ ...result.issue, severity: 'Warning', message: `${result.issue.message}; draft skipped` });
      return;
    }
    const model = result.model;
    if (model.family && target.family && model.family !== target.family) {
      issues.push({
        severity: 'Warning',
        code: 'FamilyMismatch',
        field,
        message: `draft "${model.name}" is family ${model.family} but the target is ${target.family}; draft skipped (tokenizers differ)`,
      });
      return;
    }
    const existing = drafts.find((d) => d.model.name === model.name);
    const quantizations = [...new Set(candidate.quantizations)];
    if (existing) {
      for (const q of quantizations) if (!existing.quantizations.includes(q)) existing.quantizations.push(q);
    } else drafts.push({ model, quantizations });
  });

  const promptSet = promptSetOf(spec.profiling);
  const context: PlanContext = {
    spec,
    target,
    verifier,
    drafts,
    profiles: indexProfiles(
      request.draftProfiles ?? [],
      request.alignmentProfiles ?? [],
      target.name,
      promptSet,
      nowMs,
      spec.profiling,
    ),
    verificationPrior: verificationPriorFor(target, verifier, spec.target.verifier.gpusPerReplica),
  };
  const settings: ModelSettings = {
    accounting: spec.accounting,
    paperVerifySeconds: request.paperVerifySeconds ?? PAPER_VERIFY_SECONDS.value,
  };

  // Alignment profiles are per (draft, quantisation, target): report each missing one once.
  for (const draft of drafts)
    for (const quantization of draft.quantizations) {
      const state = context.profiles.alignment(draft.model.name, quantization).state;
      if (state !== 'Fresh')
        plan.missingAlignmentProfiles.push({
          draft: draft.model.name,
          quantization,
          target: target.name,
          promptSet,
          state,
        });
    }

  for (const name of edgeClassNames(request, issues)) {
    const classPlan = planClass(name, request, context, settings, catalog, nowMs, plan);
    plan.classes.push(classPlan);
  }
  return plan;
}

function warnIfTargetDoesNotFit(
  target: ResolvedModel,
  verifier: ResolvedDeviceClass,
  gpus: number,
  issues: PlanIssue[],
): void {
  const bytes = target.bytes.F16;
  const available = verifier.memoryBytes * Math.max(1, gpus);
  if (bytes > available)
    issues.push({
      severity: 'Warning',
      code: 'TargetDoesNotFit',
      field: 'spec.target.verifier.gpusPerReplica',
      message: `target ${target.name} at F16 needs ${(bytes / 1e9).toFixed(1)} GB but ${Math.max(1, gpus)} × ${verifier.name} hold ${(available / 1e9).toFixed(1)} GB; raise gpusPerReplica or serve a quantised target`,
    });
}

/** The restriction in spec.edge.deviceClasses when given, else every Edge DeviceClass object, in name order. */
function edgeClassNames(request: PlanRequest, issues: PlanIssue[]): string[] {
  const restriction = request.deployment.spec.edge.deviceClasses ?? [];
  if (restriction.length > 0) return [...new Set(restriction)];
  const names = request.deviceClasses
    .filter((dc) => dc.spec.role === 'Edge')
    .map((dc) => dc.metadata.name)
    .sort();
  if (names.length === 0)
    issues.push({
      severity: 'Error',
      code: 'NoEdgeDeviceClasses',
      field: 'spec.edge.deviceClasses',
      message: 'no Edge DeviceClass exists and spec.edge.deviceClasses names none: nothing to plan',
    });
  return [...new Set(names)];
}

function planClass(
  name: string,
  request: PlanRequest,
  context: PlanContext,
  settings: ModelSettings,
  catalog: Catalog,
  nowMs: number,
  plan: DeploymentPlan,
): ClassPlan {
  const spec = context.spec;
  const edge = resolveDeviceClass(name, request.deviceClasses, catalog);
  if (!edge)
    return errorClass(
      name,
      'UnknownDeviceClass',
      `device class "${name}" is neither a DeviceClass object nor in the catalog`,
      'spec.edge.deviceClasses',
    );
  if (edge.role !== 'Edge')
    return errorClass(
      name,
      'WrongRole',
      `device class "${name}" has role ${edge.role}, not Edge`,
      'spec.edge.deviceClasses',
    );
  if (context.drafts.length === 0)
    return errorClass(
      name,
      'NoCandidates',
      'no usable draft model: every entry of spec.drafts was skipped',
      'spec.drafts',
    );

  const candidates: CandidateInputs[] = [];
  for (const draft of context.drafts)
    for (const quantization of draft.quantizations) {
      const resolved = buildCandidate(context, edge, draft.model, quantization, catalog);
      candidates.push(resolved.inputs);
      if (resolved.draftProfile !== 'Fresh')
        plan.missingDraftProfiles.push({
          deviceClass: name,
          draft: draft.model.name,
          quantization,
          state: resolved.draftProfile,
        });
    }

  // Closed loop: verifier load, then serving observations, correct the profiles' inputs.
  const current = request.current?.[name];
  const loop = applyClosedLoop({
    deviceClass: name,
    context,
    candidates,
    observations: request.observations?.[name],
    verifierLoad: request.verifierLoad,
    current: current?.selected,
    previous: request.deployment.status?.deviceClasses?.find((c) => c.name === name),
    settings,
    ...(request.closedLoop ? { loop: request.closedLoop } : {}),
    nowMs,
    cooldownSeconds: spec.policy.cooldownSeconds,
  });

  const constraints = spec.objective.constraints ?? {};
  const objective = spec.objective.maximize;
  const kMin = spec.speculation.k.min;
  const kMax = spec.speculation.k.max;
  const grid = evaluateGrid(loop.candidates, kMin, kMax, settings, constraints);
  plan.configurationsEvaluated += grid.rows;
  (plan.grids as Map<string, EvaluatedGrid>).set(name, grid);

  const base: ClassPlan = {
    name,
    outcome: 'Selected',
    reason: '',
    message: '',
    changed: false,
    frontier: paretoFront(grid, objective).map((row) => frontierEntry(grid, row)),
    grid: {
      drafts: context.drafts.map((d) => d.model.name),
      quantizations: [...new Set(context.drafts.flatMap((d) => d.quantizations))],
      kMin,
      kMax,
      configurations: grid.rows,
    },
    inputs: loop.candidates,
    issues: [],
    ...(loop.observed ? { observed: loop.observed } : {}),
    ...(loop.mismatch ? { mismatch: loop.mismatch } : {}),
  };

  const selection = selectBest(grid, objective);
  const best = selection.best >= 0 ? scoredRow(grid, selection.best, request) : undefined;
  const runnerUp = selection.runnerUp >= 0 ? scoredRow(grid, selection.runnerUp, request) : undefined;
  if (best) base.best = best;
  if (runnerUp) base.runnerUp = runnerUp;

  if (spec.policy.mode === 'Pinned') return planPinned(base, grid, request, settings, current, nowMs);

  if (!best) {
    const report = explainInfeasibility(grid, constraints);
    return {
      ...base,
      outcome: 'Infeasible',
      reason: 'Infeasible',
      message: `no configuration is feasible: ${report.reasons.map((r) => r.message).join('; ')}`,
      infeasibility: report,
    };
  }

  // Hysteresis against the current selection.
  let currentArgument: Parameters<typeof decideSwitch>[2];
  let currentRow = -1;
  if (current) {
    const index = loop.candidates.findIndex(
      (c) => c.draft === current.selected.draft && c.quantization === current.selected.quantization,
    );
    currentRow = rowOf(grid, index, current.selected.k);
    const valid = currentRow >= 0 && grid.violations[currentRow] === 0;
    currentArgument = {
      figures: valid ? rowEstimate(grid, currentRow) : best.figures,
      sameAsBest: currentRow === selection.best,
      valid,
    };
  }
  const lastChangeMs = parseTimestamp(current?.lastChangeTime);
  const secondsSinceChange = lastChangeMs === undefined ? Infinity : (nowMs - lastChangeMs) / 1000;
  let decision = decideSwitch(objective, best.figures, currentArgument, secondsSinceChange, spec.policy);
  // A model that cannot explain what serving shows is no ground for a switch: hold, and say so (ModelMismatch).
  const heldForMismatch = Boolean(
    loop.mismatch?.raised && decision.switchToBest && currentArgument?.valid && currentRow >= 0,
  );
  if (heldForMismatch) decision = { ...decision, switchToBest: false };
  const keep = !decision.switchToBest && currentRow >= 0;
  const chosenRow = keep ? currentRow : selection.best;
  const chosen = scoredRow(grid, chosenRow, request);
  const selected: Configuration = { draft: chosen.draft, quantization: chosen.quantization, k: chosen.k };
  const changed = !current || !sameConfiguration(current.selected, selected);
  const lastChangeTime = changed ? formatTimestamp(nowMs) : (current?.lastChangeTime ?? formatTimestamp(nowMs));

  let { reason, message } = explainSelection(
    objective,
    decision,
    chosen,
    best,
    runnerUp,
    selection.noSpeculativeGain,
    spec.policy,
    secondsSinceChange,
  );
  // A switch the closed loop caused says what serving showed against what the profiles predicted.
  if (decision.reason === 'Improved' && !keep && loop.observed)
    message = `${message}; ${describeObserved(loop.observed)}`;
  if (heldForMismatch && loop.mismatch?.residual) {
    const r = loop.mismatch.residual;
    reason = 'HeldModelMismatch';
    message = `keeping ${describe(chosen)}: the corrected model cannot explain serving (${r.figure} observed ${fmt(r.observed, 4)}, predicted ${fmt(r.predicted, 4)}, ${fmt(r.gapPercent, 1)}%, for longer than the cooldown of ${spec.policy.cooldownSeconds} s), so it does not switch to ${describe(best)} (${fmt(decision.improvementPercent, 1)}% better by the model)`;
  }
  const load = verifierLoadReport({
    loop,
    index: Math.floor(chosenRow / grid.kCount),
    k: chosen.k,
    verifierLoad: request.verifierLoad,
    replicas: spec.target.verifier.replicas,
    objective,
    minImprovementPercent: spec.policy.minImprovementPercent,
    settings,
  });
  if (load?.verifierBound) message = `${message}; ${describeVerifierLoad(load, spec.policy.minImprovementPercent)}`;
  return {
    ...base,
    selected,
    predicted: chosen.figures,
    basis: rowCandidate(grid, chosenRow).basis,
    reason,
    message,
    ...(load ? { verifierLoad: load } : {}),
    changed,
    lastChangeTime,
    hysteresis: decision,
  };
}

/** What serving observed of a configuration against its profiles' prediction (for the message of a switch). */
function describeObserved(o: NonNullable<ClassPlan['observed']>): string {
  const c = o.configuration;
  return `serving ${c.draft} ${c.quantization} K=${c.k} observed acceptance ${fmt(o.figures.acceptanceRate, 3)} and ${fmt(o.figures.goodputTokensPerSecond, 2)} tok/s over ${fmt(o.rounds, 0)} rounds, where its profiles predicted ${fmt(o.predicted.acceptanceRate, 3)} and ${fmt(o.predicted.goodputTokensPerSecond, 2)} tok/s`;
}

function explainSelection(
  objective: Objective,
  decision: SwitchDecision,
  chosen: ScoredConfiguration,
  best: ScoredConfiguration,
  runnerUp: ScoredConfiguration | undefined,
  noSpeculativeGain: boolean,
  policy: { minImprovementPercent: number; cooldownSeconds: number },
  secondsSinceChange: number,
): { reason: string; message: string } {
  const gain = fmt(decision.improvementPercent, 1);
  switch (decision.reason) {
    case 'BelowThreshold':
      return {
        reason: 'KeptBelowThreshold',
        message: `keeping ${describe(chosen)} (${figuresText(chosen.figures)}): the best, ${describe(best)}, is only ${gain}% better on ${objectiveWord[objective]} (threshold ${policy.minImprovementPercent}%)`,
      };
    case 'InCooldown':
      return {
        reason: 'KeptInCooldown',
        message: `keeping ${describe(chosen)}: ${describe(best)} is ${gain}% better on ${objectiveWord[objective]} but the last change was ${fmt(secondsSinceChange, 0)} s ago (cooldown ${policy.cooldownSeconds} s)`,
      };
    default:
      break;
  }
  const runner = runnerUp ? `; runner-up ${describe(runnerUp)}: ${figuresText(runnerUp.figures)}` : '';
  if (noSpeculativeGain) {
    return {
      reason: 'NoSpeculativeGain',
      message: `plain remote decoding (K = 0) beats every speculative configuration on ${objectiveWord[objective]}: ${figuresText(chosen.figures)}${runnerUp ? `; best speculative ${describe(runnerUp)}: ${figuresText(runnerUp.figures)}` : ''}`,
    };
  }
  const verb =
    decision.reason === 'Improved' ? 'Switched' : decision.reason === 'CurrentInvalid' ? 'Replaced' : 'Optimal';
  const lead =
    decision.reason === 'Improved'
      ? `switching to ${describe(chosen)}, ${gain}% better on ${objectiveWord[objective]}`
      : decision.reason === 'CurrentInvalid'
        ? `the current configuration is no longer valid; selecting ${describe(chosen)}`
        : `${describe(chosen)} maximises ${objectiveWord[objective]}`;
  return { reason: verb, message: `${lead}: ${figuresText(chosen.figures)}${runner}` };
}

function planPinned(
  base: ClassPlan,
  grid: EvaluatedGrid,
  request: PlanRequest,
  settings: ModelSettings,
  current: CurrentSelection | undefined,
  nowMs: number,
): ClassPlan {
  const spec = request.deployment.spec;
  const pin = spec.policy.pinned;
  if (!pin)
    return {
      ...errorClass(
        base.name,
        'PinMissing',
        'policy.mode is Pinned but policy.pinned is not set',
        'spec.policy.pinned',
      ),
      frontier: base.frontier,
      grid: base.grid,
      inputs: base.inputs,
    };
  const index = grid.candidates.findIndex((c) => c.draft === pin.draft && c.quantization === pin.quantization);
  if (index < 0)
    return {
      ...errorClass(
        base.name,
        'PinnedNotCandidate',
        `the pinned ${pin.draft} ${pin.quantization} is not among the usable drafts and quantisations`,
        'spec.policy.pinned',
      ),
      frontier: base.frontier,
      grid: base.grid,
      inputs: base.inputs,
    };
  const inputs = grid.candidates[index]!;
  const figures = estimate(inputs, pin.k, settings);
  const reasons = checkFeasibility(inputs, figures, spec.speculation.k, spec.objective.constraints ?? {});
  const scored: ScoredConfiguration = { ...pin, figures: toFigures(figures), feasible: reasons.length === 0, reasons };
  const objective = spec.objective.maximize;
  const ahead = base.best ? improvementPercent(objective, base.best.figures, scored.figures) : 0;
  const changed = !current || !sameConfiguration(current.selected, pin);
  const bestText = base.best
    ? sameConfiguration(base.best, pin)
      ? '; it is also the best configuration'
      : `; the best, ${describe(base.best)}, would give ${figuresText(base.best.figures)} (${fmt(ahead, 1)}% better on ${objectiveWord[objective]})`
    : '; no configuration is feasible';
  return {
    ...base,
    selected: { draft: pin.draft, quantization: pin.quantization, k: pin.k },
    predicted: scored.figures,
    basis: inputs.basis,
    reason: scored.feasible ? 'Pinned' : 'PinnedInfeasible',
    message: `pinned ${describe(pin)}: ${figuresText(scored.figures)}${scored.feasible ? '' : ` — infeasible: ${reasons.map((r) => r.message).join('; ')}`}${bestText}`,
    changed,
    lastChangeTime: changed ? formatTimestamp(nowMs) : (current?.lastChangeTime ?? formatTimestamp(nowMs)),
    pinned: { ...scored, bestAheadPercent: ahead },
  };
}

function frontierEntry(grid: EvaluatedGrid, row: number): FrontierEntry {
  const inputs = rowCandidate(grid, row);
  return {
    draft: inputs.draft,
    quantization: inputs.quantization,
    k: rowK(grid, row),
    goodputTokensPerSecond: grid.goodput[row]!,
    usdPerMillionTokens: grid.usdPerMillionTokens[row]!,
    joulesPerToken: grid.joulesPerToken[row]!,
  };
}

export function sameConfiguration(a: Configuration, b: Configuration): boolean {
  return a.draft === b.draft && a.quantization === b.quantization && a.k === b.k;
}

/** status.deviceClasses[] entry for a class plan; node counts and observed figures come from the operator. */
export function toDeviceClassStatus(
  plan: ClassPlan,
  nodes: { nodes: number; readyNodes: number },
  observed?: DeviceClassStatus['observed'],
): DeviceClassStatus {
  return {
    name: plan.name,
    nodes: nodes.nodes,
    readyNodes: nodes.readyNodes,
    ...(plan.selected ? { selected: plan.selected } : {}),
    ...(plan.predicted ? { predicted: plan.predicted } : {}),
    ...(plan.basis ? { basis: plan.basis } : {}),
    ...(plan.frontier.length > 0 ? { frontier: plan.frontier } : {}),
    ...((observed ?? plan.observed) ? { observed: observed ?? plan.observed } : {}),
    ...(plan.lastChangeTime ? { lastChangeTime: plan.lastChangeTime } : {}),
    reason: plan.reason,
    message: plan.message,
  };
}

/** Goodput, cost and energy against K for each (draft, quantisation) of a class: the CLI's --svg input. */
export function curvesOf(grid: EvaluatedGrid): {
  draft: string;
  quantization: Quantization;
  points: {
    k: number;
    goodputTokensPerSecond: number;
    usdPerMillionTokens: number;
    joulesPerToken: number;
    feasible: boolean;
  }[];
}[] {
  return grid.candidates.map((inputs, index) => {
    const points = [];
    for (let k = grid.kMin; k <= grid.kMax; k++) {
      const row = rowOf(grid, index, k);
      points.push({
        k,
        goodputTokensPerSecond: grid.goodput[row]!,
        usdPerMillionTokens: grid.usdPerMillionTokens[row]!,
        joulesPerToken: grid.joulesPerToken[row]!,
        feasible: grid.violations[row] === 0,
      });
    }
    return { draft: inputs.draft, quantization: inputs.quantization, points };
  });
}
