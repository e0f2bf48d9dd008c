// Writes through server-side apply under one field manager, so the operator owns exactly the fields its
// builders set and a second apply of an unchanged object is a no-op on the server (no new resourceVersion).
import { isApiError, type ClusterWriter, type KubeObject, type ObjectRef } from '../controller/ports.js';
import { resourcePath, resourceTypeOf } from './resources.js';
import type { RestClient } from './rest.js';

export const FIELD_MANAGER = 'configspec-operator';
const APPLY_PATCH = 'application/apply-patch+yaml';

export class ServerSideApplier implements ClusterWriter {
  constructor(
    private readonly rest: RestClient,
    private readonly fieldManager: string = FIELD_MANAGER,
  ) {}

  async apply<T extends KubeObject>(desired: T): Promise<T> {
    const type = resourceTypeOf(desired);
    // A resourceVersion in an apply body turns it into a conditional update; desired state never carries one.
    const { resourceVersion: _ignored, ...metadata } = desired.metadata;
    return this.rest.request<T>({
      method: 'PATCH',
      path: resourcePath(type, desired.metadata.namespace, desired.metadata.name),
      query: { fieldManager: this.fieldManager, force: true },
      body: { ...desired, metadata },
      contentType: APPLY_PATCH,
      verb: 'apply',
      resource: type.plural,
    });
  }

  async applyStatus<T extends KubeObject & { status?: unknown }>(object: T): Promise<T> {
    const type = resourceTypeOf(object);
    const { name, namespace } = object.metadata;
    // Only identity and status: anything else in the body would be ignored at best and claimed at worst.
    const body = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: namespace === undefined ? { name } : { name, namespace },
      status: object.status ?? {},
    };
    return this.rest.request<T>({
      method: 'PATCH',
      path: `${resourcePath(type, namespace, name)}/status`,
      query: { fieldManager: this.fieldManager, force: true },
      body,
      contentType: APPLY_PATCH,
      verb: 'apply',
      resource: `${type.plural}/status`,
    });
  }

  async createIfAbsent<T extends KubeObject>(object: T): Promise<T | undefined> {
    const type = resourceTypeOf(object);
    try {
      return await this.rest.request<T>({
        method: 'POST',
        path: resourcePath(type, object.metadata.namespace),
        query: { fieldManager: this.fieldManager },
        body: object,
        verb: 'create',
        resource: type.plural,
      });
    } catch (err) {
      if (isApiError(err, 'AlreadyExists')) return undefined;
      throw err;
    }
  }

  async delete(ref: ObjectRef): Promise<void> {
    const type = resourceTypeOf(ref);
    try {
      await this.rest.request({
        method: 'DELETE',
        path: resourcePath(type, ref.namespace, ref.name),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
        verb: 'delete',
        resource: type.plural,
      });
    } catch (err) {
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }
}
