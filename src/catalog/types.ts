// Shapes of the built-in catalog. Every figure carries its provenance next to it (`sources`, keyed by the
// field name), so a reader can check where a number came from and how much to trust it.
import type { DeviceRole, Quantization } from '../api/types.js';

/**
 * Where a catalog figure comes from.
 * - published: stated by the source at `url` (the note says what it states).
 * - computed: derived by arithmetic from published figures (the note shows the arithmetic).
 * - heuristic: a documented assumption where no public figure was found (the note gives the reasoning).
 */
export interface FigureSource {
  kind: 'published' | 'computed' | 'heuristic';
  url?: string;
  note: string;
}

export type Sources<Field extends string> = Readonly<Record<Field, FigureSource>>;

export type DeviceClassFigure =
  | 'memoryGiB'
  | 'memoryBandwidthGBps'
  | 'idleWatts'
  | 'maxWatts'
  | 'usdPerHour'
  | 'rttMilliseconds'
  | 'decodeEfficiency';

export interface CatalogDeviceClass {
  name: string;
  description: string;
  role: DeviceRole;
  /**
   * Value of the configspec.io/device-class node label that selects this class, when it differs from the name
   * (nodes are labelled by board, e.g. jetson-orin-nano, while the class names the memory variant too).
   */
  nodeLabel?: string;
  arch: 'arm64' | 'amd64';
  /** Total memory: RAM on edge devices, memory per GPU on verifiers. */
  memoryGiB: number;
  memoryBandwidthGBps: number;
  accelerator?: string;
  /** Dense FP16/BF16 tensor throughput (GPUs only). */
  computeTFLOPS?: number;
  idleWatts: number;
  maxWatts: number;
  /** Verifiers: on-demand cloud list price per GPU. Edge: purchase price amortised over three years. */
  usdPerHour: number;
  /** Round trip to the verifier (edge) or inside the data centre (verifier). */
  rttMilliseconds: number;
  /** η: the share of peak memory bandwidth token generation achieves (v ≈ η · bandwidth ÷ model bytes). */
  decodeEfficiency: number;
  /** Every figure above has an entry; computeTFLOPS has one whenever it is set. */
  sources: Sources<DeviceClassFigure> & { computeTFLOPS?: FigureSource };
}

export type ModelFigure = 'parametersBillions' | 'architecture' | Quantization;

/**
 * A GGUF file of one quantisation, in the API's ModelSource terms. sha256 and sizeBytes only where a digest or
 * exact byte count was read from the source itself (never rounded or guessed); the fetch step verifies what is
 * given and records the digest it computes for the rest.
 */
export interface CatalogFile {
  uri: string;
  revision?: string;
  sha256?: string;
  sizeBytes?: number;
  /** Where the name (and any size or digest) comes from, and what was not verified. */
  note: string;
}

export interface CatalogModel {
  name: string;
  family: string;
  /** Hugging Face repository of the original weights. */
  repository: string;
  parametersBillions: number;
  /** From config.json: used for the KV-cache size in the memory check. */
  layers: number;
  kvHeads: number;
  headDim: number;
  /** GGUF file size in bytes per quantisation. */
  ggufBytes: Readonly<Record<Quantization, number>>;
  sources: Sources<ModelFigure>;
  /** Where to fetch each quantisation (absent: that quantisation needs a source in the deployment). */
  files: Readonly<Partial<Record<Quantization, CatalogFile>>>;
}

export interface AcceptancePrior {
  draft: string;
  target: string;
  /** i.i.d. per-token acceptance at F16 (quantisation lowers it, see heuristics.ts). */
  alpha: number;
  source: FigureSource;
}

/** Everything the planner takes from the catalog; tests and the CLI may pass their own. */
export interface Catalog {
  deviceClasses: readonly CatalogDeviceClass[];
  models: readonly CatalogModel[];
  acceptance: readonly AcceptancePrior[];
}
