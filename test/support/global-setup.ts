// Integration tests run against the local control plane: reuse the one that runs, or start one (and say so in the
// environment, which globalTeardown shares, so that teardown stops only a cluster that this run started).
// Self-contained on purpose: Jest loads global setup outside its module mapper, so sibling `.js` imports fail.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default async function globalSetup(): Promise<void> {
  const repoRoot = resolve(process.cwd());
  const cluster = (command: string) =>
    spawnSync('bash', [join(repoRoot, 'hack', 'cluster.sh'), command], { cwd: repoRoot, stdio: 'inherit' }).status;
  const status = cluster('status'); // 0 healthy, 1 degraded, 3 nothing runs
  if (status === 1) {
    throw new Error('the local test cluster is degraded (see above); run `make cluster-down` and try again');
  }
  if (status !== 0) {
    if (cluster('up') !== 0) {
      throw new Error('could not start the local test cluster (hack/cluster.sh up); its messages are above');
    }
    process.env.CONFIGSPEC_TEST_STARTED_CLUSTER = '1';
  }
  // For child processes the tests start (kubectl, helm); the tests themselves use test/support/cluster.ts.
  const runDir = process.env.CONFIGSPEC_RUN_DIR ?? join(repoRoot, '.run', 'cluster');
  process.env.KUBECONFIG = join(runDir, 'kubeconfig');
}
