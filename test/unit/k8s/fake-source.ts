// A scriptable list/watch transport for Reflector tests: each watch call opens a stream the test drives.
import { ApiError, type KubeObject } from '../../../src/controller/ports.js';
import type { ListSnapshot, ReflectorSource, ReflectorWatchEvent } from '../../../src/k8s/reflector.js';

export interface FakeStream {
  resourceVersion: string;
  push(event: ReflectorWatchEvent<KubeObject>): void;
  end(): void;
  fail(error: unknown): void;
  aborted: boolean;
}

export class FakeSource implements ReflectorSource<KubeObject> {
  lists = 0;
  streams: FakeStream[] = [];
  snapshot: ListSnapshot<KubeObject> = { items: [], resourceVersion: '1' };
  listError: unknown;

  async list(): Promise<ListSnapshot<KubeObject>> {
    this.lists += 1;
    if (this.listError) {
      const error = this.listError;
      throw error;
    }
    return { items: [...this.snapshot.items], resourceVersion: this.snapshot.resourceVersion };
  }

  watch(
    resourceVersion: string,
    onEvent: (event: ReflectorWatchEvent<KubeObject>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream: FakeStream = {
        resourceVersion,
        aborted: false,
        push: (event) => onEvent(event),
        end: () => resolve(),
        fail: (error) => reject(error),
      };
      signal.addEventListener('abort', () => {
        stream.aborted = true;
        reject(new ApiError('Timeout', 0, 'aborted'));
      });
      this.streams.push(stream);
    });
  }

  get current(): FakeStream {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('No watch opened yet');
    return stream;
  }
}

export function pod(name: string, resourceVersion: string, namespace = 'ns'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, resourceVersion } };
}
