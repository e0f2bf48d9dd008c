// Loads the cluster connection: in-cluster service-account credentials when running in a pod, otherwise the
// kubeconfig ($KUBECONFIG or ~/.kube/config, or an explicit path). Credentials never leave KubeConfig.
import { KubeConfig } from '@kubernetes/client-node';
import type { ApiRequestObserver } from '../controller/ports.js';
import { KubeRest } from './rest.js';

export interface ConnectionOptions {
  /** Path of a kubeconfig file; wins over in-cluster detection. */
  kubeconfig?: string;
  /** Context to use from the kubeconfig. */
  context?: string;
}

export function loadKubeConfig(options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig) {
    config.loadFromFile(options.kubeconfig);
  } else if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) {
    config.loadFromCluster();
  } else {
    config.loadFromDefault();
  }
  if (options.context) config.setCurrentContext(options.context);
  if (!config.getCurrentCluster()) {
    throw new Error('No Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig, or run in a pod');
  }
  return config;
}

export function connect(options: ConnectionOptions = {}, observe?: ApiRequestObserver): KubeRest {
  return new KubeRest(loadKubeConfig(options), observe);
}

/** The namespace the operator runs in: the pod's own, from the service-account mount, else the fallback. */
export function currentNamespace(fallback: string, readFile: (path: string) => string | undefined): string {
  const fromMount = readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace');
  return fromMount?.trim() || fallback;
}
