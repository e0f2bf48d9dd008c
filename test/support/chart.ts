// The chart in the local test cluster: `helm install` into a suite's namespace, and kubeconfigs that act as the
// ServiceAccounts it creates (tokens from the TokenRequest API), so tests run the operator and the profiler
// with exactly the chart's permissions instead of the admin's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { repoRoot, runTool } from './cluster.js';
import { testKubeConfig } from './namespace.js';

export const CHART = join(repoRoot, 'charts', 'configspec-operator');

/** `helm install` (CRDs are installed by the suites already); throws with helm's message on failure. */
export function helmInstall(release: string, namespace: string, values: Record<string, string | number> = {}): string {
  const set = Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const result = runTool('helm', ['install', release, CHART, '--namespace', namespace, '--skip-crds', ...set]);
  if (result.status !== 0) throw new Error(`helm install ${release} failed: ${result.stderr}`);
  return result.stdout;
}

export function helmUninstall(release: string, namespace: string): void {
  runTool('helm', ['uninstall', release, '--namespace', namespace, '--wait=false']);
}

/**
 * A kubeconfig file that authenticates as the ServiceAccount with a fresh bound token (TokenRequest API), for
 * the same cluster and CA as the admin kubeconfig.
 */
export async function serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const admin = testKubeConfig();
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  const cluster = admin.getCurrentCluster()!;
  const file = join(mkdtempSync(join(tmpdir(), 'configspec-sa-')), 'kubeconfig');
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: {
            server: cluster.server,
            ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
            ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}),
          },
        },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'local', user, namespace } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return file;
}
