// The pods of one node, for the node cache agent's definition of "in use": a cached model pinned by a pod stays
// while that pod exists. Needs `list pods` (cluster-wide, narrowed by a field selector on spec.nodeName).
import type { KubeObject } from '../controller/ports.js';
import { connect } from './client.js';
import type { ListPage, RestClient } from './rest.js';

/** UIDs of the pods bound to `nodeName` that have not finished (Succeeded/Failed pods use nothing). */
export async function podUidsOnNode(rest: RestClient, nodeName: string): Promise<Set<string>> {
  const page = await rest.request<ListPage<KubeObject & { status?: { phase?: string } }>>({
    method: 'GET',
    path: '/api/v1/pods',
    query: { fieldSelector: `spec.nodeName=${nodeName}` },
    verb: 'list',
    resource: 'pods',
  });
  return new Set(
    page.items
      .filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
      .map((pod) => pod.metadata.uid)
      .filter((uid): uid is string => typeof uid === 'string'),
  );
}

/** A live-pods function for the node cache: undefined (unknown) whenever the API server cannot answer. */
export function livePodsFromCluster(
  nodeName: string,
  rest: RestClient = connect(),
): () => Promise<Set<string> | undefined> {
  return () => podUidsOnNode(rest, nodeName).catch(() => undefined);
}
