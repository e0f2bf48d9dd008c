// The sample DeviceClasses and the catalog's (which the chart can install) must select the nodes of the boards
// they describe: every one whose board is in the default fleet selects some of its nodes, and the same ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DeviceClass } from '../../../src/api/types.js';
import { BUILTIN_CATALOG, catalogDeviceClassObject } from '../../../src/catalog/index.js';
import { parseFleet, renderFleet } from '../../../src/fleet/render.js';
import { selectorMatches } from '../../../src/planner/node-groups.js';

const root = join(import.meta.dirname, '..', '..', '..');
const nodes = renderFleet(parseFleet(parse(readFileSync(join(root, 'config/fleet/default.yaml'), 'utf8'))));
const samples = readdirSync(join(root, 'config/samples'))
  .filter((file) => file.startsWith('deviceclass-'))
  .map((file) => parse(readFileSync(join(root, 'config/samples', file), 'utf8')) as DeviceClass);
const selected = (dc: DeviceClass) =>
  nodes.filter((n) => selectorMatches(dc.spec.nodeSelector, n.metadata.labels)).map((n) => n.metadata.name);

describe('DeviceClass selectors against the default fleet', () => {
  it.each(samples.map((dc) => [dc.metadata.name, dc] as const))('sample %s selects fleet nodes', (_name, dc) => {
    expect(selected(dc).length).toBeGreaterThan(0);
  });

  it('the catalog class of each sample selects the same nodes as the sample', () => {
    for (const sample of samples) {
      const entry = BUILTIN_CATALOG.deviceClasses.find((c) => c.name === sample.metadata.name);
      expect(entry).toBeDefined();
      expect(selected(catalogDeviceClassObject(entry!))).toEqual(selected(sample));
    }
  });
});
