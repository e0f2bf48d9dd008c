// What the informers' source hands the cache: objects as listed or watched, minus metadata.managedFields.
import type { KubeObject } from '../../../src/controller/ports.js';
import { restSource, withoutManagedFields } from '../../../src/k8s/informers.js';
import { RESOURCES } from '../../../src/k8s/resources.js';
import type { RestRequest, WatchEventLine } from '../../../src/k8s/rest.js';
import { RecordingRest } from './recording-rest.js';

const managed = {
  name: 'a',
  namespace: 'ns',
  resourceVersion: '7',
  labels: { x: 'y' },
  managedFields: [{ manager: 'configspec-operator', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
};

describe('informer source', () => {
  it('drops managedFields from listed objects and keeps everything else', async () => {
    const rest = new RecordingRest();
    rest.respond = () => ({ items: [{ metadata: managed, data: { k: '4' } }], metadata: { resourceVersion: '9' } });
    const listed = await restSource<KubeObject>(rest, RESOURCES.configMap).list(new AbortController().signal);
    expect(listed.items).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: 'ns', resourceVersion: '7', labels: { x: 'y' } },
        data: { k: '4' },
      },
    ]);
  });

  it('drops managedFields from watched objects', async () => {
    const rest = new RecordingRest();
    rest.watch = async (_req: RestRequest, onEvent: (event: WatchEventLine) => void) => {
      onEvent({ type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: managed } as KubeObject });
    };
    const seen: unknown[] = [];
    await restSource<KubeObject>(rest, RESOURCES.configMap).watch(
      '7',
      (e) => seen.push(e),
      new AbortController().signal,
    );
    expect(seen).toEqual([
      {
        type: 'MODIFIED',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a', namespace: 'ns', resourceVersion: '7', labels: { x: 'y' } },
        },
      },
    ]);
  });

  it('leaves objects without managedFields (bookmarks, Status) as they are', () => {
    const bookmark = { metadata: { resourceVersion: '9' } };
    expect(withoutManagedFields(bookmark)).toBe(bookmark);
    expect(withoutManagedFields(undefined)).toBeUndefined();
  });
});
