// Pod-level building blocks shared by the verifier, drafter and profiler: a security context that passes the
// Pod Security "restricted" profile (plus a read-only root filesystem), writable emptyDirs for the paths the
// agent writes, probes, and model-source plumbing.
import type { ModelRef, Toleration } from '../api/types.js';

/** The non-root user the image runs as (distroless "nonroot"). */
export const RUN_AS_USER = 65532;
export const HTTP_PORT = 8080;
export const MODEL_CACHE_DIR = '/var/cache/configspec/models';

export interface ResourceFigures {
  cpu: string;
  memory: string;
}

export interface ContainerResources {
  requests: ResourceFigures & Record<string, string>;
  limits: ResourceFigures & Record<string, string>;
}

export function podSecurityContext() {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext() {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface Volume {
  name: string;
  [source: string]: unknown;
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

/** Writable scratch space and the model cache; the root filesystem stays read-only. */
export function scratchVolumes(modelCacheSizeLimit: string): { volumes: Volume[]; mounts: VolumeMount[] } {
  return {
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      { name: 'models', emptyDir: { sizeLimit: modelCacheSizeLimit } },
    ],
    mounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'models', mountPath: MODEL_CACHE_DIR },
    ],
  };
}

/**
 * Arguments naming a model for the agent, and any volume its source needs. A pvc://claim/path source is
 * mounted read-only and passed on as a file:// URI; other URIs (https, hf, file) go to the agent unchanged.
 */
export function modelArgs(
  flagPrefix: string,
  model: ModelRef,
): { args: string[]; volumes: Volume[]; mounts: VolumeMount[] } {
  const args = [`--${flagPrefix}`, model.name];
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  const uri = model.source?.uri;
  if (uri) {
    const pvc = /^pvc:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (pvc) {
      const [, claim, path] = pvc as unknown as [string, string, string];
      const volumeName = `${flagPrefix}-pvc`;
      volumes.push({ name: volumeName, persistentVolumeClaim: { claimName: claim, readOnly: true } });
      mounts.push({ name: volumeName, mountPath: `/mnt/${flagPrefix}`, readOnly: true });
      args.push(`--${flagPrefix}-source`, `file:///mnt/${flagPrefix}/${path}`);
    } else {
      args.push(`--${flagPrefix}-source`, uri);
    }
    if (model.source?.sha256) args.push(`--${flagPrefix}-sha256`, model.source.sha256);
  }
  return { args, volumes, mounts };
}

/** Startup (model loading may take minutes), liveness and readiness probes on the agent's HTTP port. */
export function servingProbes() {
  const get = (path: string) => ({ httpGet: { path, port: 'http' } });
  return {
    startupProbe: { ...get('/healthz'), periodSeconds: 10, failureThreshold: 90 },
    livenessProbe: { ...get('/healthz'), periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
    readinessProbe: { ...get('/readyz'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
  };
}

export function tolerationsOf(list: readonly Toleration[] | undefined): Toleration[] {
  return (list ?? []).map((t) => ({ ...t }));
}

/** The union of tolerations, without duplicates. */
export function mergeTolerations(...lists: readonly (readonly Toleration[])[]): Toleration[] {
  const seen = new Set<string>();
  const merged: Toleration[] = [];
  for (const toleration of lists.flat()) {
    const key = JSON.stringify([
      toleration.key,
      toleration.operator,
      toleration.value,
      toleration.effect,
      toleration.tolerationSeconds,
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push({ ...toleration });
  }
  return merged;
}

/** The conjunction of node selectors; a key required with two different values can match no node. */
export function conjoinNodeSelectors(...selectors: readonly (Record<string, string> | undefined)[]) {
  const merged: Record<string, string> = {};
  for (const selector of selectors) {
    for (const [key, value] of Object.entries(selector ?? {})) {
      if (key in merged && merged[key] !== value) {
        throw new Error(`Node selectors conflict on ${key}: "${merged[key]}" and "${value}" can match no node`);
      }
      merged[key] = value;
    }
  }
  return merged;
}
