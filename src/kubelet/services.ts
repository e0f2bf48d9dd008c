// Where a Service's traffic would go: the address of a ready pod behind it, found from the Service's selector and
// the pods themselves (pod IPs here are loopback addresses, which EndpointSlices may not hold). Pure.
import { isPodReady, type Pod } from './pod-spec.js';

export interface ServiceView {
  metadata: { name: string; namespace?: string };
  spec?: {
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    /** Local: only pods on the caller's own node (as kube-proxy does for node agents). */
    internalTrafficPolicy?: 'Cluster' | 'Local';
  };
}

export function serviceAddress(
  service: ServiceView | undefined,
  pods: readonly Pod[],
  port: number,
  callerNode: string,
): string | undefined {
  const selector = service?.spec?.selector;
  if (!service || !selector || Object.keys(selector).length === 0) return undefined;
  const servicePort = service.spec?.ports?.find((p) => p.port === port);
  if (!servicePort) return undefined;
  const backends = pods
    .filter((pod) => (pod.metadata.namespace ?? 'default') === (service.metadata.namespace ?? 'default'))
    .filter((pod) => Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value))
    .filter((pod) => !pod.metadata.deletionTimestamp && pod.status?.podIP && isPodReady(pod))
    .filter((pod) => service.spec?.internalTrafficPolicy !== 'Local' || pod.spec.nodeName === callerNode)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of backends) {
    const target = servicePort.targetPort ?? servicePort.port;
    const containerPort =
      typeof target === 'number'
        ? target
        : pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
    if (containerPort !== undefined) return `${pod.status!.podIP}:${containerPort}`;
  }
  return undefined;
}
