// An in-memory cluster for reconciler tests: the writer and the informer caches over one store. Apply models a
// single field manager's server-side apply (the applied fields replace the previous ones; server-set metadata
// and status survive; the server fills in a few defaults; nothing changes when nothing differs). Real apiserver
// behaviour is proven by the integration tests; this fake only has to be honest about what it models.
import type { ClusterCache } from '../../../src/controller/cache.js';
import { jsonEqual } from '../../../src/controller/drift.js';
import type {
  CacheReader,
  ClusterWriter,
  EventRecorder,
  EventType,
  KubeObject,
  ObjectRef,
} from '../../../src/controller/ports.js';

export interface Write {
  verb: 'apply' | 'applyStatus' | 'create' | 'delete';
  kind: string;
  name: string;
  namespace?: string;
}

const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

export class FakeCluster implements ClusterWriter {
  private readonly objects = new Map<string, KubeObject>();
  private version = 1;
  private uids = 1;
  readonly writes: Write[] = [];

  /** Puts an object in place as if created earlier by someone else; not counted as a write. */
  seed<T extends object>(object: T): T {
    const o = object as unknown as KubeObject;
    const stored = {
      ...o,
      metadata: {
        uid: `uid-${this.uids++}`,
        generation: 1,
        ...o.metadata,
        resourceVersion: String(this.version++),
      },
    };
    this.objects.set(keyOf(o.kind, o.metadata.namespace, o.metadata.name), stored);
    return stored as unknown as T;
  }

  get<T = KubeObject>(kind: string, name: string, namespace?: string): T | undefined {
    return this.objects.get(keyOf(kind, namespace, name)) as T | undefined;
  }

  list<T = KubeObject>(kind: string): T[] {
    return [...this.objects.values()].filter((o) => o.kind === kind) as T[];
  }

  /** Mutates a stored object as another actor would (a user edit, a controller's status). */
  update(kind: string, name: string, namespace: string | undefined, change: (o: KubeObject) => void): void {
    const object = this.objects.get(keyOf(kind, namespace, name));
    if (!object) throw new Error(`No ${kind} ${namespace}/${name}`);
    const copy = structuredClone(object);
    change(copy);
    copy.metadata.resourceVersion = String(this.version++);
    this.objects.set(keyOf(kind, namespace, name), copy);
  }

  /** Puts back an earlier copy exactly (resourceVersion included), as a lagging informer cache would show it. */
  restore(object: KubeObject): void {
    this.objects.set(keyOf(object.kind, object.metadata.namespace, object.metadata.name), structuredClone(object));
  }

  remove(kind: string, name: string, namespace?: string): void {
    this.objects.delete(keyOf(kind, namespace, name));
  }

  async apply<T extends KubeObject>(desired: T): Promise<T> {
    this.writes.push({
      verb: 'apply',
      kind: desired.kind,
      name: desired.metadata.name,
      namespace: desired.metadata.namespace,
    });
    const key = keyOf(desired.kind, desired.metadata.namespace, desired.metadata.name);
    const existing = this.objects.get(key);
    const next = withServerDefaults(structuredClone(desired) as KubeObject);
    next.metadata = {
      ...next.metadata,
      uid: existing?.metadata.uid ?? `uid-${this.uids++}`,
      generation: existing?.metadata.generation ?? 1,
      resourceVersion: existing?.metadata.resourceVersion ?? '',
    };
    if (existing?.status !== undefined) next.status = existing.status;
    if (existing && jsonEqual(next, existing)) return existing as T;
    if (existing && !jsonEqual(next.spec, existing.spec))
      next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(this.version++);
    this.objects.set(key, next);
    return next as T;
  }

  async createIfAbsent<T extends KubeObject>(object: T): Promise<T | undefined> {
    this.writes.push({
      verb: 'create',
      kind: object.kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace,
    });
    if (this.objects.has(keyOf(object.kind, object.metadata.namespace, object.metadata.name))) return undefined;
    return this.seed(object);
  }

  async applyStatus<T extends KubeObject & { status?: unknown }>(object: T): Promise<T> {
    this.writes.push({
      verb: 'applyStatus',
      kind: object.kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace,
    });
    const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    if (!existing) throw new Error(`No ${object.kind} ${object.metadata.name} to update status of`);
    // Through JSON, as the apiserver stores it: undefined fields vanish.
    const next = { ...existing, status: JSON.parse(JSON.stringify(object.status)) };
    next.metadata = { ...existing.metadata, resourceVersion: String(this.version++) };
    this.objects.set(key, next);
    return next as T;
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.writes.push({ verb: 'delete', kind: ref.kind, name: ref.name, namespace: ref.namespace });
    this.objects.delete(keyOf(ref.kind, ref.namespace, ref.name));
  }

  reader<T>(kind: string, labelSelector: Record<string, string> = {}): CacheReader<T> {
    const matches = (o: KubeObject) => Object.entries(labelSelector).every(([k, v]) => o.metadata.labels?.[k] === v);
    return {
      get: (name, namespace) => {
        const o = this.objects.get(keyOf(kind, namespace, name));
        return o && matches(o) ? (o as T) : undefined;
      },
      list: (namespace) =>
        [...this.objects.values()].filter(
          (o) => o.kind === kind && matches(o) && (namespace === undefined || o.metadata.namespace === namespace),
        ) as T[],
      hasSynced: () => true,
    };
  }

  cache(): ClusterCache {
    const managed = { 'app.kubernetes.io/managed-by': 'configspec-operator' };
    return {
      specDecodeDeployments: this.reader('SpecDecodeDeployment'),
      deviceClasses: this.reader('DeviceClass'),
      draftProfiles: this.reader('DraftProfile'),
      alignmentProfiles: this.reader('AlignmentProfile'),
      nodes: this.reader('Node'),
      deployments: this.reader('Deployment', managed),
      daemonSets: this.reader('DaemonSet', managed),
      jobs: this.reader('Job', managed),
      configMaps: this.reader('ConfigMap', managed),
      services: this.reader('Service', managed),
    };
  }

  writesSince(mark: number): Write[] {
    return this.writes.slice(mark);
  }
}

/** A few defaults the apiserver adds, so tests prove the drift check tolerates them. */
function withServerDefaults(object: KubeObject): KubeObject {
  const spec = object.spec as
    { template?: { spec?: Record<string, unknown> }; revisionHistoryLimit?: number } | undefined;
  if (spec?.template?.spec) {
    spec.template.spec.dnsPolicy ??= 'ClusterFirst';
    spec.template.spec.schedulerName ??= 'default-scheduler';
  }
  if (object.kind === 'DaemonSet' || object.kind === 'Deployment') spec!.revisionHistoryLimit ??= 10;
  if (object.kind === 'Service') (object.spec as Record<string, unknown>).clusterIP ??= '10.96.0.10';
  return object;
}

export class RecordingEvents implements EventRecorder {
  readonly events: { type: EventType; reason: string; note: string }[] = [];
  record(_regarding: KubeObject, type: EventType, reason: string, _action: string, note: string): void {
    this.events.push({ type, reason, note });
  }
}
