// The controller's view of the cluster. The reconciler depends on these interfaces only, so it can be unit-tested
// against an in-memory fake (test/unit/controller/fake-cluster.ts) while src/k8s implements them for real.

/** Any Kubernetes object as plain JSON: the shape the apiserver sends and the builders produce. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Identifies one object: its type and, for namespaced kinds, its namespace. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** A resource type the operator reads or writes, with what the REST path needs. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** Lower-case plural used in REST paths (e.g. daemonsets). */
  plural: string;
  namespaced: boolean;
}

/** Why an API call failed, mapped once from HTTP codes (src/k8s/errors.ts) so callers never compare numbers. */
export type ApiErrorReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'AlreadyExists'
  | 'Gone'
  | 'Invalid'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'ServerError'
  | 'Unavailable'
  | 'Timeout'
  | 'Unknown';

export class ApiError extends Error {
  constructor(
    readonly reason: ApiErrorReason,
    readonly code: number,
    message: string,
    /** The apiserver's Status.details.causes messages, for Invalid. */
    readonly causes: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth retrying with backoff: the request may succeed unchanged later. */
  get retriable(): boolean {
    return (
      this.reason === 'Conflict' ||
      this.reason === 'TooManyRequests' ||
      this.reason === 'ServerError' ||
      this.reason === 'Unavailable' ||
      this.reason === 'Timeout' ||
      this.reason === 'Unknown'
    );
  }
}

export function isApiError(err: unknown, reason?: ApiErrorReason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}

/** Writes to the cluster. Every method is idempotent. */
export interface ClusterWriter {
  /** Server-side apply of the whole object under the operator's field manager, forcing ownership. */
  apply<T extends KubeObject>(desired: T): Promise<T>;
  /**
   * Server-side apply of the status subresource of one of our custom resources. Only apiVersion, kind, name,
   * namespace and status are sent, so this never touches spec or metadata.
   */
  applyStatus<T extends KubeObject & { status?: unknown }>(object: T): Promise<T>;
  /**
   * Creates the object unless one of that name exists (then resolves to undefined and leaves it untouched).
   * For objects whose spec is immutable or shared by several owners, such as profiling Jobs.
   */
  createIfAbsent<T extends KubeObject>(object: T): Promise<T | undefined>;
  /** Deletes with background propagation; an object already gone counts as success. */
  delete(ref: ObjectRef): Promise<void>;
}

/** A read-only view of an informer's cache. */
export interface CacheReader<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  hasSynced(): boolean;
}

export type EventType = 'Normal' | 'Warning';

/** Events about an object (events.k8s.io/v1). Repeats are aggregated by the implementation. */
export interface EventRecorder {
  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}

/** The fields of a coordination.k8s.io Lease that leader election uses; times in epoch milliseconds. */
export interface LeaseRecord {
  holderIdentity: string | undefined;
  leaseDurationSeconds: number;
  acquireTime: number | undefined;
  renewTime: number | undefined;
  leaseTransitions: number;
  /** Opaque; an update with a stale value fails with ApiError Conflict. */
  resourceVersion?: string;
}

/** Storage for one Lease. get returns undefined when absent; create and update fail with Conflict/AlreadyExists. */
export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

/** Counts requests to the apiserver; the k8s layer calls it for every request (watch streams included). */
export type ApiRequestObserver = (verb: string, resource: string, code: number) => void;
