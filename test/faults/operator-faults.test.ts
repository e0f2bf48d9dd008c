// The operator against what happens to a running deployment on a real control plane:
//   - objects edited or deleted by hand, and a server-side-apply conflict (409) with another field manager: the
//     operator restores exactly what it owns, keeps what others added, and never writes the user's spec;
//   - an edge node going NotReady and back (kwok stops managing it; its pods turn unready): status.readyNodes
//     follows, DraftsAvailable says which class lags, and the selection does not change (Auto mode, inside the
//     cooldown: no ConfigurationSwitched event, same lastChangeTime);
//   - a verifier outage (its GPU node NotReady): VerifierAvailable=False with the reason, then True again;
//   - deployments that are valid alone but wrong against other objects (unknown DeviceClass, a draft of another
//     tokenizer family, models too large for every device): a condition with a reason and a message saying
//     what to fix.
import { randomBytes } from 'node:crypto';
import type { SpecDecodeDeployment } from '../../src/api/types.js';
import { startOperator, type RunningOperator } from '../../src/controller/operator.js';
import { kubectl } from '../support/cluster.js';
import { eventually, useTestNamespace } from '../support/namespace.js';
import {
  apps,
  classNames,
  condition,
  core,
  createClasses,
  custom,
  deleteClasses,
  deployment,
  expectedOwned,
  operatorConfig,
  ownedObjects,
  readSdd,
  sddRef,
  stopOperator,
  waitForCondition,
} from './fixtures.js';
import { assertFaultCluster, must, nodeNotReady, nodeRestore } from './support.js';

