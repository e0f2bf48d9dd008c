// The chart's generated files agree with their sources (`make chart-files` regenerates them): its crds/ are
// byte-for-byte copies of crds/ (real files: Helm warns about a symlinked crds/), and files/deviceclasses/
// holds exactly the built-in catalog's DeviceClasses.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BUILTIN_CATALOG, catalogDeviceClassObject } from '../../../src/catalog/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const chart = join(root, 'charts', 'configspec-operator');
const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('generated chart files', () => {
  it('crds/ of the chart is a real directory holding copies of crds/', () => {
    expect(lstatSync(join(chart, 'crds')).isDirectory()).toBe(true);
    const sources = yamlFiles(join(root, 'crds'));
    expect(sources.length).toBe(4);
    expect(yamlFiles(join(chart, 'crds'))).toEqual(sources);
    for (const file of sources) {
      expect({ file, text: readFileSync(join(chart, 'crds', file), 'utf8') }).toEqual({
        file,
        text: readFileSync(join(root, 'crds', file), 'utf8'),
      });
    }
  });

  it('files/deviceclasses/ holds the catalog DeviceClasses, one per file', () => {
    const dir = join(chart, 'files', 'deviceclasses');
    expect(yamlFiles(dir)).toEqual(BUILTIN_CATALOG.deviceClasses.map((c) => `${c.name}.yaml`).sort());
    for (const entry of BUILTIN_CATALOG.deviceClasses) {
      expect(parse(readFileSync(join(dir, `${entry.name}.yaml`), 'utf8'))).toEqual(catalogDeviceClassObject(entry));
    }
  });
});
