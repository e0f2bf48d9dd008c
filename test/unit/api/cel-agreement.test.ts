// The TypeScript rules (src/api/rules.ts) must decide exactly as the CRDs' CEL expressions do. Here the real
// CEL expressions run in a CEL interpreter (@bufbuild/cel) on the samples, the invalid-manifest catalogue and
// thousands of generated objects, and every verdict is compared with the TypeScript rule's.
import { isCelError, run, type CelInput } from '@bufbuild/cel';
import fc from 'fast-check';
import { CONFIGSPEC_KINDS, loadCrds } from '../../../src/api/crds.js';
import { CROSS_FIELD_RULES } from '../../../src/api/rules.js';
import { checkSchema } from '../../../src/api/schema-check.js';
import type { OpenApiSchema } from '../../../src/api/schema-types.js';
import { valuesAt } from '../../../src/api/locations.js';
import { applyDefaults } from '../../../src/api/validate.js';
import { INVALID_MANIFESTS, sample, type Manifest } from '../../support/invalid-manifests.js';
import { celSites, type CelSite } from './cel-sites.js';

const crds = loadCrds();
const sites = CONFIGSPEC_KINDS.flatMap((kind) => celSites(kind, crds.get(kind)!.schema));

/** JSON as the apiserver hands it to CEL: objects are maps, schema integers are CEL ints. */
function toCel(value: unknown, schema: OpenApiSchema | undefined): CelInput {
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  if (value !== null && typeof value === 'object') {
    return new Map(
      Object.entries(value).map(([key, child]) => {
        const childSchema =
          schema?.properties?.[key] ??
          (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        return [key, toCel(child, childSchema)];
      }),
    );
  }
  if (typeof value === 'number' && schema?.type === 'integer') return BigInt(value);
  return value as CelInput;
}

function celHolds(site: CelSite, self: unknown, oldSelf?: unknown): boolean {
  const bindings: Record<string, CelInput> = { self: toCel(self, site.schema) };
  if (oldSelf !== undefined) bindings.oldSelf = toCel(oldSelf, site.schema);
  const result = run(site.rule.rule, bindings);
  if (isCelError(result)) throw new Error(`${site.kind} ${site.at}: ${site.rule.rule}: ${result.message}`);
  return result === true;
}

function twin(site: CelSite) {
  const rule = CROSS_FIELD_RULES.find(
    (candidate) =>
      candidate.kind === site.kind &&
      candidate.at === site.at &&
      candidate.message === site.rule.message &&
      (candidate.fieldPath ?? '') === (site.rule.fieldPath ?? ''),
  );
  if (rule === undefined) throw new Error(`no TypeScript rule for ${site.kind} ${site.at} "${site.rule.message}"`);
  return rule;
}

/** Every disagreement between CEL and TypeScript on one object (and its previous version, if any). */
function disagreements(manifest: Manifest, previous?: Manifest): string[] {
  const object = applyDefaults(manifest);
  const before = previous === undefined ? undefined : applyDefaults(previous);
  const found: string[] = [];
  for (const site of sites.filter((candidate) => candidate.kind === object.kind)) {
    const transition = site.rule.rule.includes('oldSelf');
    if (transition && before === undefined) continue;
    for (const { path, value } of valuesAt(object, site.at)) {
      const old = transition ? valuesAt(before, site.at).find((node) => node.path === path)?.value : undefined;
      if (transition && old === undefined) continue;
      const cel = celHolds(site, value, old);
      const typescript = twin(site).check(value, old) === undefined;
      if (cel !== typescript) found.push(`${path}: "${site.rule.message}": CEL says ${cel}, TypeScript ${typescript}`);
    }
  }
  return found;
}

/** The apiserver evaluates CEL only on objects its schema accepts; the comparison does the same. */
const schemaValid = (manifest: Manifest): boolean => {
  const object = applyDefaults(manifest);
  return checkSchema({ ...object, metadata: {} }, crds.get(object.kind)!.schema).length === 0;
};

describe('CEL and the TypeScript rules agree', () => {
  const samples = [
    'specdecodedeployment-goodput.yaml',
    'specdecodedeployment-cost.yaml',
    'specdecodedeployment-energy.yaml',
    'specdecodedeployment-pinned.yaml',
    'specdecodedeployment-recommend.yaml',
    'deviceclass-nvidia-a100-80gb.yaml',
    'deviceclass-jetson-orin-nano-8gb.yaml',
    'draftprofile.yaml',
    'alignmentprofile.yaml',
  ];

  it('on the samples (all rules hold)', () => {
    for (const file of samples) expect({ file, problems: disagreements(sample(file)) }).toEqual({ file, problems: [] });
  });

  it('on every schema-valid case of the invalid-manifest catalogue, and CEL rejects each cel case', () => {
    for (const c of INVALID_MANIFESTS.filter((candidate) => schemaValid(candidate.manifest))) {
      expect({ name: c.name, problems: disagreements(c.manifest) }).toEqual({ name: c.name, problems: [] });
    }
    const celCases = INVALID_MANIFESTS.filter((c) => c.enforcedBy === 'cel');
    expect(celCases.length).toBeGreaterThanOrEqual(15);
    for (const c of celCases) {
      const object = applyDefaults(c.manifest);
      const rejected = sites
        .filter((site) => site.kind === object.kind && (site.rule.message ?? '').startsWith(c.message))
        .some((site) => valuesAt(object, site.at).some(({ value }) => !celHolds(site, value)));
      expect({ name: c.name, rejectedByCel: rejected }).toEqual({ name: c.name, rejectedByCel: true });
    }
  });

  it('on the transition rules (profile specs are immutable)', () => {
    const changed = sample('draftprofile.yaml');
    changed.spec.draft = 'qwen2.5-1.5b-instruct';
    expect(disagreements(changed, sample('draftprofile.yaml'))).toEqual([]);
    expect(disagreements(sample('alignmentprofile.yaml'), sample('alignmentprofile.yaml'))).toEqual([]);
  });

  const modelNames = ['qwen2.5-0.5b-instruct', 'qwen2.5-1.5b-instruct', 'qwen2.5-7b-instruct', 'llama-3.2-1b-instruct'];
  const quantization = fc.constantFrom('Q4_K_M', 'Q5_K_M', 'Q8_0', 'F16');
  const model = fc.record(
    {
      name: fc.constantFrom(...modelNames),
      family: fc.constantFrom('qwen2.5', 'llama3'),
      parametersBillions: fc.constantFrom(0.5, 1.5, 7.6),
      source: fc.constant({ uri: 'hf://org/repo/model.gguf' }),
    },
    { requiredKeys: ['name'] },
  );
  const deployment = fc.record({
    target: fc.record({
      model,
      verifier: fc.record({ deviceClass: fc.constantFrom('nvidia-a100-80gb', 'raspberry-pi-5') }),
    }),
    drafts: fc.array(
      fc.record(
        {
          model,
          quantizations: fc.uniqueArray(quantization, { minLength: 1, maxLength: 4 }),
          sources: fc.uniqueArray(fc.record({ quantization, uri: fc.constant('hf://org/repo/model-q.gguf') }), {
            maxLength: 3,
            selector: (s) => s.quantization,
          }),
        },
        { requiredKeys: ['model', 'quantizations'] },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    speculation: fc.record({
      k: fc.record({ min: fc.integer({ min: 0, max: 12 }), max: fc.integer({ min: 0, max: 12 }) }),
    }),
    edge: fc.record(
      { deviceClasses: fc.uniqueArray(fc.constantFrom('raspberry-pi-5', 'jetson-orin-nano-8gb', 'nvidia-a100-80gb')) },
      { requiredKeys: [] },
    ),
    policy: fc.record(
      {
        mode: fc.constantFrom('Auto', 'Recommend', 'Pinned'),
        pinned: fc.record({ draft: fc.constantFrom(...modelNames), quantization, k: fc.integer({ min: 0, max: 12 }) }),
      },
      { requiredKeys: [] },
    ),
  });

  it('on generated SpecDecodeDeployments', () => {
    fc.assert(
      fc.property(deployment, (spec) => {
        const manifest = {
          apiVersion: 'configspec.io/v1alpha1',
          kind: 'SpecDecodeDeployment',
          metadata: { name: 'x' },
          spec,
        };
        expect(disagreements(manifest)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  const toleration = fc.record(
    {
      key: fc.constant('nvidia.com/gpu'),
      operator: fc.constantFrom('Exists', 'Equal'),
      value: fc.constant('true'),
      effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
      tolerationSeconds: fc.integer({ min: 0, max: 600 }),
    },
    { requiredKeys: [] },
  );

  it('on generated DeviceClasses', () => {
    fc.assert(
      fc.property(
        fc.record({ idleWatts: fc.integer({ min: 0, max: 20 }), maxWatts: fc.integer({ min: 1, max: 20 }) }),
        fc.array(toleration, { maxLength: 3 }),
        (power, tolerations) => {
          const manifest = sample('deviceclass-raspberry-pi-5.yaml');
          manifest.spec.power = { ...power, sensor: 'None' };
          manifest.spec.runtime = { tolerations };
          expect(disagreements(manifest)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
