// Per-suite isolation: each suite gets its own namespace, named after the suite plus a random suffix, created
// before its tests and deleted after them (the controller-manager finishes the deletion in the background).
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { kubeconfigPath } from './cluster.js';

export const TEST_SUITE_LABEL = 'configspec.io/test-suite';

/** A client configuration for the local test cluster (never the user's default kubeconfig). */
export function testKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath());
  return config;
}

/** `<prefix>-<random>`, a valid DNS label of at most 63 characters. */
export function uniqueName(prefix: string): string {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return `${base || 'test'}-${randomBytes(4).toString('hex')}`;
}

export interface TestNamespace {
  /** Set once beforeAll has run. */
  readonly name: string;
}

/** Registers beforeAll/afterAll hooks that create and delete a namespace for the calling suite. */
export function useTestNamespace(prefix: string, labels: Record<string, string> = {}): TestNamespace {
  let name: string | undefined;
  const core = () => testKubeConfig().makeApiClient(CoreV1Api);
  beforeAll(async () => {
    const candidate = uniqueName(prefix);
    await core().createNamespace({
      body: { metadata: { name: candidate, labels: { [TEST_SUITE_LABEL]: prefix.slice(0, 63), ...labels } } },
    });
    name = candidate;
  });
  afterAll(async () => {
    if (name !== undefined) await core().deleteNamespace({ name });
  });
  return {
    get name() {
      if (name === undefined) throw new Error('the test namespace exists only inside tests (after beforeAll)');
      return name;
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what` after the timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
