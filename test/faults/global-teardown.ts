// Stops the fault-suite cluster if global-setup started it (CONFIGSPEC_KEEP_CLUSTER=1 keeps it for a look).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export default async function globalTeardown(): Promise<void> {
  if (process.env.CONFIGSPEC_TEST_STARTED_CLUSTER !== '1' || process.env.CONFIGSPEC_KEEP_CLUSTER === '1') return;
  const repoRoot = resolve(process.cwd());
  const down = spawnSync('bash', [`${repoRoot}/hack/cluster.sh`, 'down'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: process.env,
  });
  if (down.status !== 0) throw new Error('hack/cluster.sh down failed for the fault cluster; its messages are above');
}
