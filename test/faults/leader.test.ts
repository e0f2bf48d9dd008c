// Leader election under failure, with operator replicas as real processes (bin/configspec.js operator):
//   - the leader SIGKILLed (no release of the Lease): the standby takes over within 20 s and acts (a K change
//     made after the kill reaches the ConfigMap);
//   - the leader cut off from the apiserver (its connection goes through a proxy that is then severed): it stops
//     leading and exits (code 1) once its renew deadline passes, before its Lease lapses and the standby takes
//     over, so two replicas never act at once.
// Timings: leaseDuration 10 s, renewDeadline 7 s, retryPeriod 2 s. A standby takes over at most
// leaseDuration + 2 × 2.2 × retryPeriod ≈ 18.8 s after the last renewal (it must see the Lease unchanged for
// leaseDuration on its own clock; it looks every retryPeriod × [1, 2.2)), which leaves ~1 s of the 20 s
// for request latency on a loaded machine.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { kubeconfigPath } from '../support/cluster.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';
import {
  classNames,
  core,
  createClasses,
  custom,
  deleteClasses,
  deployment,
  sddRef,
  waitForCondition,
} from './fixtures.js';
import { ApiserverProxy, assertFaultCluster, freePorts, OperatorProcess } from './support.js';

const SLOW = 300_000;
const HANDOVER_BOUND_MS = 20_000;
const namespace = useTestNamespace('faults-leader', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const classes = classNames();
const coordination = () => testKubeConfig().makeApiClient(CoordinationV1Api);
const TIMINGS = ['--lease-duration', '10', '--renew-deadline', '7', '--retry-period', '2'];

function replica(identity: string, port: number, lease: string, kubeconfig = kubeconfigPath()): OperatorProcess {
  return new OperatorProcess(identity, port, [
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace.name,
    '--operator-namespace',
    namespace.name,
    '--image',
    'ghcr.io/configspec/configspec:test',
    '--lease-name',
    lease,
    '--resync',
    '30',
    ...TIMINGS,
  ]);
}

async function holder(lease: string): Promise<string | undefined> {
  try {
    return (await coordination().readNamespacedLease({ name: lease, namespace: namespace.name })).spec?.holderIdentity;
  } catch {
    return undefined;
  }
}

async function kInConfigMap(name: string): Promise<string | undefined> {
  try {
    return (await core().readNamespacedConfigMap({ name: `${name}-k-${classes.pi5}`, namespace: namespace.name })).data
      ?.k;
  } catch {
    return undefined;
  }
}

describe('leader election under failure', () => {
  const replicas: OperatorProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    assertFaultCluster();
    dir = mkdtempSync(join(tmpdir(), 'configspec-leader-'));
    await createClasses(classes);
  }, SLOW);

  afterAll(async () => {
    for (const r of replicas) r.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.exited));
    await deleteClasses(classes);
    rmSync(dir, { recursive: true, force: true });
  }, SLOW);

  it(
    'the leader SIGKILLed: the standby takes over within 20 s and acts',
    async () => {
      const lease = 'faults-kill';
      const name = `kill-${randomBytes(2).toString('hex')}`;
      const [portA, portB] = await freePorts(2);
      const a = replica('replica-a', portA!, lease);
      replicas.push(a);
      await eventually('replica-a leads', async () => (await holder(lease)) === 'replica-a', 90_000);
      const b = replica('replica-b', portB!, lease);
      replicas.push(b);
      await eventually(
        'replica-b ready (caches synced)',
        async () => (await fetch(`http://127.0.0.1:${portB}/readyz`)).ok,
        90_000,
      );
      await custom().createNamespacedCustomObject({
        ...sddRef(namespace.name, name),
        body: deployment(namespace.name, name, classes),
      });
      await waitForCondition(namespace.name, name, 'Ready', 'True', 180_000);
      expect(await holder(lease)).toBe('replica-a');

      a.kill('SIGKILL');
      const killedAt = Date.now();
      await a.exited;
      // A change only the new leader can carry out.
      await custom().patchNamespacedCustomObject({
        ...sddRef(namespace.name, name),
        body: [{ op: 'replace', path: '/spec/policy/pinned/k', value: 5 }],
      });
      await eventually('replica-b holds the Lease', async () => (await holder(lease)) === 'replica-b', 60_000);
      const tookOver = Date.now() - killedAt;
      await eventually('K=5 applied by replica-b', async () => (await kInConfigMap(name)) === '5', 60_000);
      const acted = Date.now() - killedAt;
      console.log(
        `leader handover: Lease taken ${(tookOver / 1000).toFixed(1)} s and K applied ${(acted / 1000).toFixed(1)} s after SIGKILL`,
      );
      expect(tookOver).toBeLessThan(HANDOVER_BOUND_MS);
      expect(acted).toBeLessThan(HANDOVER_BOUND_MS + 5_000);
      expect(await b.metric('configspec_leader_election_master_status')).toBe(1);
      b.kill('SIGTERM');
      expect(await b.exited).toBe(0);
    },
    SLOW,
  );

  it(
    'a leader cut off from the apiserver stops acting when its renew deadline passes, before the standby leads',
    async () => {
      const lease = 'faults-partition';
      const proxy = new ApiserverProxy();
      await proxy.start();
      try {
        const [portA, portB] = await freePorts(2);
        const a = replica('cut-a', portA!, lease, proxy.kubeconfig(join(dir, 'through-proxy')));
        replicas.push(a);
        await eventually('cut-a leads', async () => (await holder(lease)) === 'cut-a', 90_000);
        const b = replica('cut-b', portB!, lease);
        replicas.push(b);
        await eventually('cut-b ready', async () => (await fetch(`http://127.0.0.1:${portB}/readyz`)).ok, 90_000);
        expect(await a.metric('configspec_leader_election_master_status')).toBe(1);
        expect(await b.metric('configspec_leader_election_master_status')).toBe(0);

        proxy.sever();
        const cutAt = Date.now();
        // cut-a's own view: it stops leading and exits 1 (leadership lost), without any apiserver to tell it.
        expect(await a.exited).toBe(1);
        const aStopped = a.exitedAt! - cutAt;
        await eventually('cut-b holds the Lease', async () => (await holder(lease)) === 'cut-b', 60_000);
        const bLeads = Date.now() - cutAt;
        console.log(
          `partition: cut-a stopped leading ${(aStopped / 1000).toFixed(1)} s after the cut; cut-b took the Lease after ${(bLeads / 1000).toFixed(1)} s`,
        );
        expect(a.output).toContain('Lost leadership');
        // Stopped within the renew deadline (7 s) plus one retry period and slack for a loaded machine...
        expect(aStopped).toBeLessThan(7_000 + 2_000 + 3_000);
        // ...and before anyone else could lead: the Lease was valid for 10 s after cut-a's last renewal.
        expect(aStopped).toBeLessThan(bLeads);
      } finally {
        await proxy.stop();
      }
    },
    SLOW,
  );
});
