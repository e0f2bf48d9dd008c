// TypeScript shapes of the configspec.io/v1alpha1 API. The CRDs in crds/ are the source of truth; a unit test
// (test/unit/api/types-drift.test.ts) walks these interfaces and the CRD schemas side by side and fails on any
// field present in one and missing in the other, so they cannot drift apart silently.

export const GROUP = 'configspec.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A status condition with apimachinery semantics (metav1.Condition). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type Quantization = 'Q4_K_M' | 'Q5_K_M' | 'Q8_0' | 'F16';
export const QUANTIZATIONS: readonly Quantization[] = ['Q4_K_M', 'Q5_K_M', 'Q8_0', 'F16'];

export type Objective = 'Goodput' | 'CostEfficiency' | 'EnergyEfficiency';
export type PolicyMode = 'Auto' | 'Recommend' | 'Pinned';
export type ProfilingMode = 'IfMissing' | 'Periodic' | 'Never';
export type Accounting = 'Full' | 'Paper';
export type Basis = 'Measured' | 'Prior';

/** A key of a Secret in the deployment's namespace (referenced, never copied). */
export interface SecretKeyRef {
  name: string;
  /** Default token. */
  key?: string;
}

/** Where a model file can be fetched from. */
export interface ModelSource {
  /** https://…, hf://org/repo/file.gguf, pvc://claim/path or file:///path */
  uri: string;
  /** hf:// only: branch, tag or commit (default main). */
  revision?: string;
  sha256?: string;
  sizeBytes?: number;
  /** Bearer token of a private source. */
  secretRef?: SecretKeyRef;
}

/** The file of one quantisation of a draft. */
export interface QuantizedModelSource extends ModelSource {
  quantization: Quantization;
}

/** A model named from the built-in catalog, or described in full. */
export interface ModelRef {
  /** Catalog name (e.g. qwen2.5-0.5b-instruct) or a user-chosen name when family and size are given. */
  name: string;
  /** Tokenizer family (e.g. qwen2.5, llama3); drafts must share the target's family. */
  family?: string;
  /** Parameter count in billions, required when the model is not in the catalog. */
  parametersBillions?: number;
  source?: ModelSource;
}

export interface VerifierSpec {
  /** Verification engine; ConfigSpec is the built-in llama.cpp verifier. */
  engine: 'ConfigSpec';
  /** Image for the verifier; defaults to the operator's own image. */
  image?: string;
  replicas: number;
  gpusPerReplica: number;
  /** DeviceClass (role Verifier) whose nodes run the verifier. */
  deviceClass: string;
}

export interface TargetSpec {
  model: ModelRef;
  verifier: VerifierSpec;
}

export interface DraftCandidate {
  model: ModelRef;
  quantizations: Quantization[];
  /** Per-quantisation files; the catalog's (or model.source) for quantisations not listed. */
  sources?: QuantizedModelSource[];
}

export interface KRange {
  min: number;
  max: number;
}

export interface SpeculationSpec {
  k: KRange;
}

export interface EdgeSpec {
  nodeSelector?: Record<string, string>;
  /** Restrict to these DeviceClasses (role Edge); all matching classes when empty. */
  deviceClasses?: string[];
}

export interface Constraints {
  minGoodputTokensPerSecond?: number;
  maxUSDPerMillionTokens?: number;
  maxJoulesPerToken?: number;
}

export interface ObjectiveSpec {
  maximize: Objective;
  constraints?: Constraints;
}

/** One point of the configuration space for a device class. */
export interface Configuration {
  draft: string;
  quantization: Quantization;
  k: number;
}

export interface PolicySpec {
  mode: PolicyMode;
  pinned?: Configuration;
  minImprovementPercent: number;
  cooldownSeconds: number;
}

export interface ConfigMapKeyRef {
  name: string;
  key?: string;
}

export interface ProfilingSpec {
  mode: ProfilingMode;
  maxAgeSeconds: number;
  maxConcurrentJobs: number;
  /** Prompt set for alignment profiling; the built-in set when absent. */
  prompts?: ConfigMapKeyRef;
}

export interface SpecDecodeDeploymentSpec {
  target: TargetSpec;
  drafts: DraftCandidate[];
  speculation: SpeculationSpec;
  edge: EdgeSpec;
  objective: ObjectiveSpec;
  policy: PolicySpec;
  profiling: ProfilingSpec;
  accounting: Accounting;
}

/** Predicted (or observed) figures for one configuration. */
export interface Figures {
  goodputTokensPerSecond: number;
  usdPerMillionTokens: number;
  joulesPerToken: number;
  acceptanceRate: number;
  roundSeconds: number;
}

/** Which model inputs came from measurements and which from priors. */
export interface InputBasis {
  draftSpeed: Basis;
  acceptance: Basis;
  power: Basis;
  network: Basis;
  verification: Basis;
}

export interface FrontierEntry extends Configuration {
  goodputTokensPerSecond: number;
  usdPerMillionTokens: number;
  joulesPerToken: number;
}

/** Serving figures of one configuration, per round and per edge device: observed, or predicted by the model. */
export interface ServingFigures {
  goodputTokensPerSecond: number;
  /** Pooled conditional acceptance: accepted ÷ judged draft tokens. */
  acceptanceRate: number;
  roundSeconds: number;
  draftSeconds: number;
  /** Verifier queue + compute seconds per round. */
  verifySeconds: number;
  rttSeconds: number;
}

/** Relative gaps (observed − predicted) / predicted. */
export interface ObservationGap {
  goodput: number;
  acceptance: number;
  roundSeconds: number;
}

/** Share of the observations in each corrected input (0: the profile alone, 1: the observations alone). */
export interface ObservationWeights {
  acceptance: number;
  draftSpeed: number;
  verification: number;
  network: number;
}

