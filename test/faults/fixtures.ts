// What the fault suites share: the cluster suites' operator fixtures (test/support/operator.ts: clients, sample
// DeviceClasses bound to the default fleet's kwok nodes, the sample SpecDecodeDeployment, an in-process operator),
// with class names prefixed "f-", and readers of what the operator owns.
import { classNames as sampleClassNames, type Classes } from '../support/operator.js';
import { apps, core, readSdd } from '../support/operator.js';

export {
  apps,
  batch,
  condition,
  core,
  createClasses,
  custom,
  deleteClasses,
  deployment,
  LABEL,
  operatorConfig,
  readSdd,
  sddRef,
  stopOperator,
  waitForCondition,
  type Classes,
} from '../support/operator.js';

export const classNames = (): Classes => sampleClassNames('f');

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
