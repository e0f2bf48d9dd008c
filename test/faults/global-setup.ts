// The fault suite kills apiservers and takes nodes away, so it runs on its own control plane: the run directory
// .run/faults (never the shared .run/cluster that other suites reuse), started here if none runs there and then
// stopped by global-teardown. Self-contained, as Jest loads global setup outside its module mapper.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default async function globalSetup(): Promise<void> {
  const repoRoot = resolve(process.cwd());
  const runDir = process.env.CONFIGSPEC_RUN_DIR ?? join(repoRoot, '.run', 'faults');
  if (!/\/\.run\/faults\/?$/.test(runDir) && process.env.CONFIGSPEC_FAULTS_ANY_CLUSTER !== '1') {
    throw new Error(
      `the fault suite runs only on its own cluster (CONFIGSPEC_RUN_DIR=<repo>/.run/faults), not ${runDir}`,
    );
  }
  process.env.CONFIGSPEC_RUN_DIR = runDir;
  const cluster = (command: string) =>
    spawnSync('bash', [join(repoRoot, 'hack', 'cluster.sh'), command], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, CONFIGSPEC_RUN_DIR: runDir },
    }).status;
  const status = cluster('status'); // 0 healthy, 1 degraded, 3 nothing runs
  if (status === 1) {
    // A degraded fault cluster (e.g. an apiserver a previous run killed) is ours to replace.
    if (cluster('down') !== 0) throw new Error(`could not stop the degraded fault cluster in ${runDir}`);
  }
  if (status !== 0) {
    if (cluster('up') !== 0) throw new Error('could not start the fault-suite cluster (hack/cluster.sh up)');
    process.env.CONFIGSPEC_TEST_STARTED_CLUSTER = '1';
  }
  process.env.KUBECONFIG = join(runDir, 'kubeconfig');
}