/** What the closed loop observed serving a class, against what the model predicted. */
export interface ObservedFigures {
  /** The configuration that served the observations. */
  configuration: Configuration;
  /** Evidence behind the figures, decayed with age (so not whole numbers). */
  rounds: number;
  tokens: number;
  windowSeconds: number;
  figures: ServingFigures;
  /** Conditional acceptance a_1..a_n observed by draft position. */
  acceptanceByPosition?: number[];
  /** What profiles and priors alone predict for the configuration (before correction). */
  predicted: ServingFigures;
  gap: ObservationGap;
  weights: ObservationWeights;
  /** The gap the corrected model leaves; a persistent one raises ModelMismatch. */
  residualGap: ObservationGap;
  /** When the residual gap first exceeded the tolerance (RFC 3339). */
  mismatchSince?: string;
}

/** Delivery of the selected draft file to a class's nodes (the rollout gate of a model change). */
export interface ModelDeliveryStatus {
  draft: string;
  quantization: Quantization;
  /** Nodes whose cache holds the file, verified. */
  readyNodes: number;
  state: 'Prefetching' | 'Serving';
}

export interface DeviceClassStatus {
  name: string;
  nodes: number;
  readyNodes: number;
  model?: ModelDeliveryStatus;
  selected?: Configuration;
  predicted?: Figures;
  basis?: InputBasis;
  frontier?: FrontierEntry[];
  observed?: ObservedFigures;
  lastChangeTime?: string;
  reason?: string;
  message?: string;
}

export interface VerifierStatus {
  endpoint?: string;
  readyReplicas: number;
}

export interface ProfilingStatus {
  completed: number;
  total: number;
  running: number;
  failed: number;
}

export interface SpecDecodeDeploymentStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  deviceClasses?: DeviceClassStatus[];
  /** Number of entries in deviceClasses, for the Classes printer column (a column shows one value, not a list). */
  deviceClassCount?: number;
  /** Edge nodes that match spec.edge but no DeviceClass (at most 20 names, plus the count). */
  unclassifiedNodes?: { count: number; names: string[] };
  verifier?: VerifierStatus;
  profiling?: ProfilingStatus;
}

export interface SpecDecodeDeployment {
  apiVersion: typeof API_VERSION;
  kind: 'SpecDecodeDeployment';
  metadata: ObjectMeta;
  spec: SpecDecodeDeploymentSpec;
  status?: SpecDecodeDeploymentStatus;
}

export type DeviceRole = 'Edge' | 'Verifier';
export type PowerSensor = 'None' | 'INA3221' | 'RAPL' | 'Hwmon';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface DeviceClassSpec {
  role: DeviceRole;
  nodeSelector: Record<string, string>;
  hardware: {
    arch: 'arm64' | 'amd64';
    /** Memory available to models: RAM on edge devices, GPU memory per GPU on verifiers. */
    memoryGiB: number;
    memoryBandwidthGBps: number;
    accelerator?: string;
    /** Dense FP16 throughput, used for verification-time priors on GPUs. */
    computeTFLOPS?: number;
  };
  power: { idleWatts: number; maxWatts: number; sensor: PowerSensor };
  price?: { usdPerHour: number };
  network?: { rttMilliseconds: number };
  runtime?: { runtimeClassName?: string; tolerations?: Toleration[] };
}

export interface DeviceClassStatusBlock {
  nodes: number;
  readyNodes: number;
  conditions?: Condition[];
}

export interface DeviceClass {
  apiVersion: typeof API_VERSION;
  kind: 'DeviceClass';
  metadata: ObjectMeta;
  spec: DeviceClassSpec;
  status?: DeviceClassStatusBlock;
}

export interface DraftProfileSpec {
  deviceClass: string;
  draft: string;
  quantization: Quantization;
}

export type PowerSource = 'Sensor' | 'Estimated';

/** A time measured at one number of drafted tokens K. */
export interface SecondsAtK {
  k: number;
  seconds: number;
}

export interface DraftProfileStatus {
  draftSecondsIntercept?: number;
  draftSecondsPerToken?: number;
  samples?: number;
  powerDraftingWatts?: number;
  powerIdleWatts?: number;
  powerSource?: PowerSource;
  rttSeconds?: number;
  /** Round time outside model compute measured at each K the profiler ran (rttSeconds is their K ≥ 1 mean). */
  rttSecondsByK?: SecondsAtK[];
  memoryBytes?: number;
  measuredAt?: string;
  node?: string;
  conditions?: Condition[];
}

export interface DraftProfile {
  apiVersion: typeof API_VERSION;
  kind: 'DraftProfile';
  metadata: ObjectMeta;
  spec: DraftProfileSpec;
  status?: DraftProfileStatus;
}

export interface AlignmentProfileSpec {
  draft: string;
  quantization: Quantization;
  target: string;
  promptSet: string;
}

export interface AlignmentProfileStatus {
  acceptanceRate?: number;
  /** Conditional acceptance at draft positions 1..n (a_i = P(accept i | accepted 1..i-1)). */
  perPosition?: number[];
  samples?: number;
  verifySecondsIntercept?: number;
  verifySecondsPerToken?: number;
  /** Verifier time per round measured at each K the profiler ran; the line above is fitted to them. */
  verifySecondsByK?: SecondsAtK[];
  measuredAt?: string;
  conditions?: Condition[];
}

export interface AlignmentProfile {
  apiVersion: typeof API_VERSION;
  kind: 'AlignmentProfile';
  metadata: ObjectMeta;
  spec: AlignmentProfileSpec;
  status?: AlignmentProfileStatus;
}

export type ConfigSpecObject = SpecDecodeDeployment | DeviceClass | DraftProfile | AlignmentProfile;
