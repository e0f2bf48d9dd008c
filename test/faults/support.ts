// Fault injection on the dedicated fault-suite control plane (.run/faults, never the shared .run/cluster): kill
// and restart the kube-apiserver as hack/cluster.sh started it, compact etcd so resumed watches get 410 Gone,
// cut one client off the apiserver with a TCP proxy, take a kwok node away and give it back, and run operator
// replicas as real processes (so one can be SIGKILLed without releasing its Lease).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { clusterRunDir, kubeconfigPath, kubectl, repoRoot } from '../support/cluster.js';

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
