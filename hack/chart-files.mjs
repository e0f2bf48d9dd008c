// `make chart-files`: the files of the chart and of config/operator/ that are generated, never edited by hand:
//   - charts/configspec-operator/crds/: copies of crds/ (Helm installs CRDs from there; a symlink made it warn);
//   - charts/configspec-operator/files/deviceclasses/: the built-in catalog's DeviceClasses (src/catalog);
//   - config/operator/operator.yaml: the chart rendered for namespace configspec-system, for installs without Helm.
// test/unit/chart/chart-files.test.ts and test/integration/chart.test.ts fail when any of them is out of date.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import process from 'node:process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BUILTIN_CATALOG, catalogDeviceClassObject } from '../dist/src/catalog/index.js';

const root = join(import.meta.dirname, '..');
const chart = join(root, 'charts', 'configspec-operator');

const chartCrds = join(chart, 'crds');
rmSync(chartCrds, { recursive: true, force: true });
mkdirSync(chartCrds);
for (const file of readdirSync(join(root, 'crds')).filter((f) => f.endsWith('.yaml'))) {
  copyFileSync(join(root, 'crds', file), join(chartCrds, file));
}

const deviceClasses = join(chart, 'files', 'deviceclasses');
rmSync(deviceClasses, { recursive: true, force: true });
mkdirSync(deviceClasses, { recursive: true });
for (const entry of BUILTIN_CATALOG.deviceClasses) {
  const header = `# ${entry.description}. Generated from the built-in catalog (src/catalog) by \`make chart-files\`.\n`;
  writeFileSync(join(deviceClasses, `${entry.name}.yaml`), header + stringify(catalogDeviceClassObject(entry)));
}

const OPERATOR_MANIFESTS_HEADER = `# The ConfigSpec operator without Helm: charts/configspec-operator rendered for namespace configspec-system by
# \`make chart-files\` (do not edit; change the chart). CRDs are in crds/. Install:
#   kubectl apply --server-side -f crds/ && kubectl apply -f config/operator/operator.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: configspec-system
  labels:
    pod-security.kubernetes.io/enforce: restricted
`;
writeFileSync(join(root, 'config', 'operator', 'operator.yaml'), renderOperatorManifests());

/** The chart as plain manifests for namespace configspec-system (with the Namespace, labelled restricted). */
function renderOperatorManifests() {
  const goMod = readFileSync(join(root, 'hack', 'testcluster', 'go.mod'), 'utf8');
  const version = /^\s*(?:require\s+)?k8s\.io\/kubernetes v([0-9.]+)/m.exec(goMod)[1];
  const cache = process.env.CONFIGSPEC_CACHE ?? join(homedir(), '.cache', 'configspec');
  const helm = process.env.HELM ?? join(cache, `k8s-${version}`, 'bin', 'helm');
  const rendered = spawnSync(helm, ['template', 'configspec', chart, '--namespace', 'configspec-system'], {
    encoding: 'utf8',
  });
  if (rendered.status !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  return OPERATOR_MANIFESTS_HEADER + rendered.stdout;
}
