// The parts of the Kubernetes workload API the builders produce, typed just enough that tests and the
// reconciler can read them without casts. Field names follow the Kubernetes API exactly.
import type { Toleration } from '../api/types.js';
import type { KubeObject, KubeObjectMeta } from '../controller/ports.js';
import type { ContainerResources } from './pod-template.js';

export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command: string[];
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number; protocol: 'TCP' }[];
  resources: ContainerResources;
  securityContext: SecurityContext;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken: boolean;
  securityContext: SecurityContext;
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  tolerations?: Toleration[];
  runtimeClassName?: string;
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  enableServiceLinks?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
  volumes: ({ name: string } & Record<string, unknown>)[];
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface Metadata extends KubeObjectMeta {
  namespace: string;
  labels: Record<string, string>;
}

export interface DeploymentObject extends KubeObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: Metadata;
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy?: unknown;
    template: PodTemplate;
  };
}

export interface DaemonSetObject extends KubeObject {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  metadata: Metadata;
  spec: {
    selector: { matchLabels: Record<string, string> };
    updateStrategy?: unknown;
    template: PodTemplate;
  };
}

export interface JobObject extends KubeObject {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: Metadata;
  spec: {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished?: number;
    template: PodTemplate;
  };
}

export interface ServiceObject extends KubeObject {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: Metadata;
  spec: {
    type: 'ClusterIP';
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number; protocol: 'TCP' }[];
  };
}

export interface ConfigMapObject extends KubeObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: Metadata;
  data: Record<string, string>;
}

export type PodWorkload = DeploymentObject | DaemonSetObject | JobObject;
