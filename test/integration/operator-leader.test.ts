// Two operator replicas as real processes (`configspec operator`, built into dist/), started with the chart's
// Deployment arguments and environment and a token of the chart's ServiceAccount, so with the default
// leader-election timings (Lease 15 s, renew deadline 10 s, retry 2 s): one leads and reconciles; SIGKILL it (no
// release of the Lease) and the other takes over within 20 s and carries on reconciling.
//
// Why 20 s holds: the standby takes over once the Lease has gone unrenewed for leaseDuration on its own clock,
// counted from the moment it saw the last renewal, and it attempts right at that moment (leader-election.ts).
// It saw the leader's last renewal (written before the kill) at most one jittered retry later, 2 s × 2.2 =
// 4.4 s; so the handover takes at most 15 + 4.4 s plus one apiserver round trip (measured: 13.6–18.7 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CHART, helmInstall, helmUninstall, serviceAccountKubeconfig } from '../support/chart.js';
import { repoRoot, runTool } from '../support/cluster.js';
import { installCrds } from '../support/crds.js';
import { eventually, testKubeConfig, useTestNamespace } from '../support/namespace.js';
import {
  core as coreApi,
  createDeviceClasses,
  custom as customApi,
  deleteClasses,
  sampleDeployment,
  sddRef,
} from '../support/operator.js';

const SLOW = 180_000;
const core = coreApi();
const coordination = testKubeConfig().makeApiClient(CoordinationV1Api);
const custom = customApi();
const namespace = useTestNamespace('operator-leader', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const suffix = randomBytes(3).toString('hex');
const release = `leader-${suffix}`;
const classes = { edge: `ld-${suffix}-pi5`, gpu: `ld-${suffix}-a100` };
const HANDOVER_BOUND_MS = 20_000;

interface Replica {
  identity: string;
  process: ChildProcess;
  output: string[];
}

interface ChartContainer {
  args: string[];
  env: { name: string; value?: string }[];
}

/** The operator container of the chart's Deployment, rendered for this namespace. */
function chartOperatorContainer(): ChartContainer {
  const rendered = runTool('helm', [
    'template',
    release,
    CHART,
    '--namespace',
    namespace.name,
    '--set',
    `watchNamespace=${namespace.name}`,
  ]);
  if (rendered.status !== 0) throw new Error(rendered.stderr);
  const deployment = parseAllDocuments(rendered.stdout)
    .map((d) => d.toJS() as { kind?: string; spec?: { template: { spec: { containers: ChartContainer[] } } } })
    .find((m) => m?.kind === 'Deployment');
  return deployment!.spec!.template.spec.containers[0]!;
}

/**
 * One replica as the chart's Deployment runs it: its arguments and environment (the downward-API values filled
 * in as the kubelet would), plus the kubeconfig and a free local port for /metrics and the probes.
 */
function startReplica(identity: string, kubeconfig: string, container: ChartContainer): Replica {
  const env: Record<string, string> = { ...process.env, POD_NAME: identity, POD_NAMESPACE: namespace.name };
  for (const variable of container.env) if (variable.value !== undefined) env[variable.name] = variable.value;
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'configspec.js'),
      ...container.args,
      `--kubeconfig=${kubeconfig}`,
      '--http-host=127.0.0.1',
      '--http-port=0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { identity, process: child, output };
}

const holder = async () =>
  (
    await coordination
      .readNamespacedLease({ name: 'configspec-operator', namespace: namespace.name })
      .catch(() => undefined)
  )?.spec?.holderIdentity;
const kInConfigMap = async () =>
  (
    await core
      .readNamespacedConfigMap({ name: `chat-k-${classes.edge}`, namespace: namespace.name })
      .catch(() => undefined)
  )?.data?.k;
const exited = (replica: Replica) =>
  new Promise<void>((resolve) =>
    replica.process.exitCode !== null || replica.process.signalCode !== null
      ? resolve()
      : replica.process.once('exit', () => resolve()),
  );

describe('two operator replicas', () => {
  const replicas: Replica[] = [];

  beforeAll(async () => {
    installCrds();
    helmInstall(release, namespace.name, { watchNamespace: namespace.name, replicas: 0 });
    const kubeconfig = await serviceAccountKubeconfig(namespace.name, 'configspec-operator');
    await createDeviceClasses([
      [classes.edge, 'Edge', 'raspberry-pi-5'],
      [classes.gpu, 'Verifier', 'nvidia-a100-80gb'],
    ]);
    const container = chartOperatorContainer();
    expect(container.args).toEqual(expect.arrayContaining(['operator', '--lease-duration=15', '--retry-period=2']));
    replicas.push(startReplica('replica-a', kubeconfig, container), startReplica('replica-b', kubeconfig, container));
  }, SLOW);

  afterAll(async () => {
    for (const replica of replicas) {
      replica.process.kill('SIGTERM');
      await exited(replica);
    }
    await deleteClasses(classes);
    helmUninstall(release, namespace.name);
  }, SLOW);

  it(
    'hands over within 20 s when the leader is killed, and reconciliation continues',
    async () => {
      const leaderIdentity = await eventually('a leader', async () => holder(), 60_000);
      await custom.createNamespacedCustomObject({
        ...sddRef(namespace.name, 'chat'),
        body: sampleDeployment(namespace.name, 'chat', { gpu: classes.gpu, edge: [classes.edge] }, (spec) => {
          spec.drafts = [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M'] }];
        }),
      });
      await eventually('K=3 applied by the leader', async () => (await kInConfigMap()) === '3', 60_000);

      const leader = replicas.find((r) => r.identity === leaderIdentity)!;
      const standby = replicas.find((r) => r.identity !== leaderIdentity)!;
      const killedAt = Date.now();
      leader.process.kill('SIGKILL');
      await exited(leader);
      await eventually('the standby holding the Lease', async () => (await holder()) === standby.identity, 60_000);
      const handoverMs = Date.now() - killedAt;
      process.stdout.write(`leader handover after SIGKILL: ${(handoverMs / 1000).toFixed(1)} s\n`);
      expect(handoverMs).toBeLessThan(HANDOVER_BOUND_MS);

      // The new leader reconciles: a change made after the kill reaches the ConfigMap.
      await custom.patchNamespacedCustomObject({
        ...sddRef(namespace.name, 'chat'),
        body: [{ op: 'replace', path: '/spec/policy/pinned/k', value: 6 }],
      });
      await eventually('K=6 applied by the new leader', async () => (await kInConfigMap()) === '6', 60_000);
      expect(standby.process.exitCode).toBeNull();
      expect(standby.output.join('')).toContain('Became leader');
    },
    SLOW,
  );
});
