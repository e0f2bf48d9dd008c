import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIGSPEC_KINDS, loadCrds } from '../../../src/api/crds.js';
import type { OpenApiSchema } from '../../../src/api/schema-types.js';
import { diffTypeAndSchema, loadTypeSource } from './schema-type-diff.js';

// apiVersion, kind and metadata are Kubernetes' own; the CRD leaves metadata open.
const SKIPPED = new Set(['apiVersion', 'kind', 'metadata']);

describe('src/api/types.ts and the CRDs in crds/', () => {
  const types = loadTypeSource(join(process.cwd(), 'src', 'api', 'types.ts'));
  const crds = loadCrds();

  it.each([...CONFIGSPEC_KINDS])('%s: every field, its required-ness and its enum values agree', (kind) => {
    const schema = crds.get(kind)!.schema;
    expect(diffTypeAndSchema(types.checker, types.typeOf(kind), schema, '', SKIPPED)).toEqual([]);
  });

  it('notices a change deep inside the real schema (nested objects, list items, maps)', () => {
    const schema = structuredClone(crds.get('SpecDecodeDeployment')!.schema);
    const spec = schema.properties!.spec!.properties!;
    delete spec.profiling!.properties!.prompts!.properties!.key;
    spec.drafts!.items!.properties!.quantizations!.items!.enum!.push('Q2_K');
    schema.properties!.status!.properties!.deviceClasses!.items!.properties!.frontier!.items!.required!.pop();
    spec.edge!.properties!.nodeSelector!.additionalProperties = { type: 'integer' };
    expect(diffTypeAndSchema(types.checker, types.typeOf('SpecDecodeDeployment'), schema, '', SKIPPED).sort()).toEqual(
      [
        'spec.profiling.prompts.key: in types.ts, not in the CRD',
        'spec.drafts[].quantizations[]: the CRD allows [F16, Q2_K, Q4_K_M, Q5_K_M, Q8_0], types.ts allows [F16, Q4_K_M, Q5_K_M, Q8_0]',
        'status.deviceClasses[].frontier[].joulesPerToken: required in types.ts, optional in the CRD',
        'spec.edge.nodeSelector[*]: the CRD says integer, types.ts says string',
      ].sort(),
    );
  });
});

describe('the drift check itself', () => {
  // A scratch types file, so the test proves the check fails on each kind of drift (a check that never fails
  // would make the test above worthless).
  const directory = mkdtempSync(join(tmpdir(), 'configspec-drift-'));
  const file = join(directory, 'scratch.ts');
  writeFileSync(
    file,
    `export interface Widget {
       spec: { size: number; colour?: 'Red' | 'Blue'; tags?: string[]; labels?: Record<string, string>; extra?: string };
     }\n`,
  );
  const source = loadTypeSource(file);
  const schema: OpenApiSchema = {
    type: 'object',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'string' },
          colour: { type: 'string', enum: ['Red', 'Green'] },
          tags: { type: 'array', items: { type: 'integer' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          missing: { type: 'number' },
        },
      },
    },
  };

  it('names each property, required-ness, type and enum difference by path', () => {
    expect(diffTypeAndSchema(source.checker, source.typeOf('Widget'), schema, '').sort()).toEqual(
      [
        'spec.extra: in types.ts, not in the CRD',
        'spec.missing: in the CRD, not in types.ts',
        'spec.size: required in types.ts, optional in the CRD',
        'spec.size: the CRD says string, types.ts says number',
        'spec.colour: the CRD allows [Green, Red], types.ts allows [Blue, Red]',
        'spec.tags[]: the CRD says integer, types.ts says string',
      ].sort(),
    );
  });

  it('counts a schema default as present, as types.ts describes stored objects', () => {
    const defaulted: OpenApiSchema = structuredClone(schema);
    defaulted.properties!.spec!.properties!.size = { type: 'number', default: 1 };
    expect(diffTypeAndSchema(source.checker, source.typeOf('Widget'), defaulted, '')).not.toContain(
      'spec.size: required in types.ts, optional in the CRD',
    );
  });
});
