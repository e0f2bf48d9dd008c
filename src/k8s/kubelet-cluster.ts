// The process kubelet's view of the cluster (src/kubelet): informers over pods, services and ConfigMaps, and the
// few writes a kubelet makes — its Node and node Lease, pod status, the final pod delete, and a service-account
// token for pods that mount one. Kept here because src/k8s is the only home of @kubernetes/client-node.
import { KubeConfig } from '@kubernetes/client-node';
import type { CacheReader, KubeObject } from '../controller/ports.js';
import { isApiError } from '../controller/ports.js';
import type { Logger } from '../observability/log.js';
import { ServerSideApplier } from './apply.js';
import type { ConnectionOptions } from './client.js';
import { loadKubeConfig } from './kubeconfig.js';
import { makeInformer } from './informers.js';
import type { Reflector } from './reflector.js';
import { RESOURCES, resourcePath } from './resources.js';
import { KubeRest } from './rest.js';

export const KUBELET_FIELD_MANAGER = 'configspec-process-kubelet';

export interface ClusterPod extends KubeObject {
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ClusterService extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: number | string }[] };
}

export interface ClusterConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface KubeletCluster {
  readonly pods: CacheReader<ClusterPod>;
  readonly services: CacheReader<ClusterService>;
  readonly configMaps: CacheReader<ClusterConfigMap>;
  /** Called after any pod, service or ConfigMap change (coalesce in the caller). */
  onChange(listener: () => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Creates or updates the Node (labels, taints) and its status (Ready, capacity, addresses). */
  applyNode(node: KubeObject & { spec?: unknown; status: unknown }): Promise<void>;
  renewNodeLease(nodeName: string, leaseDurationSeconds: number): Promise<void>;
  patchPodStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** The kubelet's last word on a terminating pod: delete it now (only this uid). */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  /** A kubeconfig (YAML text) carrying a token of the pod's service account, bound to the pod. */
  serviceAccountKubeconfig(pod: {
    namespace: string;
    name: string;
    uid: string;
    serviceAccount: string;
  }): Promise<string>;
}

export function connectKubeletCluster(connection: ConnectionOptions, log: Logger): KubeletCluster {
  const config = loadKubeConfig(connection);
  const rest = new KubeRest(config);
  const applier = new ServerSideApplier(rest, KUBELET_FIELD_MANAGER);
  const informerOptions = { log, relistIntervalMs: 0 };
  const pods = makeInformer<ClusterPod>(rest, RESOURCES.pod, {}, informerOptions);
  const services = makeInformer<ClusterService>(rest, RESOURCES.service, {}, informerOptions);
  const configMaps = makeInformer<ClusterConfigMap>(rest, RESOURCES.configMap, {}, informerOptions);
  const informers: Reflector<KubeObject>[] = [pods, services, configMaps] as unknown as Reflector<KubeObject>[];
  const listeners: (() => void)[] = [];
  const notify = () => listeners.forEach((listener) => listener());
  for (const informer of informers) informer.on({ onAdd: notify, onUpdate: notify, onDelete: notify });

  return {
    pods,
    services,
    configMaps,
    onChange: (listener) => void listeners.push(listener),
    async start() {
      informers.forEach((informer) => informer.start());
      while (!informers.every((informer) => informer.hasSynced())) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await Promise.all(informers.map((informer) => informer.stop()));
    },
    async applyNode(node) {
      const { status, ...rest } = node;
      await applier.apply(rest as KubeObject);
      await applier.applyStatus({ ...rest, status } as KubeObject & { status: unknown });
    },
    async renewNodeLease(nodeName, leaseDurationSeconds) {
      await applier.apply({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: 'kube-node-lease' },
        spec: { holderIdentity: nodeName, leaseDurationSeconds, renewTime: microTime(new Date()) },
      } as KubeObject);
    },
    async patchPodStatus(namespace, name, status) {
      await rest.request({
        method: 'PATCH',
        path: `${resourcePath(RESOURCES.pod, namespace, name)}/status`,
        contentType: 'application/merge-patch+json',
        body: { status },
        verb: 'patch',
        resource: 'pods/status',
      });
    },
    async deletePod(namespace, name, uid) {
      try {
        await rest.request({
          method: 'DELETE',
          path: resourcePath(RESOURCES.pod, namespace, name),
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
          verb: 'delete',
          resource: 'pods',
        });
      } catch (err) {
        if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
      }
    },
    async serviceAccountKubeconfig(pod) {
      const answer = await rest.request<{ status: { token: string } }>({
        method: 'POST',
        path: `${resourcePath(RESOURCES.serviceAccount, pod.namespace, pod.serviceAccount)}/token`,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            expirationSeconds: 86_400,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid },
          },
        },
        verb: 'create',
        resource: 'serviceaccounts/token',
      });
      return kubeconfigWithToken(config, answer.status.token, pod.namespace);
    },
  };
}

/** The cluster of `source` (server and CA) with only the given token as credentials. */
function kubeconfigWithToken(source: KubeConfig, token: string, namespace: string): string {
  const cluster = source.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const scoped = new KubeConfig();
  scoped.loadFromOptions({
    clusters: [{ ...cluster, name: 'cluster' }],
    users: [{ name: 'pod', token }],
    contexts: [{ name: 'pod', cluster: 'cluster', user: 'pod', namespace }],
    currentContext: 'pod',
  });
  return scoped.exportConfig();
}

/** metav1.MicroTime: RFC 3339 with microseconds, as Lease renewTime requires. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
