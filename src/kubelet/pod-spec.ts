// The parts of a Pod the process kubelet reads and writes, typed loosely: pods come from the apiserver as JSON.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface HttpProbe {
  httpGet?: { path?: string; port: number | string };
  periodSeconds?: number;
  timeoutSeconds?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  readinessProbe?: HttpProbe;
}

export interface VolumeSpec {
  name: string;
  emptyDir?: Record<string, unknown>;
  hostPath?: { path: string };
  configMap?: { name: string; items?: { key: string; path: string }[]; optional?: boolean };
  [source: string]: unknown;
}

export interface PodSpec {
  nodeName?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  initContainers?: ContainerSpec[];
  containers: ContainerSpec[];
  volumes?: VolumeSpec[];
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Pod {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec: PodSpec;
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: PodCondition[];
  };
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
