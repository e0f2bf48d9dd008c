// Where the local test cluster lives (hack/cluster.sh) and how tests reach it: run directory, kubeconfig, the
// cached kubectl/helm binaries and the pinned Kubernetes version. Deliberately independent of the user's own
// KUBECONFIG, so integration tests can never touch a real cluster by accident.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Directory holding the running cluster's kubeconfig, certs, pids and logs. */
export function clusterRunDir(): string {
  return process.env.CONFIGSPEC_RUN_DIR ?? join(repoRoot, '.run', 'cluster');
}

export function kubeconfigPath(): string {
  return join(clusterRunDir(), 'kubeconfig');
}

/** The Kubernetes version pinned in hack/testcluster/go.mod, e.g. "1.36.3". */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(repoRoot, 'hack', 'testcluster', 'go.mod'), 'utf8');
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes v([0-9.]+)/m.exec(goMod);
  if (!match) throw new Error('hack/testcluster/go.mod does not require k8s.io/kubernetes');
  return match[1]!;
}

/** Cached binaries built by hack/testcluster/build.sh (kubectl, helm, …). */
export function testbinDir(): string {
  const cache = process.env.CONFIGSPEC_CACHE ?? join(homedir(), '.cache', 'configspec');
  return join(cache, `k8s-${pinnedKubernetesVersion()}`, 'bin');
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a cached binary against the test cluster; never throws on a non-zero exit (tests assert on it). */
export function runTool(tool: 'kubectl' | 'helm', args: string[], input?: string): CommandResult {
  const result = spawnSync(join(testbinDir(), tool), args, {
    input,
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: kubeconfigPath() },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function kubectl(args: string[], input?: string): CommandResult {
  return runTool('kubectl', args, input);
}

/** Runs hack/cluster.sh with its progress on the terminal; returns the exit status. */
export function clusterScript(command: 'up' | 'down' | 'status'): number {
  const result = spawnSync('bash', [join(repoRoot, 'hack', 'cluster.sh'), command], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) throw result.error;
  return result.status ?? -1;
}
