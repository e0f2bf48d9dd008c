import { QUANTIZATIONS } from '../../../src/api/types.js';
import {
  ACCEPTANCE_PRIORS,
  BUILTIN_CATALOG,
  catalogDeviceClassObject,
  findCatalogDeviceClass,
  findCatalogModel,
  type FigureSource,
} from '../../../src/catalog/index.js';

function expectSource(source: FigureSource | undefined, what: string): void {
  expect({ what, kind: source?.kind }).toEqual({
    what,
    kind: expect.stringMatching(/^(published|computed|heuristic)$/),
  });
  expect(source!.note.length).toBeGreaterThan(10);
  if (source!.kind === 'published')
    expect({ what, url: source!.url }).toEqual({ what, url: expect.stringMatching(/^https:\/\//) });
}

describe('built-in catalog', () => {
  it('has the device classes and models the deployment examples name', () => {
    for (const name of [
      'raspberry-pi-4',
      'raspberry-pi-5',
      'jetson-orin-nano-8gb',
      'jetson-agx-orin-64gb',
      'x86-edge-box',
      'nvidia-a100-80gb',
      'nvidia-h100-80gb',
      'nvidia-l4',
    ])
      expect(findCatalogDeviceClass(BUILTIN_CATALOG, name)).toBeDefined();
    for (const name of [
      'qwen2.5-0.5b-instruct',
      'qwen2.5-1.5b-instruct',
      'qwen2.5-3b-instruct',
      'qwen2.5-7b-instruct',
      'qwen2.5-14b-instruct',
      'qwen2.5-32b-instruct',
      'llama-3.2-1b-instruct',
      'llama-3.2-3b-instruct',
      'llama-3.1-8b-instruct',
      'llama-3.3-70b-instruct',
    ])
      expect(findCatalogModel(BUILTIN_CATALOG, name)).toBeDefined();
  });

  it('gives every device-class figure a source, and the figures are positive and sane', () => {
    for (const dc of BUILTIN_CATALOG.deviceClasses) {
      for (const field of [
        'memoryGiB',
        'memoryBandwidthGBps',
        'idleWatts',
        'maxWatts',
        'usdPerHour',
        'rttMilliseconds',
        'decodeEfficiency',
      ] as const) {
        expectSource(dc.sources[field], `${dc.name}.${field}`);
        expect(dc[field]).toBeGreaterThan(0);
      }
      if (dc.computeTFLOPS !== undefined) expectSource(dc.sources.computeTFLOPS, `${dc.name}.computeTFLOPS`);
      expect(dc.maxWatts).toBeGreaterThan(dc.idleWatts);
      expect(dc.decodeEfficiency).toBeLessThanOrEqual(1);
      expect(dc.memoryGiB).toBeLessThanOrEqual(256);
      expect(dc.memoryBandwidthGBps).toBeLessThanOrEqual(5000);
      if (dc.role === 'Verifier') {
        expect(dc.computeTFLOPS).toBeGreaterThan(0);
        expect(dc.usdPerHour).toBeGreaterThan(0.1);
        expect(dc.usdPerHour).toBeLessThan(20);
      } else expect(dc.maxWatts).toBeLessThanOrEqual(100);
    }
  });

  it('gives every model figure a source; sizes grow with precision and match bits per weight roughly', () => {
    for (const model of BUILTIN_CATALOG.models) {
      expectSource(model.sources.parametersBillions, `${model.name}.parameters`);
      expectSource(model.sources.architecture, `${model.name}.architecture`);
      expect(model.parametersBillions).toBeGreaterThan(0.1);
      expect(model.layers * model.kvHeads * model.headDim).toBeGreaterThan(0);
      let previous = 0;
      for (const q of QUANTIZATIONS) {
        expectSource(model.sources[q], `${model.name}.${q}`);
        const bytes = model.ggufBytes[q];
        expect(bytes).toBeGreaterThan(previous);
        previous = bytes;
        // Between 4 and 17 bits per weight: a typo of a factor of ten would fail.
        const bitsPerWeight = (bytes * 8) / (model.parametersBillions * 1e9);
        expect({ model: model.name, q, ok: bitsPerWeight > 4 && bitsPerWeight < 17 }).toEqual({
          model: model.name,
          q,
          ok: true,
        });
      }
    }
  });

  it('has sourced acceptance priors that are probabilities', () => {
    for (const prior of ACCEPTANCE_PRIORS) {
      expectSource(prior.source, `${prior.draft}->${prior.target}`);
      expect(prior.alpha).toBeGreaterThan(0);
      expect(prior.alpha).toBeLessThan(1);
      expect(findCatalogModel(BUILTIN_CATALOG, prior.draft)).toBeDefined();
      expect(findCatalogModel(BUILTIN_CATALOG, prior.target)).toBeDefined();
    }
  });

  it('turns a catalog entry into a DeviceClass object with its figures', () => {
    const object = catalogDeviceClassObject(findCatalogDeviceClass(BUILTIN_CATALOG, 'nvidia-l4')!);
    expect(object.kind).toBe('DeviceClass');
    expect(object.spec.role).toBe('Verifier');
    expect(object.spec.hardware).toMatchObject({ memoryGiB: 24, memoryBandwidthGBps: 300, computeTFLOPS: 121 });
    expect(object.spec.price?.usdPerHour).toBeCloseTo(0.7068, 6);
  });
});
