// The cross-field rules of the CRDs (their x-kubernetes-validations CEL expressions), re-implemented so that
// files can be checked without a cluster. One entry per CEL rule, matched to it by schema location, message and
// fieldPath; test/unit/api/rules-agreement.test.ts fails if the two lists differ, and
// test/unit/api/cel-agreement.test.ts runs the CEL expressions themselves to check both decide alike.
import type { ConfigSpecKind } from './crds.js';

/** What a rule sees: the JSON value at its schema location, unvalidated (fields may be missing or mistyped). */
type Json = unknown;

export interface CrossFieldRule {
  kind: ConfigSpecKind;
  /** Schema location of the CEL rule: dotted path, `[*]` for list items (spec.runtime.tolerations[*]). */
  at: string;
  /** The CEL rule's message, verbatim. */
  message: string;
  /** The CEL rule's fieldPath, relative to `at` (e.g. .min); errors are reported there. */
  fieldPath?: string;
  /** Transition rules (they use oldSelf) hold between the previous and the new object; checked on updates only. */
  transition?: boolean;
  /** undefined when the rule holds; otherwise the detail shown after the message ("" for none). */
  check(self: Json, old?: Json): string | undefined;
}

function field(value: Json, ...keys: string[]): Json {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const has = (value: Json, ...keys: string[]): boolean => field(value, ...keys) !== undefined;
const list = (value: Json): Json[] => (Array.isArray(value) ? value : []);
const number = (value: Json): number | undefined => (typeof value === 'number' ? value : undefined);
const quote = (value: Json): string => JSON.stringify(value) ?? String(value);

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

// --- SpecDecodeDeployment -------------------------------------------------------------------------------------

/** self: spec. No draft may be the target itself (speculating with the target gains nothing). */
function draftsExcludeTarget(spec: Json): string | undefined {
  const target = field(spec, 'target', 'model', 'name');
  const clash = list(field(spec, 'drafts')).findIndex((draft) => field(draft, 'model', 'name') === target);
  return clash < 0 ? undefined : `got ${quote(target)} at spec.drafts[${clash}]`;
}

/** self: spec. Verification compares token ids, so drafts must share the target's tokenizer family. */
function draftFamiliesMatchTarget(spec: Json): string | undefined {
  const family = field(spec, 'target', 'model', 'family');
  if (family === undefined) return undefined;
  const drafts = list(field(spec, 'drafts'));
  const index = drafts.findIndex(
    (draft) => has(draft, 'model', 'family') && field(draft, 'model', 'family') !== family,
  );
  if (index < 0) return undefined;
  return `spec.drafts[${index}] has ${quote(field(drafts[index], 'model', 'family'))}, the target ${quote(family)}`;
}

/** self: spec. The verifier's class runs the target; listing it as an edge class is a mistake. */
function edgeClassesExcludeVerifierClass(spec: Json): string | undefined {
  const classes = field(spec, 'edge', 'deviceClasses');
  if (classes === undefined) return undefined;
  const verifierClass = field(spec, 'target', 'verifier', 'deviceClass');
  return list(classes).includes(verifierClass) ? `got ${quote(verifierClass)}` : undefined;
}

/** The candidates named like the pinned draft (more than one only when names repeat, itself an error). */
function pinnedDrafts(spec: Json): Json[] {
  const name = field(spec, 'policy', 'pinned', 'draft');
  return list(field(spec, 'drafts')).filter((draft) => field(draft, 'model', 'name') === name);
}

/** self: spec. The pinned draft is one of the candidates. */
function pinnedDraftIsCandidate(spec: Json): string | undefined {
  if (!has(spec, 'policy', 'pinned')) return undefined;
  if (pinnedDrafts(spec).length > 0) return undefined;
  const names = list(field(spec, 'drafts')).map((draft) => field(draft, 'model', 'name'));
  return `got ${quote(field(spec, 'policy', 'pinned', 'draft'))}; candidates: ${names.map(quote).join(', ')}`;
}

/** self: spec. The pinned quantisation is one the pinned draft lists (checked only once the draft is found). */
function pinnedQuantizationIsCandidate(spec: Json): string | undefined {
  if (!has(spec, 'policy', 'pinned')) return undefined;
  const drafts = pinnedDrafts(spec);
  if (drafts.length === 0) return undefined;
  const quantization = field(spec, 'policy', 'pinned', 'quantization');
  const offered = [...new Set(drafts.flatMap((draft) => list(field(draft, 'quantizations'))))];
  return offered.includes(quantization) ? undefined : `got ${quote(quantization)}; offered: ${offered.join(', ')}`;
}

/** self: spec. The pinned K lies within the speculation range. */
function pinnedKWithinRange(spec: Json): string | undefined {
  if (!has(spec, 'policy', 'pinned')) return undefined;
  const k = number(field(spec, 'policy', 'pinned', 'k'));
  const min = number(field(spec, 'speculation', 'k', 'min'));
  const max = number(field(spec, 'speculation', 'k', 'max'));
  if (k === undefined || min === undefined || max === undefined) return undefined;
  return k >= min && k <= max ? undefined : `got ${k}, range [${min}, ${max}]`;
}

/** self: a ModelRef. A model fetched from its own source is not in the catalog, so its facts must be given. */
function sourcedModelIsDescribed(model: Json): string | undefined {
  if (!has(model, 'source')) return undefined;
  const missing = ['family', 'parametersBillions'].filter((key) => !has(model, key));
  return missing.length === 0 ? undefined : `missing ${missing.join(' and ')}`;
}

/** self: one of spec.drafts. A file per quantisation is only meaningful for a quantisation the draft offers. */
function draftSourcesAmongQuantizations(draft: Json): string | undefined {
  if (!has(draft, 'sources')) return undefined;
  const offered = list(field(draft, 'quantizations'));
  const stray = list(field(draft, 'sources')).find((source) => !offered.includes(field(source, 'quantization')));
  return stray === undefined ? undefined : `got ${quote(field(stray, 'quantization'))}`;
}

/** self: spec.drafts. Each draft model appears once. */
function draftNamesUnique(drafts: Json): string | undefined {
  const names = list(drafts).map((draft) => field(draft, 'model', 'name'));
  const repeated = names.findIndex((name, index) => names.indexOf(name) !== index);
  return repeated < 0 ? undefined : `${quote(names[repeated])} appears more than once`;
}

/** self: spec.speculation.k. */
function kRangeOrdered(range: Json): string | undefined {
  const min = number(field(range, 'min'));
  const max = number(field(range, 'max'));
  if (min === undefined || max === undefined) return undefined;
  return min <= max ? undefined : `got ${min} > ${max}`;
}

/** self: spec.policy. */
function pinnedPresentWhenPinned(policy: Json): string | undefined {
  return field(policy, 'mode') === 'Pinned' && !has(policy, 'pinned') ? '' : undefined;
}

/** self: spec.policy. A pinned configuration with another mode would be silently ignored; say so instead. */
function pinnedAbsentUnlessPinned(policy: Json): string | undefined {
  return has(policy, 'pinned') && field(policy, 'mode') !== 'Pinned'
    ? `mode is ${quote(field(policy, 'mode'))}`
    : undefined;
}

// --- DeviceClass ------------------------------------------------------------------------------------------------

/** self: spec.power. */
function idleAtMostMax(power: Json): string | undefined {
  const idle = number(field(power, 'idleWatts'));
  const max = number(field(power, 'maxWatts'));
  if (idle === undefined || max === undefined) return undefined;
  return idle <= max ? undefined : `got ${idle} > ${max}`;
}

// Toleration rules, as the apiserver checks them on Pods (so a DeviceClass cannot produce unschedulable pods).
function emptyKeyNeedsExists(toleration: Json): string | undefined {
  return has(toleration, 'key') || field(toleration, 'operator') === 'Exists' ? undefined : '';
}

function existsHasNoValue(toleration: Json): string | undefined {
  return field(toleration, 'operator') === 'Exists' && has(toleration, 'value')
    ? `got ${quote(field(toleration, 'value'))}`
    : undefined;
}

function tolerationSecondsNeedNoExecute(toleration: Json): string | undefined {
  if (!has(toleration, 'tolerationSeconds') || field(toleration, 'effect') === 'NoExecute') return undefined;
  return `effect is ${quote(field(toleration, 'effect') ?? '')}`;
}

// --- Profiles -----------------------------------------------------------------------------------------------------

/** self: spec, oldSelf: the previous spec. A profile measures one combination; changing it would mislabel data. */
function unchanged(spec: Json, old?: Json): string | undefined {
  return old === undefined || deepEqual(spec, old) ? undefined : '';
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: 'must not contain the target model spec.target.model.name',
    fieldPath: '.drafts',
    check: draftsExcludeTarget,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: "every draft's model.family must equal spec.target.model.family (drafts share the target's tokenizer)",
    fieldPath: '.drafts',
    check: draftFamiliesMatchTarget,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: "must not contain the verifier's device class spec.target.verifier.deviceClass",
    fieldPath: '.edge.deviceClasses',
    check: edgeClassesExcludeVerifierClass,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: 'must name one of spec.drafts[].model.name',
    fieldPath: '.policy.pinned.draft',
    check: pinnedDraftIsCandidate,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: "must be one of the pinned draft's quantizations in spec.drafts",
    fieldPath: '.policy.pinned.quantization',
    check: pinnedQuantizationIsCandidate,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec',
    message: 'must lie within spec.speculation.k [min, max]',
    fieldPath: '.policy.pinned.k',
    check: pinnedKWithinRange,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.target.model',
    message: 'a model with a source must also give family and parametersBillions',
    check: sourcedModelIsDescribed,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.drafts',
    message: 'draft model names must be unique',
    check: draftNamesUnique,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.drafts[*]',
    message: "every sources[].quantization must be one of this draft's quantizations",
    fieldPath: '.sources',
    check: draftSourcesAmongQuantizations,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.drafts[*].model',
    message: 'a model with a source must also give family and parametersBillions',
    check: sourcedModelIsDescribed,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.speculation.k',
    message: 'must be ≤ spec.speculation.k.max',
    fieldPath: '.min',
    check: kRangeOrdered,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.policy',
    message: 'is required when spec.policy.mode is Pinned',
    fieldPath: '.pinned',
    check: pinnedPresentWhenPinned,
  },
  {
    kind: 'SpecDecodeDeployment',
    at: 'spec.policy',
    message: 'must be unset unless spec.policy.mode is Pinned',
    fieldPath: '.pinned',
    check: pinnedAbsentUnlessPinned,
  },
  {
    kind: 'DeviceClass',
    at: 'spec.power',
    message: 'must be ≤ spec.power.maxWatts',
    fieldPath: '.idleWatts',
    check: idleAtMostMax,
  },
  {
    kind: 'DeviceClass',
    at: 'spec.runtime.tolerations[*]',
    message: 'an empty key requires operator Exists',
    fieldPath: '.operator',
    check: emptyKeyNeedsExists,
  },
  {
    kind: 'DeviceClass',
    at: 'spec.runtime.tolerations[*]',
    message: 'must be empty when operator is Exists',
    fieldPath: '.value',
    check: existsHasNoValue,
  },
  {
    kind: 'DeviceClass',
    at: 'spec.runtime.tolerations[*]',
    message: 'is only allowed with effect NoExecute',
    fieldPath: '.tolerationSeconds',
    check: tolerationSecondsNeedNoExecute,
  },
  {
    kind: 'DraftProfile',
    at: 'spec',
    message: 'is immutable; create a new profile for another combination',
    transition: true,
    check: unchanged,
  },
  {
    kind: 'AlignmentProfile',
    at: 'spec',
    message: 'is immutable; create a new profile for another pairing',
    transition: true,
    check: unchanged,
  },
];
