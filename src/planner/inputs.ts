// Turning API objects into cost-model inputs: models and device classes resolved against the catalog, profiles
// matched and checked for freshness, each input tagged Measured or Prior. Pure: time comes in as `now`.
import type {
  AlignmentProfile,
  Basis,
  DeviceClass,
  DraftProfile,
  InputBasis,
  ModelRef,
  ProfilingSpec,
  Quantization,
  SecondsAtK,
  SpecDecodeDeploymentSpec,
} from '../api/types.js';
import {
  BITS_PER_WEIGHT,
  BUILTIN_PROMPT_SET,
  DRAFT_ROUND_OVERHEAD_SECONDS,
  EDGE_RUNTIME_OVERHEAD_BYTES,
  KV_BYTES_PER_TOKEN_PER_BILLION,
  PLANNING_CONTEXT_TOKENS,
  TARGET_PRECISION,
  findAcceptancePrior,
  findCatalogDeviceClass,
  findCatalogModel,
  type Catalog,
} from '../catalog/index.js';
import {
  kvCacheBytes,
  listPricePerToken,
  priorAcceptance,
  priorDraftSecondsPerToken,
  priorVerification,
  type CandidateInputs,
} from '../costmodel/index.js';

/** A problem with the request, reported in the plan instead of thrown. `field` is a path into the input. */
export interface PlanIssue {
  severity: 'Error' | 'Warning';
  code: string;
  message: string;
  field?: string;
}

// ---------------------------------------------------------------------------------------------- time

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 timestamp (as Kubernetes writes them), or undefined. */
export function parseTimestamp(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146097 + dayOfEra - 719468;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const seconds = days * 86400 + Number(h) * 3600 + Number(mi) * 60 + Number(s) - offsetMinutes * 60;
  return seconds * 1000 + (fraction ? Math.round(Number(fraction) * 1000) : 0);
}

