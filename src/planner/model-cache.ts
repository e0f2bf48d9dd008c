// The node cache agent's objects (`configspec model-cache manifests` prints them): a DaemonSet that owns each
// node's model cache directory as a hostPath and serves it (src/agent/fetch/node-cache-server.ts), a Service with
// internalTrafficPolicy Local so a pod always reaches the agent on its own node, and the RBAC it needs to tell
// which pods still run on its node (list pods: the pin liveness check of eviction).
//
// hostPath is why it lives apart: Pod Security "baseline" and "restricted" both forbid hostPath volumes, so its
// namespace is labelled privileged — and that namespace holds nothing else. The container runs as uid 0 only so
// it owns the directory the kubelet creates (the kubelet does not apply fsGroup to hostPath volumes), with every
// capability dropped (so no CAP_DAC_OVERRIDE: it can write its own directory and nothing else of the host's), no
// privilege escalation, a read-only root filesystem and RuntimeDefault seccomp. Everything that runs models stays
// in restricted namespaces.
import { containerSecurityContext } from './pod-template.js';

export interface ModelCacheManifestOptions {
  namespace?: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Directory on each node (default /var/lib/configspec/models). */
  hostPath?: string;
  /** Size budget, e.g. 20Gi (default: none). */
  budget?: string;
  port?: number;
  /** Only nodes with these labels run the agent (default: every node). */
  nodeSelector?: Record<string, string>;
}

export const MODEL_CACHE_NAMESPACE = 'configspec-cache';
export const MODEL_CACHE_NAME = 'configspec-model-cache';

export function buildModelCacheObjects(options: ModelCacheManifestOptions): object[] {
  const namespace = options.namespace ?? MODEL_CACHE_NAMESPACE;
  const hostPath = options.hostPath ?? '/var/lib/configspec/models';
  const port = options.port ?? 8090;
  const labels = {
    'app.kubernetes.io/name': 'configspec',
    'app.kubernetes.io/component': 'model-cache',
    'app.kubernetes.io/part-of': 'configspec',
  };
  const selector = { 'app.kubernetes.io/name': 'configspec', 'app.kubernetes.io/component': 'model-cache' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          // hostPath needs "privileged"; warn/audit at restricted so anything else placed here is flagged.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: MODEL_CACHE_NAME, namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: MODEL_CACHE_NAME, labels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: MODEL_CACHE_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: MODEL_CACHE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: MODEL_CACHE_NAME, namespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: MODEL_CACHE_NAME, namespace, labels },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: MODEL_CACHE_NAME,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: false,
              runAsUser: 0,
              runAsGroup: 0,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            ...(options.nodeSelector ? { nodeSelector: { ...options.nodeSelector } } : {}),
            // Every node that may run model pods, tainted ones included.
            tolerations: [{ operator: 'Exists' }],
            priorityClassName: 'system-node-critical',
            containers: [
              {
                name: 'model-cache',
                image: options.image,
                imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
                command: ['configspec'],
                args: [
                  'model-cache',
                  'serve',
                  '--dir',
                  '/var/lib/configspec/models',
                  '--port',
                  String(port),
                  ...(options.budget ? ['--budget', options.budget] : []),
                ],
                env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '2', memory: '256Mi' } },
                securityContext: { ...containerSecurityContext(), runAsNonRoot: false, runAsUser: 0 },
                volumeMounts: [
                  { name: 'models', mountPath: '/var/lib/configspec/models' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 20, failureThreshold: 3 },
              },
            ],
            volumes: [
              // DirectoryOrCreate: the kubelet creates it, owned by root (the agent's uid).
              { name: 'models', hostPath: { path: hostPath, type: 'DirectoryOrCreate' } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: MODEL_CACHE_NAME, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector,
        // Always the agent on the caller's own node: a file is fetched once per node, and copies stay local.
        internalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
      },
    },
  ];
}
