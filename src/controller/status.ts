// The SpecDecodeDeployment status, computed from what one reconcile pass observed and decided. Pure, one setter
// per condition (Cluster API style). Conditions follow apimachinery: lastTransitionTime changes only when the
// status flips, every condition carries observedGeneration, reasons are CamelCase constants, and messages
// hold counts but no timestamps, so an unchanged world yields an identical status (and no write).
import {
  ConditionReason as Reason,
  ConditionType,
  setCondition,
  type ConditionTypeName,
  type ConditionUpdate,
} from '../api/conditions.js';
import type {
  DeviceClassStatus,
  PolicyMode,
  ProfilingMode,
  ProfilingStatus,
  SpecDecodeDeployment,
  SpecDecodeDeploymentStatus,
} from '../api/types.js';

/** The order conditions appear in status: the summary first. */
export const CONDITION_TYPES = [
  ConditionType.Ready,
  ConditionType.VerifierAvailable,
  ConditionType.Profiled,
  ConditionType.ConfigurationSelected,
  ConditionType.DraftsAvailable,
  ConditionType.Infeasible,
  ConditionType.ModelMismatch,
] as const;
export type { ConditionTypeName as ConditionType } from '../api/conditions.js';

export interface ConditionInput extends ConditionUpdate {
  type: ConditionTypeName;
}

const MAX_UNCLASSIFIED_NAMES = 20;

export interface ClassOutcomeView {
  name: string;
  outcome: 'Selected' | 'Infeasible' | 'Error';
  reason: string;
  message: string;
}

export interface ProfilingFailure {
  profile: string;
  reason: string;
  message: string;
}

/** Everything one pass observed and decided that the status reports. */
export interface StatusObservation {
  sdd: SpecDecodeDeployment;
  /** RFC 3339. */
  now: string;
  verifier: { deviceClassFound: boolean; endpoint: string; desiredReplicas: number; readyReplicas: number };
  /** One entry per edge device class with nodes; readyNodes counts nodes whose drafter is ready. */
  deviceClasses: DeviceClassStatus[];
  classOutcomes: ClassOutcomeView[];
  /** Errors that stop planning altogether (unknown target model, missing verifier class...). */
  planErrors: string[];
  /**
   * Problems that do not stop planning but explain an outcome or need the user's attention (a draft skipped for
   * another tokenizer family, a target too large for its verifier GPUs, a named DeviceClass that does not
   * exist); appended to the ConfigurationSelected message so status says what to fix.
   */
  planWarnings?: string[];
  unclassifiedNodes: string[];
  profiling: ProfilingStatus & { mode: ProfilingMode; failures: ProfilingFailure[]; pending: number };
  mode: PolicyMode;
  /**
   * Closed loop: per device class whose residual gap has lasted longer than the cooldown, a sentence naming the
   * figure and both values. The ModelMismatch condition appears once some class has observations (or had it).
   */
  modelMismatches?: { name: string; message: string }[];
}

export function computeStatus(observed: StatusObservation): SpecDecodeDeploymentStatus {
  const { sdd, now } = observed;
  const generation = sdd.metadata.generation;
  const verifier = verifierCondition(observed);
  const profiled = profiledCondition(observed);
  const selected = selectedCondition(observed);
  const infeasible = infeasibleCondition(observed);
  const drafts = draftsCondition(observed);
  const ready = readyCondition(observed.mode, [verifier, selected, drafts], infeasible);
  // Ours in a fixed order, summary first; conditions of other types (another writer's) follow unchanged.
  const previous = sdd.status?.conditions ?? [];
  const mismatch = modelMismatchCondition(observed, previous);
  const conditions = [
    ...[ready, verifier, profiled, selected, drafts, infeasible, ...(mismatch ? [mismatch] : [])].map((input) =>
      setCondition(previous, input, generation, now).find((c) => c.type === input.type)!,
    ),
    ...previous.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type)),
  ];

  const { mode: _mode, failures: _failures, pending: _pending, ...profiling } = observed.profiling;
  return {
    observedGeneration: generation,
    conditions,
    deviceClasses: observed.deviceClasses,
    ...(observed.unclassifiedNodes.length > 0
      ? {
          unclassifiedNodes: {
            count: observed.unclassifiedNodes.length,
            names: observed.unclassifiedNodes.slice(0, MAX_UNCLASSIFIED_NAMES),
          },
        }
      : {}),
    verifier: {
      ...(observed.verifier.deviceClassFound ? { endpoint: observed.verifier.endpoint } : {}),
      readyReplicas: observed.verifier.readyReplicas,
    },
    profiling,
  };
}

function verifierCondition({ verifier, sdd }: StatusObservation): ConditionInput {
  const type = ConditionType.VerifierAvailable;
  if (!verifier.deviceClassFound) {
    return {
      type,
      status: 'False',
      reason: Reason.VerifierDeviceClassNotFound,
      message: `DeviceClass ${sdd.spec.target.verifier.deviceClass} does not exist`,
    };
  }
  const counts = `${verifier.readyReplicas} of ${verifier.desiredReplicas} verifier replicas ready`;
  return verifier.readyReplicas > 0
    ? { type, status: 'True', reason: Reason.MinimumReplicasAvailable, message: counts }
    : { type, status: 'False', reason: Reason.VerifierUnavailable, message: counts };
}

