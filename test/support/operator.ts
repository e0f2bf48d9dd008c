// What the cluster suites (integration and faults) share to run the operator against the local control plane:
// API clients, DeviceClasses bound to the fleet's nodes (unique names per suite, removed after), the sample
// SpecDecodeDeployment, reading it and waiting for its conditions, and an in-process operator's configuration.
import { randomBytes } from 'node:crypto';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type SpecDecodeDeployment } from '../../src/api/types.js';
import { DEVICE_CLASS_LABEL } from '../../src/catalog/index.js';
import type { OperatorConfig, RunningOperator } from '../../src/controller/operator.js';
import { silentLogger } from '../../src/observability/log.js';
import { kubeconfigPath } from './cluster.js';
import { installCrds } from './crds.js';
import { deviceClass } from './device-classes.js';
import { eventually, testKubeConfig } from './namespace.js';

export const LABEL = DEVICE_CLASS_LABEL;
export const TEST_IMAGE = 'ghcr.io/configspec/configspec:test';
export const core = () => testKubeConfig().makeApiClient(CoreV1Api);
export const apps = () => testKubeConfig().makeApiClient(AppsV1Api);
export const batch = () => testKubeConfig().makeApiClient(BatchV1Api);
export const custom = () => testKubeConfig().makeApiClient(CustomObjectsApi);

/** The sample's three classes: two edge classes and a verifier class. */
export interface Classes {
  pi5: string;
  orin: string;
  gpu: string;
}

/** Fleet node label (configspec.io/device-class) each sample class selects. */
export const SAMPLE_NODES: Record<keyof Classes, string> = {
  pi5: 'raspberry-pi-5',
  orin: 'jetson-orin-nano',
  gpu: 'nvidia-a100-80gb',
};

/** Unique names for the sample classes: `<prefix>-<random>-pi5`, `-orin`, `-a100`. */
export function classNames(prefix: string): Classes {
  const suffix = randomBytes(3).toString('hex');
  return { pi5: `${prefix}-${suffix}-pi5`, orin: `${prefix}-${suffix}-orin`, gpu: `${prefix}-${suffix}-a100` };
}

/** Installs the CRDs and creates DeviceClasses: [name, role, node label (or a whole node selector)]. */
export async function createDeviceClasses(
  list: readonly (readonly [string, 'Edge' | 'Verifier', string | Record<string, string>])[],
): Promise<void> {
  installCrds();
  for (const [name, role, nodes] of list) {
    await custom().createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'deviceclasses',
      body: deviceClass(name, role, nodes),
    });
  }
}

/** The sample classes given (all three, or some), each on its fleet nodes (SAMPLE_NODES). */
export async function createClasses(classes: Partial<Classes>): Promise<void> {
  await createDeviceClasses(
    (Object.entries(classes) as [keyof Classes, string][]).map(
      ([key, name]) => [name, key === 'gpu' ? 'Verifier' : 'Edge', SAMPLE_NODES[key]] as const,
    ),
  );
}

/** Deletes DeviceClasses by name (those already gone are fine). */
export async function deleteClasses(classes: object | readonly string[]): Promise<void> {
  for (const name of (Array.isArray(classes) ? classes : Object.values(classes)) as string[]) {
    await custom()
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'deviceclasses', name })
      .catch(() => {});
  }
}

/**
 * The sample SpecDecodeDeployment: qwen2.5-7b verified on `gpu`, qwen2.5-0.5b drafted (Q4_K_M and Q8_0) on the
 * edge classes, Pinned at K=3, no profiling. `change` edits the spec before it is returned.
 */
export function sampleDeployment(
  namespace: string,
  name: string,
  classes: { gpu: string; edge: readonly string[] },
  change: (spec: Record<string, unknown>) => void = () => {},
): object {
  const spec: Record<string, unknown> = {
    target: {
      model: { name: 'qwen2.5-7b-instruct' },
      verifier: { deviceClass: classes.gpu, replicas: 1, gpusPerReplica: 1 },
    },
    drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] }],
    speculation: { k: { min: 1, max: 8 } },
    edge: { deviceClasses: [...classes.edge] },
    objective: { maximize: 'Goodput' },
    policy: { mode: 'Pinned', pinned: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 3 } },
    profiling: { mode: 'Never' },
  };
  change(spec);
  return { apiVersion: API_VERSION, kind: 'SpecDecodeDeployment', metadata: { name, namespace }, spec };
}

/** The sample deployment on the sample classes (both edge classes). */
export function deployment(
  namespace: string,
  name: string,
  classes: Classes,
  change?: (spec: Record<string, unknown>) => void,
): object {
  return sampleDeployment(namespace, name, { gpu: classes.gpu, edge: [classes.pi5, classes.orin] }, change);
}

export const sddRef = (namespace: string, name: string) => ({
  group: GROUP,
  version: VERSION,
  namespace,
  plural: 'specdecodedeployments',
  name,
});

export async function readSdd(namespace: string, name: string): Promise<SpecDecodeDeployment> {
  return (await custom().getNamespacedCustomObject(sddRef(namespace, name))) as SpecDecodeDeployment;
}

export function condition(sdd: SpecDecodeDeployment, type: string) {
  return sdd.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the deployment's condition `type` has `status` (and `reason`, when given); returns the deployment. */
export async function waitForCondition(
  namespace: string,
  name: string,
  type: string,
  status: 'True' | 'False',
  timeoutMs = 120_000,
  reason?: string,
): Promise<SpecDecodeDeployment> {
  return eventually(
    `${name}: ${type}=${status}${reason ? ` (${reason})` : ''}`,
    async () => {
      const sdd = await readSdd(namespace, name);
      const c = condition(sdd, type);
      return c?.status === status && (reason === undefined || c.reason === reason) ? sdd : undefined;
    },
    timeoutMs,
  );
}

/** Leader election on a Lease with client-go's default timings (15 s, 10 s, 2 s). */
export function leaderElection(identity: string, leaseName = 'configspec-operator'): OperatorConfig['leaderElection'] {
  return {
    enabled: true,
    leaseName,
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  };
}

/**
 * An in-process operator watching `namespace` (its Jobs and Lease there too), with the admin kubeconfig, a 15 s
 * resync, no leader election and no logs unless overridden.
 */
export function operatorConfig(namespace: string, overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  return {
    connection: { kubeconfig: kubeconfigPath() },
    watchNamespace: namespace,
    operatorNamespace: namespace,
    image: TEST_IMAGE,
    httpHost: '127.0.0.1',
    httpPort: 0,
    concurrency: 2,
    resyncIntervalMs: 15_000,
    leaderElection: { enabled: false },
    log: silentLogger,
    ...overrides,
  };
}

export async function stopOperator(operator: RunningOperator | undefined): Promise<void> {
  if (!operator) return;
  operator.shutdown();
  await operator.done;
}
