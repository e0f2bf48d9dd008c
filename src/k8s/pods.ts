// Discovery of the serving pods for the closed loop: a Pod informer (list, then watch) over the pods the
// operator's drafter DaemonSets and verifier Deployments run, narrowed on the server by a label selector
// (src/controller/serving-scraper.ts SERVING_POD_SELECTOR) and, with --namespace, to the watched namespace.
// The cache keeps a slim view of each pod (identity, labels, the containers' args and ports, IP, phase and
// conditions): a fleet of thousands of drafter pods then costs a few hundred bytes each, not a full pod object.
// Needs `get, list, watch` on pods (src/planner/rbac.ts); nothing here reads anything else of a pod.
import type { KubeObject } from '../controller/ports.js';
import type { PodView } from '../controller/serving-scraper.js';
import { restSource, type InformerSelection } from './informers.js';
import { Reflector, type ReflectorOptions, type ReflectorSource, type ReflectorWatchEvent } from './reflector.js';
import { RESOURCES } from './resources.js';
import type { RestClient } from './rest.js';

export type ServingPod = PodView & KubeObject;

interface FullPod {
  metadata?: ServingPod['metadata'] & Record<string, unknown>;
  spec?: { containers?: { name: string; args?: string[]; ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** The fields of a pod the scraper reads; everything else is dropped before the object reaches the cache. */
export function slimPod(object: unknown): ServingPod {
  const pod = object as FullPod;
  const m = pod.metadata ?? ({ name: '' } as ServingPod['metadata']);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: m.name,
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels !== undefined ? { labels: m.labels } : {}),
      ...(m.deletionTimestamp !== undefined ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      containers: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        ...(c.args ? { args: c.args } : {}),
        ...(c.ports ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort })) } : {}),
      })),
    },
    status: {
      ...(pod.status?.phase !== undefined ? { phase: pod.status.phase } : {}),
      ...(pod.status?.podIP !== undefined ? { podIP: pod.status.podIP } : {}),
      conditions: (pod.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status })),
    },
  };
}

/** A ReflectorSource that slims every listed and watched pod. */
export function slimPodSource(source: ReflectorSource<KubeObject>): ReflectorSource<ServingPod> {
  return {
    async list(signal) {
      const snapshot = await source.list(signal);
      return { items: snapshot.items.map(slimPod), resourceVersion: snapshot.resourceVersion };
    },
    watch(resourceVersion, onEvent, signal) {
      return source.watch(
        resourceVersion,
        (event) =>
          onEvent(
            (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED'
              ? { type: event.type, object: slimPod(event.object) }
              : event) as ReflectorWatchEvent<ServingPod>,
          ),
        signal,
      );
    },
  };
}

export function makeServingPodInformer(
  rest: RestClient,
  selection: InformerSelection & { labelSelector: string },
  options: Omit<ReflectorOptions, 'name'>,
): Reflector<ServingPod> {
  return new Reflector<ServingPod>(slimPodSource(restSource<KubeObject>(rest, RESOURCES.pod, selection)), {
    name: 'pods',
    ...options,
  });
}
