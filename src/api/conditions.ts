// Status conditions with apimachinery semantics (k8s.io/apimachinery/pkg/api/meta SetStatusCondition): a
// condition's lastTransitionTime moves only when its status flips; reason, message and observedGeneration are
// refreshed on every set. Pure functions on immutable lists, so a reconcile that observes nothing new produces
// an identical status and writes nothing.
import type { Condition } from './types.js';

/** The SpecDecodeDeployment condition types (API conventions: adjectives or past tense, summary first). */
export const ConditionType = {
  /** Summary: the deployment serves with the configuration its policy wants. */
  Ready: 'Ready',
  /** The verifier has at least its minimum of ready replicas. */
  VerifierAvailable: 'VerifierAvailable',
  /** Every profile the policy needs is present and fresh (or profiling is off). */
  Profiled: 'Profiled',
  /** Every device class has a configuration selected (applied, pinned or recommended). */
  ConfigurationSelected: 'ConfigurationSelected',
  /** Drafters run the selected configuration on every node of every class. */
  DraftsAvailable: 'DraftsAvailable',
  /** True when on some device class no configuration meets spec.objective.constraints. */
  Infeasible: 'Infeasible',
  /**
   * Closed loop: True when on some device class the corrected model still cannot explain what serving shows
   * (for longer than the cooldown); the selection is held there instead of switching on a wrong model. Present
   * once serving has been observed.
   */
  ModelMismatch: 'ModelMismatch',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** One-word CamelCase reasons, one per distinct cause, so alerts and `kubectl wait` can key on them. */
export const ConditionReason = {
  // Ready
  Ready: 'Ready',
  // VerifierAvailable
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  VerifierUnavailable: 'VerifierUnavailable',
  VerifierDeviceClassNotFound: 'VerifierDeviceClassNotFound',
  // Profiled
  ProfilesMeasured: 'ProfilesMeasured',
  Profiling: 'Profiling',
  ProfilingFailed: 'ProfilingFailed',
  ProfilingDisabled: 'ProfilingDisabled',
  // ConfigurationSelected
  Selected: 'Selected',
  Recommended: 'Recommended',
  Pinned: 'Pinned',
  NoEdgeNodes: 'NoEdgeNodes',
  PlanningFailed: 'PlanningFailed',
  // ConfigurationSelected False / Infeasible
  Infeasible: 'Infeasible',
  ConstraintsMet: 'ConstraintsMet',
  ConstraintsUnmet: 'ConstraintsUnmet',
  // DraftsAvailable
  AllDraftersReady: 'AllDraftersReady',
  DraftersNotReady: 'DraftersNotReady',
  NoDrafters: 'NoDrafters',
  RecommendOnly: 'RecommendOnly',
  // ModelMismatch
  ModelMismatch: 'ModelMismatch',
  ModelExplainsServing: 'ModelExplainsServing',
  // Any condition, before the controller has looked.
  Reconciling: 'Reconciling',
} as const;
export type ConditionReasonName = (typeof ConditionReason)[keyof typeof ConditionReason];

export interface ConditionUpdate {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

// metav1.Condition's validation, as the CRDs' condition schema states it.
const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const TYPE_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
export const MAX_CONDITION_MESSAGE_LENGTH = 32768;

export function isValidConditionReason(reason: string): boolean {
  return reason.length <= 1024 && REASON_PATTERN.test(reason);
}

export function isValidConditionType(type: string): boolean {
  return type.length <= 316 && TYPE_PATTERN.test(type);
}

function timestamp(now: Date | string): string {
  // RFC 3339 at second precision, as metav1.Time serialises.
  const date = typeof now === 'string' ? new Date(now) : now;
  if (Number.isNaN(date.getTime())) throw new Error(`invalid time ${String(now)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A new list with `update` applied: an existing condition of that type keeps its position and, when its status
 * is unchanged, its lastTransitionTime; a new type is appended. observedGeneration is the metadata.generation
 * the caller acted on (omitted when undefined).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  observedGeneration: number | undefined,
  now: Date | string,
): Condition[] {
  if (!isValidConditionType(update.type)) throw new Error(`invalid condition type ${JSON.stringify(update.type)}`);
  if (!isValidConditionReason(update.reason))
    throw new Error(`invalid condition reason ${JSON.stringify(update.reason)}`);
  const list = conditions ?? [];
  const index = list.findIndex((condition) => condition.type === update.type);
  const previous = index < 0 ? undefined : list[index];
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
    lastTransitionTime:
      previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : timestamp(now),
    reason: update.reason,
    message: update.message.slice(0, MAX_CONDITION_MESSAGE_LENGTH),
  };
  return index < 0 ? [...list, next] : list.map((condition, at) => (at === index ? next : condition));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** Absent counts as Unknown (API conventions), so only an explicit True is true. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}

/** Same conditions, field for field, regardless of order: the status write can be skipped. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((condition) => {
    const other = findCondition(right, condition.type);
    return (
      other !== undefined &&
      other.status === condition.status &&
      other.reason === condition.reason &&
      other.message === condition.message &&
      other.lastTransitionTime === condition.lastTransitionTime &&
      other.observedGeneration === condition.observedGeneration
    );
  });
}
