// Model delivery in the workloads, as pure functions: which file a model and quantisation is (the deployment's
// sources, else the catalog's), the fetch step that puts it into the pod (an init container running our own
// `configspec fetch` through the node cache agent), the pre-fetch DaemonSet that fills a class's node caches
// before a model change, and the rollout gate that keeps drafters on the old file until every node has the new.
//
// Why an init container that copies, and not a hostPath mount: Pod Security "restricted" forbids hostPath, and
// drafters, verifiers and profilers must stay restricted. The host's cache belongs to one node agent (the
// model-cache DaemonSet, in its own namespace with a privileged policy, see model-cache.ts); pods reach the agent
// on their own node through a Service with internalTrafficPolicy Local. So each node downloads a file once,
// resumably and verified, and pods copy it over loopback into their emptyDir.
import type { DraftCandidate, ModelDeliveryStatus, ModelRef, ModelSource, Quantization } from '../api/types.js';
import { BUILTIN_CATALOG, findCatalogModel, type Catalog } from '../catalog/index.js';
import { containerSecurityContext, MODEL_CACHE_DIR, type Volume, type VolumeMount } from './pod-template.js';
import type { Container } from './shapes.js';

/** The quantisation of a catalog target's file when the deployment names no source (the verifier's file). */
export const TARGET_QUANTIZATION: Quantization = 'Q4_K_M';
/** The node cache agent, as the model-cache manifests install it (namespace configspec-cache). */
export const DEFAULT_NODE_CACHE_URL = 'http://configspec-model-cache.configspec-cache.svc:8090';
/** Annotation on drafter and pre-fetch DaemonSets: the draft/quantisation their pods run or fetch. */
export const MODEL_ANNOTATION = 'configspec.io/model';
export const DEFAULT_TOKEN_KEY = 'token';

export interface ModelDeliveryOptions {
  /** The node cache agent's URL (default DEFAULT_NODE_CACHE_URL). */
  nodeCacheUrl?: string;
  catalog?: Catalog;
}

export class ModelSourceError extends Error {}

/** The file of a draft in one quantisation: spec.drafts[].sources, then model.source, then the catalog. */
export function draftFileSource(
  candidate: DraftCandidate,
  quantization: Quantization,
  catalog: Catalog = BUILTIN_CATALOG,
): ModelSource {
  const listed = candidate.sources?.find((s) => s.quantization === quantization);
  if (listed) {
    const { quantization: _q, ...source } = listed;
    return source;
  }
  if (candidate.model.source) return candidate.model.source;
  const file = findCatalogModel(catalog, candidate.model.name)?.files[quantization];
  if (file) return catalogSource(file);
  throw new ModelSourceError(
    `Draft ${candidate.model.name} ${quantization} has no file: add spec.drafts[].sources for ${quantization}` +
      (findCatalogModel(catalog, candidate.model.name) ? ' (the catalog has none for it)' : ''),
  );
}

/** The target's file: model.source, else the catalog's TARGET_QUANTIZATION file. */
export function targetFileSource(model: ModelRef, catalog: Catalog = BUILTIN_CATALOG): ModelSource {
  if (model.source) return model.source;
  const file = findCatalogModel(catalog, model.name)?.files[TARGET_QUANTIZATION];
  if (file) return catalogSource(file);
  throw new ModelSourceError(`Target ${model.name} has no file: set spec.target.model.source`);
}

function catalogSource(file: NonNullable<Catalog['models'][number]['files'][Quantization]>): ModelSource {
  return {
    uri: file.uri,
    ...(file.revision ? { revision: file.revision } : {}),
    ...(file.sha256 ? { sha256: file.sha256 } : {}),
    ...(file.sizeBytes ? { sizeBytes: file.sizeBytes } : {}),
  };
}

export interface FetchStep {
  /** The init container (absent for a claim, which is mounted and read in place after verification). */
  initContainer: Container;
  /** Volumes the step adds to the pod (a claim, a token Secret). */
  volumes: Volume[];
  /** Mounts the main container needs besides the models emptyDir (a claim). */
  mainMounts: VolumeMount[];
  /** Arguments naming the model for the agent command: --<prefix> <name> --<prefix>-source file://… */
  mainArgs: string[];
}

/**
 * The fetch step of one model file. `prefix` names the flags (model, draft, target) and the file; `output`
 * omitted means pre-fetch only (fill the node cache, copy nothing).
 */
