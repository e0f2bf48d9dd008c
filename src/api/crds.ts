// Loads the CRDs shipped in crds/ — the single source of truth for the API's schema — so local validation,
// defaulting and the drift test all read exactly what the apiserver will enforce.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { GROUP, VERSION } from './types.js';
import type { CustomResourceDefinition, OpenApiSchema } from './schema-types.js';

export type ConfigSpecKind = 'SpecDecodeDeployment' | 'DeviceClass' | 'DraftProfile' | 'AlignmentProfile';
export const CONFIGSPEC_KINDS: readonly ConfigSpecKind[] = [
  'SpecDecodeDeployment',
  'DeviceClass',
  'DraftProfile',
  'AlignmentProfile',
];

export const CRD_FILES: Readonly<Record<ConfigSpecKind, string>> = {
  SpecDecodeDeployment: 'configspec.io_specdecodedeployments.yaml',
  DeviceClass: 'configspec.io_deviceclasses.yaml',
  DraftProfile: 'configspec.io_draftprofiles.yaml',
  AlignmentProfile: 'configspec.io_alignmentprofiles.yaml',
};

export interface LoadedCrd {
  kind: ConfigSpecKind;
  file: string;
  crd: CustomResourceDefinition;
  /** openAPIV3Schema of the served v1alpha1 version. */
  schema: OpenApiSchema;
}

/**
 * The crds/ folder: $CONFIGSPEC_CRDS_DIR if set, else the nearest crds/ above this module (the same code runs
 * from src/ under jest and from dist/src/ when built, and the image copies crds/ next to dist/).
 */
export function findCrdDirectory(): string {
  const override = process.env.CONFIGSPEC_CRDS_DIR;
  if (override !== undefined && override !== '') return resolve(override);
  foundDirectory ??= searchUpwards(dirname(fileURLToPath(import.meta.url)));
  return foundDirectory;
}

let foundDirectory: string | undefined;

function searchUpwards(start: string): string {
  for (let directory = start; ; directory = dirname(directory)) {
    const candidate = join(directory, 'crds');
    if (existsSync(join(candidate, CRD_FILES.SpecDecodeDeployment))) return candidate;
    if (dirname(directory) === directory) throw new Error('cannot find the crds/ folder; set CONFIGSPEC_CRDS_DIR');
  }
}

const cacheByDirectory = new Map<string, ReadonlyMap<ConfigSpecKind, LoadedCrd>>();

/** The four CRDs, read once per process. Throws if a file is missing or not the CRD it should be. */
export function loadCrds(directory: string = findCrdDirectory()): ReadonlyMap<ConfigSpecKind, LoadedCrd> {
  const cached = cacheByDirectory.get(directory);
  if (cached !== undefined) return cached;
  const crds = new Map<ConfigSpecKind, LoadedCrd>();
  for (const kind of CONFIGSPEC_KINDS) {
    const file = join(directory, CRD_FILES[kind]);
    const crd = parse(readFileSync(file, 'utf8')) as CustomResourceDefinition;
    if (crd?.kind !== 'CustomResourceDefinition' || crd.spec.group !== GROUP || crd.spec.names.kind !== kind) {
      throw new Error(`${file}: expected the ${kind}.${GROUP} CustomResourceDefinition`);
    }
    const version = crd.spec.versions.find((candidate) => candidate.name === VERSION);
    if (version === undefined) throw new Error(`${file}: no ${VERSION} version`);
    crds.set(kind, { kind, file, crd, schema: version.schema.openAPIV3Schema });
  }
  cacheByDirectory.set(directory, crds);
  return crds;
}

export function crdSchema(kind: ConfigSpecKind): OpenApiSchema {
  const loaded = loadCrds().get(kind);
  if (loaded === undefined) throw new Error(`no CRD for ${kind}`);
  return loaded.schema;
}

export function isConfigSpecKind(kind: unknown): kind is ConfigSpecKind {
  return typeof kind === 'string' && (CONFIGSPEC_KINDS as readonly string[]).includes(kind);
}