const SLOW = 240_000;
const namespace = useTestNamespace('faults-operator', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames();
const NAME = `chat-${randomBytes(2).toString('hex')}`;

/** Pods of the deployment on a node, marked Ready or not (what the kubelet would report). */
function setPodsReady(node: string, ready: boolean): void {
  const pods = JSON.parse(
    must(kubectl(['get', 'pods', '-n', namespace.name, '--field-selector', `spec.nodeName=${node}`, '-o', 'json'])),
  ) as { items: { metadata: { name: string } }[] };
  const now = new Date().toISOString();
  for (const pod of pods.items) {
    const patch = {
      status: {
        conditions: [
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
        ],
      },
    };
    must(
      kubectl([
        'patch',
        'pod',
        pod.metadata.name,
        '-n',
        namespace.name,
        '--subresource=status',
        '--type=strategic',
        '-p',
        JSON.stringify(patch),
      ]),
    );
  }
}

function takeNodeAway(node: string): void {
  nodeNotReady(node);
  setPodsReady(node, false);
}

function giveNodeBack(node: string): void {
  nodeRestore(node);
  setPodsReady(node, true);
}

const classStatus = (sdd: SpecDecodeDeployment, name: string) =>
  sdd.status?.deviceClasses?.find((c) => c.name === name);

describe('the operator under hand edits, node flaps, a verifier outage and cross-object mistakes', () => {
  let operator: RunningOperator | undefined;
  const nodesTakenAway = new Set<string>();

  beforeAll(async () => {
    assertFaultCluster();
    await createClasses(classes);
    operator = await startOperator(operatorConfig(namespace.name));
    // Auto mode with a long cooldown: a selection must survive a flap.
    await custom().createNamespacedCustomObject({
      ...sddRef(namespace.name, NAME),
      body: deployment(namespace.name, NAME, classes, (spec) => {
        spec.policy = { mode: 'Auto', cooldownSeconds: 3600 };
      }),
    });
    await waitForCondition(namespace.name, NAME, 'Ready', 'True', 180_000);
  }, SLOW);

  afterAll(async () => {
    for (const node of nodesTakenAway) giveNodeBack(node);
    await stopOperator(operator);
    await deleteClasses(classes);
  }, SLOW);

  it(
    'restores what it owns after hand edits and deletions, keeps what others added',
    async () => {
      const ns = namespace.name;
      const cmName = `${NAME}-k-${classes.pi5}`;
      const k = (await core().readNamespacedConfigMap({ name: cmName, namespace: ns })).data!.k!;
      const dsName = `${NAME}-draft-${classes.pi5}`;
      const image = (await apps().readNamespacedDaemonSet({ name: dsName, namespace: ns })).spec!.template.spec!
        .containers[0]!.image;

      // Edits: K by hand, the drafter's image, a label of the user's own on the DaemonSet.
      must(kubectl(['patch', 'configmap', cmName, '-n', ns, '--type=merge', '-p', '{"data":{"k":"99"}}']));
      must(kubectl(['set', 'image', `daemonset/${dsName}`, '-n', ns, `drafter=evil.example/x:1`]));
      must(kubectl(['label', 'daemonset', dsName, '-n', ns, 'team=edge-ops']));
      // Deletions: the verifier Service and the other class's DaemonSet.
      must(kubectl(['delete', 'service', `${NAME}-verifier`, '-n', ns]));
      must(kubectl(['delete', 'daemonset', `${NAME}-draft-${classes.orin}`, '-n', ns]));

      await eventually(
        'K, image and deleted objects restored',
        async () => {
          const cm = await core().readNamespacedConfigMap({ name: cmName, namespace: ns });
          const ds = await apps().readNamespacedDaemonSet({ name: dsName, namespace: ns });
          const owned = await ownedObjects(ns, NAME);
          return (
            cm.data?.k === k &&
            ds.spec?.template.spec?.containers.find((c) => c.name === 'drafter')?.image === image &&
            JSON.stringify(owned) === JSON.stringify(expectedOwned(NAME, classes))
          );
        },
        90_000,
      );
      const ds = await apps().readNamespacedDaemonSet({ name: dsName, namespace: ns });
      expect(ds.metadata?.labels?.team).toBe('edge-ops');
      await waitForCondition(ns, NAME, 'Ready', 'True', 120_000);
    },
    SLOW,
  );

  it(
    'a server-side-apply conflict (409) with another manager: the intruder is refused, and when it forces, restored',
    async () => {
      const ns = namespace.name;
      const cmName = `${NAME}-k-${classes.orin}`;
      const k = (await core().readNamespacedConfigMap({ name: cmName, namespace: ns })).data!.k!;
      const intruder = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: cmName, namespace: ns },
        data: { k: '42' },
      });
      const refused = kubectl(['apply', '--server-side', '--field-manager=intruder', '-f', '-'], intruder);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/conflict/i);
      must(kubectl(['apply', '--server-side', '--field-manager=intruder', '--force-conflicts', '-f', '-'], intruder));
      await eventually(
        'the operator takes data.k back',
        async () => (await core().readNamespacedConfigMap({ name: cmName, namespace: ns })).data?.k === k,
        90_000,
      );
      const cm = await core().readNamespacedConfigMap({ name: cmName, namespace: ns });
      const owner = cm.metadata?.managedFields?.find((f) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:k"'));
      expect(owner?.manager).toBe('configspec-operator');
    },
    SLOW,
  );

  it('never writes the user spec: every field it manages on the deployment is under /status', async () => {
    const sdd = (await custom().getNamespacedCustomObject(sddRef(namespace.name, NAME))) as {
      metadata: { generation: number; managedFields: { manager: string; subresource?: string; fieldsV1?: object }[] };
    };
    const ours = sdd.metadata.managedFields.filter((f) => f.manager === 'configspec-operator');
    expect(ours.length).toBeGreaterThan(0);
    for (const entry of ours) {
      expect(entry.subresource).toBe('status');
      expect(Object.keys(entry.fieldsV1 ?? {})).toEqual(['f:status']);
    }
    // The user's spec was written once, by the user.
    expect(sdd.metadata.generation).toBe(1);
  });

  it(
    'an edge node NotReady and back: readyNodes follows, no selection churn inside the cooldown',
    async () => {
      const ns = namespace.name;
      const before = classStatus(await readSdd(ns, NAME), classes.pi5)!;
      expect(before).toMatchObject({ nodes: 2, readyNodes: 2 });
      const switchesBefore = await configurationEvents();
      const node = 'raspberry-pi-5-0';
      nodesTakenAway.add(node);
      takeNodeAway(node);
      const degraded = await eventually(
        'readyNodes 1 of 2',
        async () => {
          const sdd = await readSdd(ns, NAME);
          return classStatus(sdd, classes.pi5)?.readyNodes === 1 ? sdd : undefined;
        },
        90_000,
      );
      expect(condition(degraded, 'DraftsAvailable')).toMatchObject({ status: 'False', reason: 'DraftersNotReady' });
      expect(condition(degraded, 'DraftsAvailable')?.message).toContain(`${classes.pi5}: 1 of 2 nodes ready`);
      // Flap back and forth inside the cooldown.
      giveNodeBack(node);
      takeNodeAway(node);
      giveNodeBack(node);
      nodesTakenAway.delete(node);
      const after = await eventually(
        'readyNodes 2 of 2 again',
        async () => {
          const sdd = await readSdd(ns, NAME);
          return classStatus(sdd, classes.pi5)?.readyNodes === 2 && condition(sdd, 'Ready')?.status === 'True'
            ? sdd
            : undefined;
        },
        90_000,
      );
      const now = classStatus(after, classes.pi5)!;
      expect(now.selected).toEqual(before.selected);
      expect(now.lastChangeTime).toBe(before.lastChangeTime);
      expect(await configurationEvents()).toEqual(switchesBefore);
    },
    SLOW,
  );

  it(
    'a verifier outage: VerifierAvailable=False with its reason, then True when it is back',
    async () => {
      const ns = namespace.name;
      const gpuNode = 'nvidia-a100-80gb-0';
      nodesTakenAway.add(gpuNode);
      takeNodeAway(gpuNode);
      const down = await waitForCondition(ns, NAME, 'VerifierAvailable', 'False', 90_000, 'VerifierUnavailable');
      expect(condition(down, 'VerifierAvailable')?.message).toBe('0 of 1 verifier replicas ready');
      expect(condition(down, 'Ready')).toMatchObject({ status: 'False', reason: 'VerifierUnavailable' });
      giveNodeBack(gpuNode);
      nodesTakenAway.delete(gpuNode);
      await waitForCondition(ns, NAME, 'VerifierAvailable', 'True', 90_000);
      await waitForCondition(ns, NAME, 'Ready', 'True', 90_000);
    },
    SLOW,
  );

  describe('deployments wrong against other objects get an actionable condition', () => {
    const cases: [string, (spec: Record<string, unknown>) => void, string, string, RegExp][] = [
      [
        'unknown verifier DeviceClass',
        (spec) => ((spec.target as { verifier: { deviceClass: string } }).verifier.deviceClass = 'no-such-gpu'),
        'VerifierAvailable',
        'VerifierDeviceClassNotFound',
        /DeviceClass no-such-gpu does not exist/,
      ],
      [
        'an edge DeviceClass that exists nowhere',
        (spec) => (spec.edge = { deviceClasses: [classes.pi5, 'no-such-edge'] }),
        'ConfigurationSelected',
        'Pinned',
        /device class "no-such-edge" is neither a DeviceClass object nor in the catalog/,
      ],
      [
        'a draft of another tokenizer family',
        (spec) => {
          spec.drafts = [{ model: { name: 'llama-3.2-1b-instruct' }, quantizations: ['Q4_K_M'] }];
          spec.policy = { mode: 'Auto' };
        },
        'ConfigurationSelected',
        'PlanningFailed',
        /llama-3.2-1b-instruct" is family llama3 but the target is qwen2.5; draft skipped \(tokenizers differ\)/,
      ],
      [
        'a draft too large for every edge device',
        (spec) => {
          spec.drafts = [{ model: { name: 'qwen2.5-32b-instruct' }, quantizations: ['F16'] }];
          spec.policy = { mode: 'Auto' };
        },
        'Infeasible',
        'ConstraintsUnmet',
        /qwen2.5-32b-instruct F16 needs [\d.]+ GiB .* but the device has 8.00 GiB/,
      ],
      [
        'a target too large for its verifier GPUs',
        (spec) => {
          spec.target = {
            model: { name: 'llama-3.3-70b-instruct' },
            verifier: { deviceClass: classes.gpu, replicas: 1, gpusPerReplica: 1 },
          };
          spec.drafts = [{ model: { name: 'llama-3.2-1b-instruct' }, quantizations: ['Q4_K_M'] }];
          spec.policy = { mode: 'Auto' };
        },
        'ConfigurationSelected',
        'Selected',
        /target llama-3.3-70b-instruct at F16 needs [\d.]+ GB but 1 × \S+ hold [\d.]+ GB; raise gpusPerReplica/,
      ],
    ];

    it.each(cases)(
      '%s',
      async (_title, change, type, reason, message) => {
        const name = `bad-${randomBytes(3).toString('hex')}`;
        await custom().createNamespacedCustomObject({
          ...sddRef(namespace.name, name),
          body: deployment(namespace.name, name, classes, change),
        });
        const sdd = await eventually(
          `${type} reason ${reason}`,
          async () => {
            const current = await readSdd(namespace.name, name);
            return condition(current, type)?.reason === reason ? current : undefined;
          },
          90_000,
        );
        expect(condition(sdd, type)?.message).toMatch(message);
        await custom().deleteNamespacedCustomObject(sddRef(namespace.name, name));
      },
      SLOW,
    );
  });
});

/** ConfigurationSelected/Switched events about the main deployment (the selection changing). */
async function configurationEvents(): Promise<string[]> {
  const list = JSON.parse(must(kubectl(['get', 'events.events.k8s.io', '-n', namespace.name, '-o', 'json']))) as {
    items: { reason?: string; regarding?: { name?: string }; note?: string }[];
  };
  return list.items
    .filter((e) => e.regarding?.name === NAME && /^Configuration(Selected|Switched)$/.test(e.reason ?? ''))
    .map((e) => `${e.reason}: ${e.note}`)
    .sort();
}
