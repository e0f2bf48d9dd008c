// The cluster connection: in-cluster service-account credentials when running in a pod, otherwise the
// kubeconfig ($KUBECONFIG or ~/.kube/config, or an explicit path). ./connection.ts reads the common credentials
// itself and leaves plugins and the rest to client-node's KubeConfig (./kubeconfig.ts), loaded only then.
import type { ApiRequestObserver } from '../controller/ports.js';
import { loadConnection } from './connection.js';
import { KubeRest } from './rest.js';

export interface ConnectionOptions {
  /** Path of a kubeconfig file; wins over in-cluster detection. */
  kubeconfig?: string;
  /** Context to use from the kubeconfig. */
  context?: string;
}

export function connect(options: ConnectionOptions = {}, observe?: ApiRequestObserver): KubeRest {
  return new KubeRest(loadConnection(options), observe);
}

/** The namespace the operator runs in: the pod's own, from the service-account mount, else the fallback. */
export function currentNamespace(fallback: string, readFile: (path: string) => string | undefined): string {
  const fromMount = readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace');
  return fromMount?.trim() || fallback;
}
