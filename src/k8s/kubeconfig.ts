// client-node's KubeConfig, for what needs all of it: exec and auth-provider plugins, merged KUBECONFIG lists,
// proxies, impersonation, and the process kubelet (which exports kubeconfigs). Loading client-node costs about
// 75 MiB of RSS (its generated API models), so the operator reaches it only through connection.ts, and only when
// the kubeconfig needs it.
import { KubeConfig } from '@kubernetes/client-node';
import type { ConnectionOptions } from './client.js';

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
