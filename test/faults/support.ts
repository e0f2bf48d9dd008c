// Fault injection on the dedicated fault-suite control plane (.run/faults, never the shared .run/cluster): kill
// and restart the kube-apiserver as hack/cluster.sh started it, compact etcd so resumed watches get 410 Gone,
// cut one client off the apiserver with a TCP proxy, take a kwok node away and give it back, run operator
// replicas as real processes (so one can be SIGKILLed without releasing its Lease), and nodes whose kubelet the
// test plays (TestNode).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { clusterRunDir, kubeconfigPath, kubectl, repoRoot } from '../support/cluster.js';
import { testKubeConfig } from '../support/namespace.js';

/** Refuses to run against any cluster but the fault suite's own: these tests kill its components. */
export function assertFaultCluster(): void {
  const runDir = clusterRunDir();
  if (!/\/\.run\/faults\/?$/.test(runDir) && process.env.CONFIGSPEC_FAULTS_ANY_CLUSTER !== '1') {
    throw new Error(
      `the fault suite kills cluster components; it runs only on its own cluster (CONFIGSPEC_RUN_DIR=<repo>/.run/faults, ` +
        `set by make test-faults), not ${runDir}`,
    );
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordedPid(component: string): number {
  const line = readFileSync(join(clusterRunDir(), 'pids'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${component} `));
  if (!line) throw new Error(`${component} is not recorded in ${clusterRunDir()}/pids`);
  return Number(line.split(' ')[1]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function apiserverUp(): boolean {
  return kubectl(['get', '--raw', '/readyz', '--request-timeout=3s']).status === 0;
}

/**
 * SIGKILLs the kube-apiserver (no graceful shutdown: in-flight requests and watches break), waits `downMs`,
 * optionally runs `whileDown`, then starts it again with the same command line, records the new pid where
 * hack/cluster.sh down will find it, and waits for /readyz.
 */
export async function killAndRestartApiserver(downMs: number, whileDown?: () => Promise<void>): Promise<void> {
  const pid = recordedPid('kube-apiserver');
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a.length > 0);
  const binary = argv[0]!;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) throw new Error(`kube-apiserver ${pid} survived SIGKILL`);
  await sleep(downMs);
  await whileDown?.();
  const log = openSync(join(clusterRunDir(), 'logs', 'kube-apiserver.log'), 'a');
  const child = spawn(binary, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const pids = join(clusterRunDir(), 'pids');
  writeFileSync(
    pids,
    readFileSync(pids, 'utf8').replace(new RegExp(`^kube-apiserver ${pid}$`, 'm'), `kube-apiserver ${child.pid}`),
  );
  const deadline = Date.now() + 120_000;
  while (!apiserverUp()) {
    if (Date.now() > deadline) throw new Error('kube-apiserver did not come back within 120 s');
    if (!alive(child.pid!)) throw new Error('the restarted kube-apiserver exited; see its log');
    await sleep(500);
  }
}

/** Compacts etcd's history up to its current revision (through its HTTP gateway), so older watches expire. */
export async function compactEtcd(): Promise<number> {
  const [etcdPort] = readFileSync(join(clusterRunDir(), 'ports'), 'utf8').trim().split(/\s+/);
  const base = `http://127.0.0.1:${etcdPort}/v3/kv`;
  const range = (await (
    await fetch(`${base}/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) })
  ).json()) as { header: { revision: string } };
  const revision = Number(range.header.revision);
  const compacted = await fetch(`${base}/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!compacted.ok) throw new Error(`etcd compaction failed: HTTP ${compacted.status} ${await compacted.text()}`);
  return revision;
}

/** A TCP proxy to the apiserver that can be cut: existing connections die, new ones hang (a partition). */
export class ApiserverProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const target = new URL(apiserverUrl());
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      if (this.cut) return; // accepted, never answered: requests time out as in a network partition
      const upstream = tcpConnect(Number(target.port), target.hostname);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts every connection; new ones are accepted but go nowhere. */
  sever(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.sever();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A kubeconfig that reaches the apiserver through this proxy (TLS passes through; 127.0.0.1 is in the cert). */
  kubeconfig(path: string): string {
    const text = readFileSync(kubeconfigPath(), 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      `server: https://127.0.0.1:${this.port}`,
    );
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }
}

export function apiserverUrl(): string {
  const match = /server: (https:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(kubeconfigPath(), 'utf8'));
  if (!match) throw new Error('no server in the fault cluster kubeconfig');
  return match[1]!;
}

/** An operator replica as its own process (bin/configspec.js operator), killable like a pod. */
export class OperatorProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitedAt: number | undefined;
  output = '';

  constructor(
    readonly identity: string,
    readonly httpPort: number,
    args: string[],
  ) {
    this.child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'configspec.js'),
        'operator',
        '--identity',
        identity,
        '--http-host',
        '127.0.0.1',
        '--http-port',
        String(httpPort),
        ...args,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitedAt = Date.now();
        resolve(code);
      }),
    );
  }

  async metric(name: string): Promise<number | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    } catch {
      return undefined;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/** Free TCP ports on 127.0.0.1 (held open together so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Takes a kwok node away as a failed kubelet would look: kwok stops managing it (annotation removed) and its
 * Ready condition turns False. `restore` gives it back to kwok, which reports it Ready again.
 */
export function nodeNotReady(name: string): void {
  must(kubectl(['annotate', 'node', name, 'kwok.x-k8s.io/node-']));
  const now = new Date().toISOString();
  const patch = {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: 'fault injection',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  };
  must(kubectl(['patch', 'node', name, '--subresource=status', '--type=strategic', '-p', JSON.stringify(patch)]));
}

export function nodeRestore(name: string): void {
  must(kubectl(['annotate', 'node', name, '--overwrite', 'kwok.x-k8s.io/node=fake']));
}

export function must(result: { status: number; stdout: string; stderr: string }): string {
  if (result.status !== 0) throw new Error(`kubectl failed (${result.status}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

/**
 * A node the test plays the kubelet of: registered without kwok's annotation (kwok leaves it and its pods alone),
 * Ready while the test renews its Lease, NotReady when the test says so. Its pods stay Pending until the test
 * sets their phase.
 */
export class TestNode {
  private beating = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly labels: Record<string, string>,
  ) {}

  /** Whether its (simulated) kubelet is up: Ready and renewing the Lease. */
  get alive(): boolean {
    return this.beating;
  }

  /** Creates the node, reports it Ready and starts renewing its Lease. */
  register(): void {
    must(
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: this.name,
            labels: { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/hostname': this.name, ...this.labels },
          },
        }),
      ),
    );
    this.ready();
  }

  /** Reports Ready (kubelet-style status) and keeps the Lease renewed. */
  ready(): void {
    this.report('True', 'KubeletReady');
    if (this.beating) return;
    this.beating = true;
    this.loop = (async () => {
      while (this.beating) {
        await this.renewLease();
        await sleep(2_000);
      }
    })();
  }

  /** Reports NotReady and stops renewing the Lease, as a node that lost power or network. */
  async notReady(): Promise<void> {
    this.beating = false;
    await this.loop;
    this.report('False', 'KubeletNotReady');
  }

  async remove(): Promise<void> {
    this.beating = false;
    await this.loop;
    kubectl(['delete', 'node', this.name, '--wait=false']);
  }

  /** Sets every Pending pod bound to this node in `namespace` to `phase` (Failed: exit code 1); returns their names. */
  setPendingPods(namespace: string, phase: 'Running' | 'Failed'): string[] {
    const pods = JSON.parse(
      must(kubectl(['get', 'pods', '-n', namespace, '--field-selector', `spec.nodeName=${this.name}`, '-o', 'json'])),
    ) as {
      items: {
        metadata: { name: string };
        spec: { containers: { name: string; image: string }[] };
        status?: { phase?: string };
      }[];
    };
    const changed: string[] = [];
    const now = new Date().toISOString();
    for (const pod of pods.items.filter((p) => p.status?.phase === 'Pending')) {
      const state =
        phase === 'Failed'
          ? { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } }
          : { running: { startedAt: now } };
      const patch = {
        status: {
          phase,
          ...(phase === 'Running' ? { startTime: now } : {}),
          containerStatuses: pod.spec.containers.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state,
          })),
        },
      };
      const result = kubectl([
        'patch',
        'pod',
        pod.metadata.name,
        '-n',
        namespace,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(patch),
      ]);
      if (result.status === 0) changed.push(pod.metadata.name);
    }
    return changed;
  }

  /** Confirms the deletion of this node's terminating pods in `namespace`, as its kubelet does once they stopped. */
  finishTerminatingPods(namespace: string): void {
    const pods = JSON.parse(
      must(kubectl(['get', 'pods', '-n', namespace, '--field-selector', `spec.nodeName=${this.name}`, '-o', 'json'])),
    ) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] };
    for (const pod of pods.items.filter((p) => p.metadata.deletionTimestamp)) {
      kubectl(['delete', 'pod', pod.metadata.name, '-n', namespace, '--grace-period=0', '--force', '--wait=false']);
    }
  }

  private report(status: 'True' | 'False', reason: string): void {
    const now = new Date().toISOString();
    const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    const patch = {
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [
          { type: 'Ready', status, reason, message: 'test', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
      },
    };
    must(kubectl(['patch', 'node', this.name, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch)]));
  }

  /**
   * Renews the node's Lease, which the node lifecycle controller reads as the kubelet's heartbeat. renewTime is a
   * MicroTime (six fractional digits), which the client's Date serialisation cannot write, so it goes in a patch.
   */
  private async renewLease(): Promise<void> {
    const coordination = testKubeConfig().makeApiClient(CoordinationV1Api);
    const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
    const patch = [{ op: 'add', path: '/spec/renewTime', value: renewTime }];
    try {
      await coordination.patchNamespacedLease({ name: this.name, namespace: 'kube-node-lease', body: patch });
    } catch {
      await coordination
        .createNamespacedLease({
          namespace: 'kube-node-lease',
          body: {
            metadata: { name: this.name, namespace: 'kube-node-lease' },
            spec: { holderIdentity: this.name, leaseDurationSeconds: 40 },
          },
        })
        .then(() => coordination.patchNamespacedLease({ name: this.name, namespace: 'kube-node-lease', body: patch }))
        .catch(() => {});
    }
  }
}
