import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatValidationError } from '../../../src/api/errors.js';
import { loadAndValidateManifests } from '../../../src/api/manifests.js';

const samplesDirectory = join(process.cwd(), 'config', 'samples');

describe('config/samples', () => {
  const result = loadAndValidateManifests([samplesDirectory]);

  it('all validate, with no load errors', () => {
    expect([...result.loadErrors, ...result.validationErrors].map(formatValidationError)).toEqual([]);
  });

  it('holds one configspec.io object per file, of every kind', () => {
    const files = readdirSync(samplesDirectory).filter((file) => file.endsWith('.yaml'));
    expect(result.objects).toHaveLength(files.length);
    const kinds = new Set(result.objects.map(({ object }) => object.kind));
    expect([...kinds].sort()).toEqual(['AlignmentProfile', 'DeviceClass', 'DraftProfile', 'SpecDecodeDeployment']);
  });

  it('covers every objective and every policy mode', () => {
    const deployments = result.objects.flatMap(({ object }) =>
      object.kind === 'SpecDecodeDeployment' ? [object] : [],
    );
    expect(new Set(deployments.map((sdd) => sdd.spec.objective.maximize))).toEqual(
      new Set(['Goodput', 'CostEfficiency', 'EnergyEfficiency']),
    );
    expect(new Set(deployments.map((sdd) => sdd.spec.policy.mode))).toEqual(new Set(['Auto', 'Recommend', 'Pinned']));
  });

  it('has a two-class Goodput deployment with K from 0 to 10', () => {
    const goodput = result.objects.find(({ object }) => object.metadata.name === 'qwen-chat')?.object;
    expect(goodput?.kind).toBe('SpecDecodeDeployment');
    if (goodput?.kind !== 'SpecDecodeDeployment') return;
    expect(goodput.spec.edge.deviceClasses).toHaveLength(2);
    expect(goodput.spec.speculation.k).toEqual({ min: 0, max: 10 });
  });
});
