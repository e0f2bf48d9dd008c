import { ApiError } from '../../../src/controller/ports.js';
import { FIELD_MANAGER, ServerSideApplier } from '../../../src/k8s/apply.js';
import { resourcePath, RESOURCES } from '../../../src/k8s/resources.js';
import { RecordingRest } from './recording-rest.js';

describe('ServerSideApplier', () => {
  it('applies the whole object with the apply content type, our field manager and force, never a resourceVersion', async () => {
    const rest = new RecordingRest();
    const applier = new ServerSideApplier(rest);
    await applier.apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: 'ns', resourceVersion: '42' },
      spec: { x: 1 },
    });
    const [req] = rest.requests;
    expect(req).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/ns/daemonsets/d',
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: true },
      verb: 'apply',
      resource: 'daemonsets',
    });
    expect(FIELD_MANAGER).toBe('configspec-operator');
    expect(req?.body).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: 'ns' },
      spec: { x: 1 },
    });
  });

  it('applies status to the status subresource with identity and status only', async () => {
    const rest = new RecordingRest();
    await new ServerSideApplier(rest).applyStatus({
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'SpecDecodeDeployment',
      metadata: { name: 's', namespace: 'ns', labels: { a: 'b' }, resourceVersion: '3' },
      spec: { anything: true },
      status: { observedGeneration: 2 },
    });
    const [req] = rest.requests;
    expect(req?.path).toBe('/apis/configspec.io/v1alpha1/namespaces/ns/specdecodedeployments/s/status');
    expect(req?.resource).toBe('specdecodedeployments/status');
    expect(req?.body).toEqual({
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'SpecDecodeDeployment',
      metadata: { name: 's', namespace: 'ns' },
      status: { observedGeneration: 2 },
    });
  });

  it('applies the status of a cluster-scoped kind without a namespace', async () => {
    const rest = new RecordingRest();
    await new ServerSideApplier(rest).applyStatus({
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'DeviceClass',
      metadata: { name: 'pi5' },
      status: { nodes: 3, readyNodes: 2 },
    });
    expect(rest.requests[0]?.path).toBe('/apis/configspec.io/v1alpha1/deviceclasses/pi5/status');
    expect((rest.requests[0]?.body as { metadata: object }).metadata).toEqual({ name: 'pi5' });
  });

  it('treats deleting an absent object as success and passes other errors on', async () => {
    const rest = new RecordingRest();
    const applier = new ServerSideApplier(rest);
    rest.respond = () => {
      throw new ApiError('NotFound', 404, 'gone');
    };
    await expect(
      applier.delete({ apiVersion: 'batch/v1', kind: 'Job', name: 'j', namespace: 'ns' }),
    ).resolves.toBeUndefined();
    expect(rest.requests[0]?.body).toMatchObject({ propagationPolicy: 'Background' });
    rest.respond = () => {
      throw new ApiError('Forbidden', 403, 'no');
    };
    await expect(applier.delete({ apiVersion: 'batch/v1', kind: 'Job', name: 'j', namespace: 'ns' })).rejects.toThrow(
      'no',
    );
  });

  it('refuses kinds the operator does not handle', async () => {
    await expect(
      new ServerSideApplier(new RecordingRest()).apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }),
    ).rejects.toThrow('does not handle Secret');
  });
});

describe('resourcePath', () => {
  it('builds core, grouped, namespaced and cluster-scoped paths', () => {
    expect(resourcePath(RESOURCES.pod, 'ns')).toBe('/api/v1/namespaces/ns/pods');
    expect(resourcePath(RESOURCES.pod)).toBe('/api/v1/pods');
    expect(resourcePath(RESOURCES.node, undefined, 'n1')).toBe('/api/v1/nodes/n1');
    expect(resourcePath(RESOURCES.lease, 'kube-system', 'l')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l',
    );
    expect(() => resourcePath(RESOURCES.pod, undefined, 'p')).toThrow('namespaced');
  });
});

describe('ServerSideApplier.createIfAbsent', () => {
  it('posts to the collection and treats AlreadyExists as done', async () => {
    const rest = new RecordingRest();
    const applier = new ServerSideApplier(rest);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'ops' }, spec: {} };
    await expect(applier.createIfAbsent(job)).resolves.toEqual(job);
    expect(rest.requests[0]).toMatchObject({
      method: 'POST',
      path: '/apis/batch/v1/namespaces/ops/jobs',
      verb: 'create',
    });
    rest.respond = () => {
      throw new ApiError('AlreadyExists', 409, 'exists');
    };
    await expect(applier.createIfAbsent(job)).resolves.toBeUndefined();
    rest.respond = () => {
      throw new ApiError('Invalid', 422, 'bad');
    };
    await expect(applier.createIfAbsent(job)).rejects.toThrow('bad');
  });
});
