// The SpecDecodeDeployment status, computed from what one reconcile pass observed and decided. Pure, one setter
// per condition (Cluster API style). Conditions follow apimachinery: lastTransitionTime changes only when the
// status flips, every condition carries observedGeneration, reasons are CamelCase constants, and messages
// hold counts but no timestamps, so an unchanged world yields an identical status (and no write).
import type {
  Condition,
  DeviceClassStatus,
  PolicyMode,
  ProfilingMode,
  ProfilingStatus,
  SpecDecodeDeployment,
  SpecDecodeDeploymentStatus,
} from '../api/types.js';

export const CONDITION_TYPES = [
  'Ready',
  'VerifierAvailable',
  'Profiled',
  'ConfigurationSelected',
  'DraftsAvailable',
  'Infeasible',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface ConditionInput {
  type: ConditionType;
  status: Condition['status'];
  reason: string;
  message: string;
}

const MAX_UNCLASSIFIED_NAMES = 20;

/** Sets one condition with apimachinery semantics; returns a new list in CONDITION_TYPES order. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now: string,
): Condition[] {
  const previous = conditions?.find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : now,
    reason: input.reason,
    message: input.message,
  };
  const others = (conditions ?? []).filter((c) => c.type !== input.type);
  return [...others, next].sort((a, b) => order(a.type) - order(b.type) || a.type.localeCompare(b.type));
}

function order(type: string): number {
  const index = (CONDITION_TYPES as readonly string[]).indexOf(type);
  return index === -1 ? CONDITION_TYPES.length : index;
}

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
  unclassifiedNodes: string[];
  profiling: ProfilingStatus & { mode: ProfilingMode; failures: ProfilingFailure[]; pending: number };
  mode: PolicyMode;
}

export function computeStatus(observed: StatusObservation): SpecDecodeDeploymentStatus {
  const { sdd, now } = observed;
  const generation = sdd.metadata.generation;
  let conditions = sdd.status?.conditions;
  const set = (input: ConditionInput) => (conditions = setCondition(conditions, input, generation, now));

  const verifier = verifierCondition(observed);
  const profiled = profiledCondition(observed);
  const selected = selectedCondition(observed);
  const infeasible = infeasibleCondition(observed);
  const drafts = draftsCondition(observed);
  for (const condition of [verifier, profiled, selected, drafts, infeasible]) set(condition);
  set(readyCondition(observed.mode, [verifier, selected, drafts], infeasible));

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
  const type = 'VerifierAvailable';
  if (!verifier.deviceClassFound) {
    return {
      type,
      status: 'False',
      reason: 'VerifierDeviceClassNotFound',
      message: `DeviceClass ${sdd.spec.target.verifier.deviceClass} does not exist`,
    };
  }
  const counts = `${verifier.readyReplicas} of ${verifier.desiredReplicas} verifier replicas ready`;
  return verifier.readyReplicas > 0
    ? { type, status: 'True', reason: 'MinimumReplicasAvailable', message: counts }
    : { type, status: 'False', reason: 'VerifierUnavailable', message: counts };
}

function profiledCondition({ profiling }: StatusObservation): ConditionInput {
  const type = 'Profiled';
  if (profiling.mode === 'Never') {
    return { type, status: 'True', reason: 'ProfilingDisabled', message: 'Profiling mode is Never: priors only' };
  }
  if (profiling.failures.length > 0) {
    const first = profiling.failures[0]!;
    const more = profiling.failures.length > 1 ? ` (and ${profiling.failures.length - 1} more)` : '';
    return {
      type,
      status: 'False',
      reason: 'ProfilingFailed',
      message: `Profiling ${first.profile} failed: ${first.reason}: ${first.message}${more}`,
    };
  }
  const progress = `${profiling.completed} of ${profiling.total} profiles measured`;
  if (profiling.completed >= profiling.total) {
    return { type, status: 'True', reason: 'ProfilesMeasured', message: progress };
  }
  return {
    type,
    status: 'False',
    reason: 'Profiling',
    message: `${progress}; ${profiling.running} running, ${profiling.pending} waiting`,
  };
}

function selectedCondition(observed: StatusObservation): ConditionInput {
  const type = 'ConfigurationSelected';
  if (observed.planErrors.length > 0) {
    return { type, status: 'False', reason: 'PlanningFailed', message: observed.planErrors.join('; ') };
  }
  if (observed.classOutcomes.length === 0) {
    return {
      type,
      status: 'False',
      reason: 'NoEdgeNodes',
      message: 'No edge node matches spec.edge and a DeviceClass',
    };
  }
  const notSelected = observed.classOutcomes.filter((c) => c.outcome !== 'Selected');
  if (notSelected.length > 0) {
    return {
      type,
      status: 'False',
      reason: notSelected.some((c) => c.outcome === 'Error') ? 'PlanningFailed' : 'Infeasible',
      message: notSelected.map((c) => `${c.name}: ${c.message}`).join('; '),
    };
  }
  const verb = observed.mode === 'Recommend' ? 'Recommended' : observed.mode === 'Pinned' ? 'Pinned' : 'Selected';
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
      type: 'Infeasible',
      status: 'False',
      reason: 'ConstraintsMet',
      message: 'Every device class meets the constraints',
    };
  }
  return {
    type: 'Infeasible',
    status: 'True',
    reason: 'ConstraintsUnmet',
    message: infeasible.map((c) => `${c.name}: ${c.message}`).join('; '),
  };
}

function draftsCondition(observed: StatusObservation): ConditionInput {
  const type = 'DraftsAvailable';
  if (observed.mode === 'Recommend') {
    return {
      type,
      status: 'Unknown',
      reason: 'RecommendOnly',
      message: 'Mode Recommend leaves drafter workloads untouched',
    };
  }
  const withSelection = observed.deviceClasses.filter((c) => c.selected);
  if (withSelection.length === 0) {
    return { type, status: 'False', reason: 'NoDrafters', message: 'No device class has a drafter yet' };
  }
  const lagging = withSelection.filter((c) => c.readyNodes < c.nodes);
  if (lagging.length === 0) {
    return {
      type,
      status: 'True',
      reason: 'AllDraftersReady',
      message: `Drafters ready on every node of ${withSelection.length} device class(es)`,
    };
  }
  return {
    type,
    status: 'False',
    reason: 'DraftersNotReady',
    message: lagging.map((c) => `${c.name}: ${c.readyNodes} of ${c.nodes} nodes ready`).join('; '),
  };
}

function readyCondition(mode: PolicyMode, required: ConditionInput[], infeasible: ConditionInput): ConditionInput {
  const failing = required.filter(
    (c) => c.status !== 'True' && !(mode === 'Recommend' && c.type === 'DraftsAvailable'),
  );
  if (infeasible.status === 'True') failing.push({ ...infeasible, status: 'False' });
  if (failing.length === 0) {
    return { type: 'Ready', status: 'True', reason: 'Ready', message: 'Verifier available and configuration applied' };
  }
  return {
    type: 'Ready',
    status: 'False',
    reason: failing[0]!.reason,
    message: failing.map((c) => `${c.type}: ${c.message}`).join('; '),
  };
}