function profiledCondition({ profiling }: StatusObservation): ConditionInput {
  const type = ConditionType.Profiled;
  if (profiling.mode === 'Never') {
    return { type, status: 'True', reason: Reason.ProfilingDisabled, message: 'Profiling mode is Never: priors only' };
  }
  if (profiling.failures.length > 0) {
    const first = profiling.failures[0]!;
    const more = profiling.failures.length > 1 ? ` (and ${profiling.failures.length - 1} more)` : '';
    return {
      type,
      status: 'False',
      reason: Reason.ProfilingFailed,
      message: `Profiling ${first.profile} failed: ${first.reason}: ${first.message}${more}`,
    };
  }
  const progress = `${profiling.completed} of ${profiling.total} profiles measured`;
  if (profiling.completed >= profiling.total) {
    return { type, status: 'True', reason: Reason.ProfilesMeasured, message: progress };
  }
  return {
    type,
    status: 'False',
    reason: Reason.Profiling,
    message: `${progress}; ${profiling.running} running, ${profiling.pending} waiting`,
  };
}

const MAX_WARNINGS_CHARS = 2048;

function selectedCondition(observed: StatusObservation): ConditionInput {
  const condition = selectedConditionWithoutWarnings(observed);
  const warnings = [...new Set(observed.planWarnings ?? [])];
  if (warnings.length === 0) return condition;
  let text = warnings.join('; ');
  if (text.length > MAX_WARNINGS_CHARS) text = `${text.slice(0, MAX_WARNINGS_CHARS)}…`;
  return { ...condition, message: `${condition.message}. Warnings: ${text}` };
}

function selectedConditionWithoutWarnings(observed: StatusObservation): ConditionInput {
  const type = ConditionType.ConfigurationSelected;
  if (observed.planErrors.length > 0) {
    return { type, status: 'False', reason: Reason.PlanningFailed, message: observed.planErrors.join('; ') };
  }
  if (observed.classOutcomes.length === 0) {
    return {
      type,
      status: 'False',
      reason: Reason.NoEdgeNodes,
      message: 'No edge node matches spec.edge and a DeviceClass',
    };
  }
  const notSelected = observed.classOutcomes.filter((c) => c.outcome !== 'Selected');
  if (notSelected.length > 0) {
    return {
      type,
      status: 'False',
      reason: notSelected.some((c) => c.outcome === 'Error') ? Reason.PlanningFailed : Reason.Infeasible,
      message: notSelected.map((c) => `${c.name}: ${c.message}`).join('; '),
    };
  }
  const verb =
    observed.mode === 'Recommend' ? Reason.Recommended : observed.mode === 'Pinned' ? Reason.Pinned : Reason.Selected;
  return {
    type,
    status: 'True',
    reason: verb,
    message: `${verb} a configuration for ${observed.classOutcomes.length} device class(es)`,
  };
}

function infeasibleCondition(observed: StatusObservation): ConditionInput {
  const infeasible = observed.classOutcomes.filter((c) => c.outcome === 'Infeasible');
  if (infeasible.length === 0) {
    return {
      type: ConditionType.Infeasible,
      status: 'False',
      reason: Reason.ConstraintsMet,
      message: 'Every device class meets the constraints',
    };
  }
  return {
    type: ConditionType.Infeasible,
    status: 'True',
    reason: Reason.ConstraintsUnmet,
    message: infeasible.map((c) => `${c.name}: ${c.message}`).join('; '),
  };
}

/** Absent until the closed loop has observed serving (so deployments without observations keep their status). */
function modelMismatchCondition(
  observed: StatusObservation,
  previous: readonly { type: string }[],
): ConditionInput | undefined {
  const type = ConditionType.ModelMismatch;
  const active =
    observed.deviceClasses.some((c) => c.observed) || previous.some((c) => c.type === ConditionType.ModelMismatch);
  if (!active) return undefined;
  const mismatches = observed.modelMismatches ?? [];
  if (mismatches.length === 0)
    return {
      type,
      status: 'False',
      reason: Reason.ModelExplainsServing,
      message: 'The corrected model explains what serving shows on every observed device class',
    };
  return {
    type,
    status: 'True',
    reason: Reason.ModelMismatch,
    message: mismatches.map((m) => `${m.name}: ${m.message}`).join('; '),
  };
}

function draftsCondition(observed: StatusObservation): ConditionInput {
  const type = ConditionType.DraftsAvailable;
  if (observed.mode === 'Recommend') {
    return {
      type,
      status: 'Unknown',
      reason: Reason.RecommendOnly,
      message: 'Mode Recommend leaves drafter workloads untouched',
    };
  }
  const withSelection = observed.deviceClasses.filter((c) => c.selected);
  if (withSelection.length === 0) {
    return { type, status: 'False', reason: Reason.NoDrafters, message: 'No device class has a drafter yet' };
  }
  const lagging = withSelection.filter((c) => c.readyNodes < c.nodes);
  if (lagging.length === 0) {
    return {
      type,
      status: 'True',
      reason: Reason.AllDraftersReady,
      message: `Drafters ready on every node of ${withSelection.length} device class(es)`,
    };
  }
  return {
    type,
    status: 'False',
    reason: Reason.DraftersNotReady,
    message: lagging.map((c) => `${c.name}: ${c.readyNodes} of ${c.nodes} nodes ready`).join('; '),
  };
}

function readyCondition(mode: PolicyMode, required: ConditionInput[], infeasible: ConditionInput): ConditionInput {
  const failing = required.filter(
    (c) => c.status !== 'True' && !(mode === 'Recommend' && c.type === 'DraftsAvailable'),
  );
  if (infeasible.status === 'True') failing.push({ ...infeasible, status: 'False' });
  if (failing.length === 0) {
    return {
      type: ConditionType.Ready,
      status: 'True',
      reason: Reason.Ready,
      message: 'Verifier available and configuration applied',
    };
  }
  return {
    type: ConditionType.Ready,
    status: 'False',
    reason: failing[0]!.reason,
    message: failing.map((c) => `${c.type}: ${c.message}`).join('; '),
  };
}
