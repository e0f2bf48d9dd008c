// Inputs for the desired-state builder tests, and a checker of the Pod Security "restricted" profile.
import type { DeviceClass, SpecDecodeDeployment } from '../../../src/api/types.js';
import type { BuildContext } from '../../../src/planner/workloads.js';
import type { Container, PodSpec } from '../../../src/planner/shapes.js';

export function sdd(overrides: Partial<SpecDecodeDeployment['metadata']> = {}): SpecDecodeDeployment {
  return {
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'chat', namespace: 'team-a', uid: '1111-2222', generation: 3, ...overrides },
    spec: {
      target: {
        model: { name: 'qwen2.5-7b-instruct' },
        verifier: { engine: 'ConfigSpec', replicas: 2, gpusPerReplica: 1, deviceClass: 'h100' },
      },
      drafts: [
        { model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] },
        {
          model: {
            name: 'my-draft',
            family: 'qwen2.5',
            parametersBillions: 1.5,
            source: { uri: 'pvc://models/d.gguf', sha256: 'ab'.repeat(32) },
          },
          quantizations: ['Q4_K_M'],
        },
      ],
      speculation: { k: { min: 1, max: 8 } },
      edge: { nodeSelector: { 'node-role.kubernetes.io/edge': 'true' } },
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Auto', minImprovementPercent: 5, cooldownSeconds: 300 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 86_400, maxConcurrentJobs: 2 },
      accounting: 'Full',
    },
  };
}

export function edgeClass(name: string, selector: Record<string, string>): DeviceClass {
  return {
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'DeviceClass',
    metadata: { name },
    spec: {
      role: 'Edge',
      nodeSelector: selector,
      hardware: { arch: 'arm64', memoryGiB: 8, memoryBandwidthGBps: 17 },
      power: { idleWatts: 3, maxWatts: 12, sensor: 'None' },
      runtime: { tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }] },
    },
  };
}

export const pi5 = edgeClass('pi5', { 'configspec.io/device-class': 'pi5' });
export const orin: DeviceClass = {
  ...edgeClass('jetson-orin-nano', { 'configspec.io/device-class': 'jetson-orin-nano' }),
  spec: {
    ...edgeClass('jetson-orin-nano', { 'configspec.io/device-class': 'jetson-orin-nano' }).spec,
    runtime: { runtimeClassName: 'nvidia' },
  },
};

export const h100: DeviceClass = {
  apiVersion: 'configspec.io/v1alpha1',
  kind: 'DeviceClass',
  metadata: { name: 'h100' },
  spec: {
    role: 'Verifier',
    nodeSelector: { 'nvidia.com/gpu.product': 'H100' },
    hardware: { arch: 'amd64', memoryGiB: 80, memoryBandwidthGBps: 3350, computeTFLOPS: 989 },
    power: { idleWatts: 70, maxWatts: 700, sensor: 'None' },
    price: { usdPerHour: 2.5 },
  },
};

export const context = (s: SpecDecodeDeployment = sdd()): BuildContext => ({
  sdd: s,
  image: 'ghcr.io/configspec/configspec:0.1.0',
});

const RESTRICTED_VOLUME_SOURCES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * Problems a pod spec has against Pod Security "restricted" (kubernetes/pod-security-admission policy checks),
 * plus this project's own bar: a read-only root filesystem and CPU/memory requests and limits everywhere.
 */
export function restrictedViolations(pod: PodSpec): string[] {
  const problems: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('host namespaces');
  for (const volume of pod.volumes) {
    const sources = Object.keys(volume).filter((k) => k !== 'name');
    for (const source of sources) {
      if (!RESTRICTED_VOLUME_SOURCES.has(source)) problems.push(`volume ${volume.name}: ${source} not allowed`);
    }
  }
  const containers: Container[] = [...pod.containers, ...(pod.initContainers ?? [])];
  for (const c of containers) {
    const sc = c.securityContext;
    const where = `container ${c.name}`;
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot ?? pod.securityContext.runAsNonRoot)) problems.push(`${where}: runAsNonRoot`);
    const user = sc.runAsUser ?? pod.securityContext.runAsUser;
    if (user === 0) problems.push(`${where}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.securityContext.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccomp ${seccomp}`);
    if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
    for (const added of sc.capabilities?.add ?? []) {
      if (added !== 'NET_BIND_SERVICE') problems.push(`${where}: adds ${added}`);
    }
    for (const port of c.ports ?? []) {
      if ((port as { hostPort?: number }).hostPort) problems.push(`${where}: hostPort`);
    }
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem writable`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory'] as const) {
        if (!c.resources?.[kind]?.[resource]) problems.push(`${where}: no ${resource} ${kind}`);
      }
    }
  }
  return problems;
}
