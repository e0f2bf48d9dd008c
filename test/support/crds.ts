// Installs the CRDs of crds/ into the test cluster (idempotent, server-side apply) and waits until each is
// Established, so suites can create custom objects right after.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectl, repoRoot } from './cluster.js';

export function crdFiles(): string[] {
  const dir = join(repoRoot, 'crds');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => join(dir, file));
}

/** metadata.name of every CustomResourceDefinition in crds/. */
export function crdNames(): string[] {
  return crdFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((document) => document.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((object) => object?.kind === 'CustomResourceDefinition' && object.metadata?.name)
      .map((object) => object!.metadata!.name!),
  );
}

export function installCrds(timeoutSeconds = 60): void {
  const applied = kubectl(['apply', '--server-side', '--field-manager=configspec-tests', '-f', join(repoRoot, 'crds')]);
  if (applied.status !== 0) throw new Error(`kubectl apply -f crds/ failed: ${applied.stderr}`);
  const names = crdNames().map((name) => `crd/${name}`);
  const waited = kubectl(['wait', '--for=condition=Established', `--timeout=${timeoutSeconds}s`, ...names]);
  if (waited.status !== 0) throw new Error(`CRDs did not become Established: ${waited.stderr}`);
}