export function fetchStep(
  prefix: string,
  name: string,
  source: ModelSource,
  context: { image: string; imagePullPolicy?: string; options?: ModelDeliveryOptions },
  copy = true,
): FetchStep {
  const volumes: Volume[] = [];
  const initMounts: VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  const mainMounts: VolumeMount[] = [];
  let uri = source.uri;
  let output: string | undefined = copy ? `${MODEL_CACHE_DIR}/${prefix}.gguf` : undefined;
  const pvc = /^pvc:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (pvc) {
    // A claim is mounted read-only and verified in place: no copy, no node cache.
    const [, claim, path] = pvc as unknown as [string, string, string];
    const volumeName = `${prefix}-pvc`;
    volumes.push({ name: volumeName, persistentVolumeClaim: { claimName: claim, readOnly: true } });
    const mount = { name: volumeName, mountPath: `/mnt/${prefix}`, readOnly: true };
    initMounts.push(mount);
    mainMounts.push(mount);
    uri = `file:///mnt/${prefix}/${path}`;
    output = undefined;
  } else if (copy) {
    initMounts.push({ name: 'models', mountPath: MODEL_CACHE_DIR });
  }
  const args = ['fetch', '--uri', uri];
  if (source.revision) args.push('--revision', source.revision);
  if (source.sha256) args.push('--sha256', source.sha256);
  if (source.sizeBytes) args.push('--size', String(source.sizeBytes));
  if (output) args.push('--output', output);
  args.push('--via', context.options?.nodeCacheUrl ?? DEFAULT_NODE_CACHE_URL);
  if (source.secretRef) {
    // Only the fetch step sees the token: mounted into the init container, never into the serving one.
    const key = source.secretRef.key ?? DEFAULT_TOKEN_KEY;
    const volumeName = `${prefix}-token`;
    volumes.push({
      name: volumeName,
      secret: { secretName: source.secretRef.name, items: [{ key, path: key }], defaultMode: 0o440 },
    });
    initMounts.push({ name: volumeName, mountPath: `/var/run/secrets/configspec/${prefix}-token`, readOnly: true });
    args.push('--token-file', `/var/run/secrets/configspec/${prefix}-token/${key}`);
  }
  const initContainer: Container = {
    name: `fetch-${prefix}`,
    image: context.image,
    imagePullPolicy: context.imagePullPolicy ?? 'IfNotPresent',
    command: ['configspec'],
    args,
    // The pin's holder: the node cache keeps the file while this pod exists.
    env: [{ name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    securityContext: containerSecurityContext(),
    volumeMounts: initMounts,
  };
  const fileUri = pvc ? uri : `file://${MODEL_CACHE_DIR}/${prefix}.gguf`;
  return { initContainer, volumes, mainMounts, mainArgs: [`--${prefix}`, name, `--${prefix}-source`, fileUri] };
}

export interface LiveModel {
  draft: string;
  quantization: Quantization;
}

export interface PrefetchView extends LiveModel {
  /** Nodes the pre-fetch DaemonSet should run on, and those whose pod is ready (its fetch step finished). */
  desired: number;
  ready: number;
  /** The DaemonSet controller has seen the current template (status is about this model, not the last). */
  current: boolean;
}

export interface RolloutDecision {
  /** What the drafters run now: the selection, or the live model while the new file is fetched. */
  run: LiveModel;
  /** False while gated: the K ConfigMap stays as it is, with the model it was chosen for. */
  switched: boolean;
  status: ModelDeliveryStatus;
}

/**
 * The rollout gate of one device class. A new class (no drafter yet) starts on the selection at once: its pods
 * fetch in their init containers and serve nothing before. A change of draft or quantisation waits until the
 * pre-fetch DaemonSet for the new file is ready on every node of the class (each node's cache holds the verified
 * file), then switches; the rollout then only copies the file over loopback.
 */
export function decideRollout(
  selected: LiveModel,
  live: LiveModel | undefined,
  prefetch: PrefetchView | undefined,
): RolloutDecision {
  const sameAs = (a: LiveModel | undefined, b: LiveModel) => a !== undefined && sameModel(a, b);
  const readyNodes = prefetch && sameAs(prefetch, selected) && prefetch.current ? prefetch.ready : 0;
  const model = { draft: selected.draft, quantization: selected.quantization, readyNodes };
  if (live === undefined || sameAs(live, selected)) {
    return { run: selected, switched: true, status: { ...model, state: 'Serving' } };
  }
  return readyOnEveryNode(prefetch, selected)
    ? { run: selected, switched: true, status: { ...model, state: 'Serving' } }
    : { run: live, switched: false, status: { ...model, state: 'Prefetching' } };
}

/** The DaemonSet runs `selected`, is up to date and has a ready pod on every node it should run on. */
export function readyOnEveryNode(view: PrefetchView | undefined, selected: LiveModel): boolean {
  return (
    view !== undefined && sameModel(view, selected) && view.current && view.desired > 0 && view.ready >= view.desired
  );
}

export function sameModel(a: LiveModel, b: LiveModel): boolean {
  return a.draft === b.draft && a.quantization === b.quantization;
}

/** "draft/quantization", the MODEL_ANNOTATION value. */
export function modelAnnotation(model: LiveModel): string {
  return `${model.draft}/${model.quantization}`;
}

export function parseModelAnnotation(value: string | undefined): LiveModel | undefined {
  const slash = value?.lastIndexOf('/') ?? -1;
  if (value === undefined || slash <= 0) return undefined;
  return { draft: value.slice(0, slash), quantization: value.slice(slash + 1) as Quantization };
}
