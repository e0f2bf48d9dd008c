// Stops the local control plane only if globalSetup started it (CONFIGSPEC_KEEP_CLUSTER=1 keeps it for debugging).
// hack/cluster.sh down fails when a process or port is left behind, which fails the run.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default async function globalTeardown(): Promise<void> {
  if (process.env.CONFIGSPEC_TEST_STARTED_CLUSTER !== '1') return;
  if (process.env.CONFIGSPEC_KEEP_CLUSTER === '1') {
    console.log('[cluster] CONFIGSPEC_KEEP_CLUSTER=1: leaving the cluster running (make cluster-down stops it)');
    return;
  }
  const repoRoot = resolve(process.cwd());
  const down = spawnSync('bash', [join(repoRoot, 'hack', 'cluster.sh'), 'down'], { cwd: repoRoot, stdio: 'inherit' });
  if (down.status !== 0) throw new Error('hack/cluster.sh down failed; its messages are above');
}