/** RFC 3339 in UTC with second precision, the form metav1.Time uses. */
export function formatTimestamp(epochMs: number): string {
  const totalSeconds = Math.floor(epochMs / 1000);
  const days = Math.floor(totalSeconds / 86400);
  const secondsOfDay = totalSeconds - days * 86400;
  // civil_from_days (Howard Hinnant).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hours = Math.floor(secondsOfDay / 3600);
  const minutes = Math.floor((secondsOfDay % 3600) / 60);
  const seconds = secondsOfDay % 60;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:${pad(seconds)}Z`;
}

// ---------------------------------------------------------------------------------------------- models

export interface ResolvedModel {
  name: string;
  family: string | undefined;
  parametersBillions: number;
  /** GGUF bytes per quantisation (catalog figures, else computed from bits per weight). */
  bytes: Readonly<Record<Quantization, number>>;
  kvBytesPerToken: number;
  fromCatalog: boolean;
}

export function resolveModel(
  ref: ModelRef,
  catalog: Catalog,
  field: string,
): { model: ResolvedModel } | { issue: PlanIssue } {
  const entry = findCatalogModel(catalog, ref.name);
  if (entry) {
    return {
      model: {
        name: entry.name,
        family: ref.family ?? entry.family,
        parametersBillions: ref.parametersBillions ?? entry.parametersBillions,
        bytes: entry.ggufBytes,
        kvBytesPerToken: kvCacheBytes(entry.layers, entry.kvHeads, entry.headDim, 1),
        fromCatalog: true,
      },
    };
  }
  const billions = ref.parametersBillions;
  if (billions === undefined || !(billions > 0)) {
    return {
      issue: {
        severity: 'Error',
        code: 'UnknownModel',
        field,
        message: `model "${ref.name}" is not in the catalog; give parametersBillions (and family) to describe it`,
      },
    };
  }
  const bytes = {} as Record<Quantization, number>;
  for (const [quantization, bpw] of Object.entries(BITS_PER_WEIGHT) as [Quantization, number][])
    bytes[quantization] = Math.round((billions * 1e9 * bpw) / 8);
  return {
    model: {
      name: ref.name,
      family: ref.family,
      parametersBillions: billions,
      bytes,
      kvBytesPerToken: KV_BYTES_PER_TOKEN_PER_BILLION.value * billions,
      fromCatalog: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------- device classes

export interface ResolvedDeviceClass {
  name: string;
  role: 'Edge' | 'Verifier';
  memoryBytes: number;
  memoryBandwidthGBps: number;
  computeTFLOPS: number | undefined;
  idleWatts: number;
  maxWatts: number;
  usdPerHour: number | undefined;
  rttSeconds: number | undefined;
  decodeEfficiency: number;
  /** Where its facts came from: the cluster's DeviceClass object, or the built-in catalog. */
  origin: 'Object' | 'Catalog';
}

/** η when the class is not in the catalog: GPUs reach more of their bandwidth than CPUs at batch 1. */
const DEFAULT_EFFICIENCY_CPU = 0.45;
const DEFAULT_EFFICIENCY_ACCELERATOR = 0.6;

export function resolveDeviceClass(
  name: string,
  objects: readonly DeviceClass[],
  catalog: Catalog,
): ResolvedDeviceClass | undefined {
  const object = objects.find((each) => each.metadata.name === name);
  const entry = findCatalogDeviceClass(catalog, name);
  if (object) {
    const spec = object.spec;
    return {
      name,
      role: spec.role,
      memoryBytes: spec.hardware.memoryGiB * 2 ** 30,
      memoryBandwidthGBps: spec.hardware.memoryBandwidthGBps,
      computeTFLOPS: spec.hardware.computeTFLOPS ?? entry?.computeTFLOPS,
      idleWatts: spec.power.idleWatts,
      maxWatts: spec.power.maxWatts,
      usdPerHour: spec.price?.usdPerHour ?? entry?.usdPerHour,
      rttSeconds: spec.network ? spec.network.rttMilliseconds / 1000 : entry ? entry.rttMilliseconds / 1000 : undefined,
      decodeEfficiency:
        entry?.decodeEfficiency ??
        (spec.hardware.accelerator ? DEFAULT_EFFICIENCY_ACCELERATOR : DEFAULT_EFFICIENCY_CPU),
      origin: 'Object',
    };
  }
  if (!entry) return undefined;
  return {
    name,
    role: entry.role,
    memoryBytes: entry.memoryGiB * 2 ** 30,
    memoryBandwidthGBps: entry.memoryBandwidthGBps,
    computeTFLOPS: entry.computeTFLOPS,
    idleWatts: entry.idleWatts,
    maxWatts: entry.maxWatts,
    usdPerHour: entry.usdPerHour,
    rttSeconds: entry.rttMilliseconds / 1000,
    decodeEfficiency: entry.decodeEfficiency,
    origin: 'Catalog',
  };
}

/** Default RTT when neither the DeviceClass nor the catalog gives one. */
const DEFAULT_RTT_SECONDS = 0.02;

// ---------------------------------------------------------------------------------------------- profiles

export type ProfileState = 'Fresh' | 'Stale' | 'Missing' | 'Incomplete';

/** The prompt set AlignmentProfiles must name to count for this deployment. */
export function promptSetOf(profiling: ProfilingSpec): string {
  if (!profiling.prompts) return BUILTIN_PROMPT_SET;
  return profiling.prompts.key ? `${profiling.prompts.name}/${profiling.prompts.key}` : profiling.prompts.name;
}

function freshnessAt(
  measuredAtMs: number | undefined,
  nowMs: number,
  profiling: ProfilingSpec,
): 'Fresh' | 'Stale' | 'Incomplete' {
  if (measuredAtMs === undefined) return 'Incomplete';
  // With profiling off, whatever the user measured stays valid: nothing would ever refresh it.
  if (profiling.mode === 'Never') return 'Fresh';
  return nowMs - measuredAtMs <= profiling.maxAgeSeconds * 1000 ? 'Fresh' : 'Stale';
}

const positive = (value: number | undefined): value is number =>
  value !== undefined && Number.isFinite(value) && value > 0;
/**
 * A profile's verification line is usable when both terms are ≥ 0 (a missing slope is 0) and not both 0. The
 * intercept alone may be 0: the profiler forces it to 0 when the least-squares line over K ≥ 1 would cross below
 * (a convex T_v, flat up to a kernel tile and rising after), and its per-K times are then still measurements.
 */
export function hasVerificationTiming<T extends { verifySecondsIntercept?: number; verifySecondsPerToken?: number }>(
  status: T | undefined,
): status is T & { verifySecondsIntercept: number } {
  const intercept = status?.verifySecondsIntercept;
  const perToken = status?.verifySecondsPerToken ?? 0;
  return nonNegative(intercept) && nonNegative(perToken) && intercept + perToken > 0;
}

/** Measured points with a whole K ≥ 0 and a time ≥ 0; undefined when none is left. */
function validPoints(points: readonly SecondsAtK[] | undefined): SecondsAtK[] | undefined {
  const valid = (points ?? []).filter((p) => Number.isInteger(p.k) && p.k >= 0 && nonNegative(p.seconds));
  return valid.length > 0 ? valid : undefined;
}
const nonNegative = (value: number | undefined): value is number =>
  value !== undefined && Number.isFinite(value) && value >= 0;
const probability = (value: number | undefined): value is number =>
  value !== undefined && Number.isFinite(value) && value >= 0 && value <= 1;

interface Dated<P> {
  profile: P;
  measuredAtMs: number | undefined;
}

/** Keeps the most recently measured profile per key (undated ones only when nothing dated exists). */
function keepNewest<P extends { status?: { measuredAt?: string } }>(
  index: Map<string, Dated<P>>,
  key: string,
  profile: P,
): void {
  const measuredAtMs = parseTimestamp(profile.status?.measuredAt);
  const existing = index.get(key);
  if (!existing || (measuredAtMs ?? -Infinity) > (existing.measuredAtMs ?? -Infinity))
    index.set(key, { profile, measuredAtMs });
}

export interface ProfileIndex {
  draft(
    deviceClass: string,
    draft: string,
    quantization: Quantization,
  ): { state: ProfileState; profile?: DraftProfile };
  alignment(draft: string, quantization: Quantization): { state: ProfileState; profile?: AlignmentProfile };
  /** Freshest usable verification timing for the target, from any of its alignment profiles. */
  verification(): AlignmentProfile | undefined;
}

export function indexProfiles(
  draftProfiles: readonly DraftProfile[],
  alignmentProfiles: readonly AlignmentProfile[],
  target: string,
  promptSet: string,
  nowMs: number,
  profiling: ProfilingSpec,
): ProfileIndex {
  const draftByKey = new Map<string, Dated<DraftProfile>>();
  for (const profile of draftProfiles)
    keepNewest(
      draftByKey,
      `${profile.spec.deviceClass}\u0000${profile.spec.draft}\u0000${profile.spec.quantization}`,
      profile,
    );
  const alignmentByKey = new Map<string, Dated<AlignmentProfile>>();
  let verification: Dated<AlignmentProfile> | undefined;
  for (const profile of alignmentProfiles) {
    if (profile.spec.target !== target || profile.spec.promptSet !== promptSet) continue;
    keepNewest(alignmentByKey, `${profile.spec.draft}\u0000${profile.spec.quantization}`, profile);
    const measuredAtMs = parseTimestamp(profile.status?.measuredAt);
    if (
      hasVerificationTiming(profile.status) &&
      freshnessAt(measuredAtMs, nowMs, profiling) === 'Fresh' &&
      (!verification || (measuredAtMs ?? -Infinity) > (verification.measuredAtMs ?? -Infinity))
    )
      verification = { profile, measuredAtMs };
  }
  return {
    draft(deviceClass, draft, quantization) {
      const found = draftByKey.get(`${deviceClass}\u0000${draft}\u0000${quantization}`);
      if (!found) return { state: 'Missing' };
      if (!positive(found.profile.status?.draftSecondsPerToken)) return { state: 'Incomplete', profile: found.profile };
      return { state: freshnessAt(found.measuredAtMs, nowMs, profiling), profile: found.profile };
    },
    alignment(draft, quantization) {
      const found = alignmentByKey.get(`${draft}\u0000${quantization}`);
      if (!found) return { state: 'Missing' };
      const status = found.profile.status;
      const hasAcceptance = probability(status?.acceptanceRate) || (status?.perPosition?.length ?? 0) > 0;
      if (!hasAcceptance) return { state: 'Incomplete', profile: found.profile };
      return { state: freshnessAt(found.measuredAtMs, nowMs, profiling), profile: found.profile };
    },
    verification: () => verification?.profile,
  };
}

// ---------------------------------------------------------------------------------------------- candidates

export interface PlanContext {
  spec: SpecDecodeDeploymentSpec;
  target: ResolvedModel;
  verifier: ResolvedDeviceClass;
  drafts: readonly { model: ResolvedModel; quantizations: readonly Quantization[] }[];
  profiles: ProfileIndex;
  /** Verification timing prior (used when no fresh alignment profile measures it). */
  verificationPrior: { interceptSeconds: number; secondsPerToken: number };
}

/** What the planner knows about one (class, draft, quantisation), with the state of its two profiles. */
export interface ResolvedCandidate {
  inputs: CandidateInputs;
  draftProfile: ProfileState;
  alignmentProfile: ProfileState;
}

export function verificationPriorFor(target: ResolvedModel, verifier: ResolvedDeviceClass, gpus: number) {
  return priorVerification({
    targetBytes: target.bytes[TARGET_PRECISION.value],
    targetParametersBillions: target.parametersBillions,
    memoryBandwidthGBps: verifier.memoryBandwidthGBps,
    decodeEfficiency: verifier.decodeEfficiency,
    computeTFLOPS: verifier.computeTFLOPS,
    gpus,
  });
}

export function buildCandidate(
  context: PlanContext,
  edge: ResolvedDeviceClass,
  draft: ResolvedModel,
  quantization: Quantization,
  catalog: Catalog,
): ResolvedCandidate {
  const { target, verifier, spec } = context;
  const draftLookup = context.profiles.draft(edge.name, draft.name, quantization);
  const alignmentLookup = context.profiles.alignment(draft.name, quantization);
  const draftStatus = draftLookup.state === 'Fresh' ? draftLookup.profile?.status : undefined;
  const alignmentStatus = alignmentLookup.state === 'Fresh' ? alignmentLookup.profile?.status : undefined;

  // Drafting speed.
  const modelBytes = draft.bytes[quantization];
  let draftSecondsPerToken = priorDraftSecondsPerToken(edge.memoryBandwidthGBps, edge.decodeEfficiency, modelBytes);
  let draftInterceptSeconds = DRAFT_ROUND_OVERHEAD_SECONDS.value;
  let draftSpeed: Basis = 'Prior';
  if (draftStatus && positive(draftStatus.draftSecondsPerToken)) {
    draftSecondsPerToken = draftStatus.draftSecondsPerToken;
    draftInterceptSeconds = nonNegative(draftStatus.draftSecondsIntercept) ? draftStatus.draftSecondsIntercept : 0;
    draftSpeed = 'Measured';
  }

  // Power.
  let draftingWatts = edge.maxWatts;
  let waitingWatts = edge.idleWatts;
  let power: Basis = 'Prior';
  if (draftStatus && positive(draftStatus.powerDraftingWatts)) {
    draftingWatts = draftStatus.powerDraftingWatts;
    if (nonNegative(draftStatus.powerIdleWatts)) waitingWatts = draftStatus.powerIdleWatts;
    power = 'Measured';
  }

  // Network.
  let rttSeconds = edge.rttSeconds ?? DEFAULT_RTT_SECONDS;
  let network: Basis = 'Prior';
  let rttSecondsByK: SecondsAtK[] | undefined;
  if (draftStatus && nonNegative(draftStatus.rttSeconds)) {
    rttSeconds = draftStatus.rttSeconds;
    rttSecondsByK = validPoints(draftStatus.rttSecondsByK);
    network = 'Measured';
  }

  // Acceptance.
  const published = findAcceptancePrior(catalog, draft.name, target.name);
  let acceptanceRate = priorAcceptance(
    draft.parametersBillions,
    target.parametersBillions,
    quantization,
    published?.alpha,
  );
  let perPositionAcceptance: readonly number[] | undefined;
  let acceptance: Basis = 'Prior';
  if (alignmentStatus) {
    const perPosition = alignmentStatus.perPosition?.filter((p) => probability(p));
    if (perPosition && perPosition.length > 0) perPositionAcceptance = perPosition;
    if (probability(alignmentStatus.acceptanceRate)) acceptanceRate = alignmentStatus.acceptanceRate;
    else if (perPosition && perPosition.length > 0)
      acceptanceRate = perPosition.reduce((sum, p) => sum + p, 0) / perPosition.length;
    acceptance = 'Measured';
  }

  // Verification.
  let verifyInterceptSeconds = context.verificationPrior.interceptSeconds;
  let verifySecondsPerToken = context.verificationPrior.secondsPerToken;
  let verification: Basis = 'Prior';
  let verifySecondsByK: SecondsAtK[] | undefined;
  const measuredVerification =
    alignmentStatus && hasVerificationTiming(alignmentStatus)
      ? alignmentStatus
      : context.profiles.verification()?.status;
  if (measuredVerification && hasVerificationTiming(measuredVerification)) {
    verifyInterceptSeconds = measuredVerification.verifySecondsIntercept;
    if (nonNegative(measuredVerification.verifySecondsPerToken))
      verifySecondsPerToken = measuredVerification.verifySecondsPerToken;
    verifySecondsByK = validPoints(measuredVerification.verifySecondsByK);
    verification = 'Measured';
  }

  // Memory: weights + KV cache + runtime, unless a profile measured the resident size.
  const contextTokens = PLANNING_CONTEXT_TOKENS.value;
  const requiredMemoryBytes =
    draftStatus && positive(draftStatus.memoryBytes)
      ? draftStatus.memoryBytes
      : modelBytes + draft.kvBytesPerToken * contextTokens + EDGE_RUNTIME_OVERHEAD_BYTES.value;

  const gpus = Math.max(1, spec.target.verifier.gpusPerReplica);
  const basis: InputBasis = { draftSpeed, acceptance, power, network, verification };
  return {
    inputs: {
      draft: draft.name,
      quantization,
      draftInterceptSeconds,
      draftSecondsPerToken,
      acceptanceRate,
      ...(perPositionAcceptance ? { perPositionAcceptance } : {}),
      verifyInterceptSeconds,
      verifySecondsPerToken,
      rttSeconds,
      ...(verifySecondsByK ? { verifySecondsByK } : {}),
      ...(rttSecondsByK ? { rttSecondsByK } : {}),
      draftingWatts,
      waitingWatts,
      verifierUsdPerSecond: ((verifier.usdPerHour ?? 0) * gpus) / 3600,
      usdPerProcessedToken: listPricePerToken(target.parametersBillions),
      requiredMemoryBytes,
      availableMemoryBytes: edge.memoryBytes,
      basis,
    },
    draftProfile: draftLookup.state,
    alignmentProfile: alignmentLookup.state,
  };
}
