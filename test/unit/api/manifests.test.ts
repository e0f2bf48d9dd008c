import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAndValidateManifests, loadManifests } from '../../../src/api/manifests.js';

const root = mkdtempSync(join(tmpdir(), 'configspec-manifests-'));
mkdirSync(join(root, 'nested'));

const deviceClass = `apiVersion: configspec.io/v1alpha1
kind: DeviceClass
metadata:
  name: box
spec:
  role: Edge
  nodeSelector:
    example.com/pool: ${'x'.repeat(64)}
  hardware:
    arch: amd64
    memoryGiB: 16
    memoryBandwidthGBps: 38.4
  power:
    idleWatts: 6
    maxWatts: 25
  runtime:
    tolerations:
      - key: a
        operator: Exists
      - operator: Exists
        value: v
`;
writeFileSync(join(root, 'a.yaml'), `---\n# an empty document first\n---\n${deviceClass}`);
writeFileSync(
  join(root, 'nested', 'b.json'),
  JSON.stringify({
    apiVersion: 'configspec.io/v1alpha1',
    kind: 'DraftProfile',
    metadata: { name: 'p' },
    spec: { deviceClass: 'box', draft: 'd', quantization: 'F16' },
  }),
);
writeFileSync(join(root, 'nested', 'notes.txt'), 'not a manifest');

describe('loadManifests', () => {
  it('reads folders recursively (YAML and JSON only, sorted), keeping document indexes across empty documents', () => {
    const result = loadManifests([root]);
    expect(result.errors).toEqual([]);
    expect(result.documents.map(({ file, documentIndex }) => [file, documentIndex])).toEqual([
      [join(root, 'a.yaml'), 1],
      [join(root, 'nested', 'b.json'), 0],
    ]);
  });

  it('reads a file named explicitly whatever its extension', () => {
    const result = loadManifests([join(root, 'nested', 'notes.txt')]);
    expect(result.documents).toEqual([]);
    expect(result.skipped).toEqual([
      { file: join(root, 'nested', 'notes.txt'), documentIndex: 0, apiVersion: '', kind: '' },
    ]);
  });
});

describe('loadAndValidateManifests', () => {
  const result = loadAndValidateManifests([root]);

  it('returns valid objects with defaults, and locates each error by line, even under dotted label keys and in lists', () => {
    expect(result.objects.map(({ object }) => object.metadata.name)).toEqual(['p']);
    // a.yaml: two lines of separators and comment, then the manifest; the manifest's line n is file line n + 3.
    expect(result.validationErrors.map(({ path, line, documentIndex }) => ({ path, line, documentIndex }))).toEqual([
      { path: 'spec.nodeSelector.example.com/pool', line: 8 + 3, documentIndex: 1 },
      { path: 'spec.runtime.tolerations[1].value', line: 21 + 3, documentIndex: 1 },
    ]);
  });
});
