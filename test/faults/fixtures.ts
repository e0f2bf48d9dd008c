// Objects the fault tests create: DeviceClasses bound to the default fleet's kwok nodes (unique names per suite,
// cleaned up after), a SpecDecodeDeployment, an in-process operator, and readers of what the operator owns.
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type SpecDecodeDeployment } from '../../src/api/types.js';
import { type OperatorConfig, type RunningOperator } from '../../src/controller/operator.js';
import { silentLogger } from '../../src/observability/log.js';
import { kubeconfigPath } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';
import { eventually, testKubeConfig } from '../support/namespace.js';
import { deviceClass } from '../support/device-classes.js';

export const LABEL = 'configspec.io/device-class';
export const config = () => testKubeConfig();
export const core = () => config().makeApiClient(CoreV1Api);
export const apps = () => config().makeApiClient(AppsV1Api);
export const custom = () => config().makeApiClient(CustomObjectsApi);

export interface Classes {
  pi5: string;
  orin: string;
  gpu: string;
}

export function classNames(): Classes {
  const suffix = randomBytes(3).toString('hex');
  return { pi5: `f-${suffix}-pi5`, orin: `f-${suffix}-orin`, gpu: `f-${suffix}-a100` };
}

export async function createClasses(classes: Classes): Promise<void> {
  installCrds();
  for (const [name, role, label] of [
    [classes.pi5, 'Edge', 'raspberry-pi-5'],
    [classes.orin, 'Edge', 'jetson-orin-nano'],
    [classes.gpu, 'Verifier', 'nvidia-a100-80gb'],
  ] as const) {
    await custom().createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'deviceclasses',
      body: deviceClass(name, role, label),
    });
  }
}

export async function deleteClasses(classes: Classes): Promise<void> {
  for (const name of Object.values(classes)) {
    await custom()
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'deviceclasses', name })
      .catch(() => {});
  }
}

export function deployment(
  namespace: string,
  name: string,
  classes: Classes,
  change: (spec: Record<string, unknown>) => void = () => {},
): object {
  const spec: Record<string, unknown> = {
    target: {
      model: { name: 'qwen2.5-7b-instruct' },
      verifier: { deviceClass: classes.gpu, replicas: 1, gpusPerReplica: 1 },
    },
    drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] }],
    speculation: { k: { min: 1, max: 8 } },
    edge: { deviceClasses: [classes.pi5, classes.orin] },
    objective: { maximize: 'Goodput' },
    policy: { mode: 'Pinned', pinned: { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M', k: 3 } },
    profiling: { mode: 'Never' },
  };
  change(spec);
  return { apiVersion: API_VERSION, kind: 'SpecDecodeDeployment', metadata: { name, namespace }, spec };
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

export function operatorConfig(namespace: string, overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  return {
    connection: { kubeconfig: kubeconfigPath() },
    watchNamespace: namespace,
    operatorNamespace: namespace,
    image: 'ghcr.io/configspec/configspec:test',
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

/** The serving objects the operator owns for deployment `name` (verifier and drafters), as "Kind/name" sorted. */
export async function ownedObjects(namespace: string, name: string): Promise<string[]> {
  const labelSelector = `app.kubernetes.io/instance=${name},app.kubernetes.io/component in (verifier,drafter)`;
  const [deployments, daemonSets, configMaps, services] = await Promise.all([
    apps().listNamespacedDeployment({ namespace, labelSelector }),
    apps().listNamespacedDaemonSet({ namespace, labelSelector }),
    core().listNamespacedConfigMap({ namespace, labelSelector }),
    core().listNamespacedService({ namespace, labelSelector }),
  ]);
  return [
    ...deployments.items.map((o) => `Deployment/${o.metadata?.name}`),
    ...daemonSets.items.map((o) => `DaemonSet/${o.metadata?.name}`),
    ...configMaps.items.map((o) => `ConfigMap/${o.metadata?.name}`),
    ...services.items.map((o) => `Service/${o.metadata?.name}`),
  ].sort();
}

export function expectedOwned(name: string, classes: Classes): string[] {
  return [
    `ConfigMap/${name}-k-${classes.orin}`,
    `ConfigMap/${name}-k-${classes.pi5}`,
    `DaemonSet/${name}-draft-${classes.orin}`,
    `DaemonSet/${name}-draft-${classes.pi5}`,
    `Deployment/${name}-verifier`,
    `Service/${name}-verifier`,
  ].sort();
}

/**
 * Watches a deployment's status by polling and records every version seen, so a test can assert that status
 * never went backwards (observedGeneration, a condition's lastTransitionTime) across a fault.
 */
export class StatusRecorder {
  readonly seen: {
    at: number;
    resourceVersion: string;
    observedGeneration?: number;
    conditions: Record<string, { status: string; lastTransitionTime: string }>;
  }[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const sdd = await readSdd(this.namespace, this.name);
          const last = this.seen.at(-1);
          if (last?.resourceVersion !== sdd.metadata.resourceVersion) {
            this.seen.push({
              at: Date.now(),
              resourceVersion: sdd.metadata.resourceVersion ?? '',
              observedGeneration: sdd.status?.observedGeneration,
              conditions: Object.fromEntries(
                (sdd.status?.conditions ?? []).map((c) => [
                  c.type,
                  { status: c.status, lastTransitionTime: c.lastTransitionTime },
                ]),
              ),
            });
          }
        } catch {
          // The apiserver is away: exactly what is being tested; keep polling.
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Problems: observedGeneration decreasing, or a condition's lastTransitionTime moving back in time. */
  regressions(): string[] {
    const problems: string[] = [];
    for (let i = 1; i < this.seen.length; i++) {
      const before = this.seen[i - 1]!;
      const after = this.seen[i]!;
      if ((after.observedGeneration ?? 0) < (before.observedGeneration ?? 0)) {
        problems.push(`observedGeneration ${before.observedGeneration} → ${after.observedGeneration}`);
      }
      for (const [type, c] of Object.entries(after.conditions)) {
        const old = before.conditions[type];
        if (old && Date.parse(c.lastTransitionTime) < Date.parse(old.lastTransitionTime)) {
          problems.push(`${type}.lastTransitionTime ${old.lastTransitionTime} → ${c.lastTransitionTime}`);
        }
      }
      if (before.observedGeneration !== undefined && after.observedGeneration === undefined) {
        problems.push('status lost its observedGeneration');
      }
    }
    return problems;
  }
}
