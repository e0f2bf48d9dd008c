// The kube-apiserver SIGKILLed while the operator is creating a deployment's objects, etcd compacted while it
// is down (so every watch the operator resumes is answered 410 Gone), then started again: the operator's
// informers reconnect and relist, it converges to Ready with exactly the objects it owns (none twice, the
// verifier rolled out once), and the status it writes never goes backwards.
import { randomBytes } from 'node:crypto';
import type { RunningOperator } from '../../src/controller/operator.js';
import { startOperator } from '../../src/controller/operator.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  apps,
  classNames,
  createClasses,
  custom,
  deleteClasses,
  deployment,
  expectedOwned,
  operatorConfig,
  ownedObjects,
  sddRef,
  StatusRecorder,
  stopOperator,
  waitForCondition,
} from './fixtures.js';
import { assertFaultCluster, compactEtcd, killAndRestartApiserver } from './support.js';

const SLOW = 300_000;
const namespace = useTestNamespace('faults-apiserver', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames();
const NAME = `chat-${randomBytes(2).toString('hex')}`;

describe('apiserver killed and restarted mid-reconcile', () => {
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    assertFaultCluster();
    await createClasses(classes);
  }, SLOW);

  afterAll(async () => {
    await stopOperator(operator);
    await deleteClasses(classes);
  }, SLOW);

  it(
    'reconnects after 410 Gone, converges without duplicates and without status regressions',
    async () => {
      // Leader election on, with a lease long enough to ride out the restart (the default 10 s renew deadline
      // would, correctly, make the operator give up leadership and exit while the apiserver is away).
      operator = await startOperator(
        operatorConfig(namespace.name, {
          leaderElection: {
            enabled: true,
            leaseName: 'faults-apiserver',
            identity: 'faults-apiserver',
            leaseDurationMs: 90_000,
            renewDeadlineMs: 75_000,
            retryPeriodMs: 2_000,
          },
        }),
      );
      await eventually(
        'operator ready',
        async () => operator!.metrics.leader.get().then((m) => m.values[0]?.value === 1),
        60_000,
      );

      const recorder = new StatusRecorder(namespace.name, NAME);
      recorder.start();
      await custom().createNamespacedCustomObject({
        ...sddRef(namespace.name, NAME),
        body: deployment(namespace.name, NAME, classes),
      });
      // Mid-reconcile: the first owned object exists, the rest of the pass is still being written.
      await eventually(
        'the first owned object',
        async () => (await ownedObjects(namespace.name, NAME)).length > 0,
        60_000,
      );
      const goneBefore = await informerErrors(operator, 'Gone');
      await killAndRestartApiserver(3_000, async () => {
        await compactEtcd();
      });

      await waitForCondition(namespace.name, NAME, 'Ready', 'True', 180_000);
      expect(await informerErrors(operator, 'Gone')).toBeGreaterThan(goneBefore);
      expect(await ownedObjects(namespace.name, NAME)).toEqual(expectedOwned(NAME, classes));
      // The verifier Deployment was applied to the same spec each time: one generation, one ReplicaSet.
      const verifier = await apps().readNamespacedDeployment({ name: `${NAME}-verifier`, namespace: namespace.name });
      expect(verifier.metadata?.generation).toBe(1);
      const replicaSets = await apps().listNamespacedReplicaSet({
        namespace: namespace.name,
        labelSelector: `app.kubernetes.io/instance=${NAME}`,
      });
      expect(replicaSets.items).toHaveLength(1);

      // Settled: stays Ready for 10 s more, and nothing in the recorded status history went backwards.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await recorder.stop();
      expect(recorder.seen.at(-1)?.conditions.Ready?.status).toBe('True');
      expect(recorder.regressions()).toEqual([]);
      expect(recorder.seen.length).toBeGreaterThan(0);
    },
    SLOW,
  );
});

async function informerErrors(operator: RunningOperator, reason: string): Promise<number> {
  const metric = await operator.metrics.informerErrors.get();
  return metric.values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}
