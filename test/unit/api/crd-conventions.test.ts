// The CRDs follow the API conventions the project promises: documented (kubectl explain is useful), bounded
// (so CEL cost estimates fit and objects stay small), defaults that are themselves valid, well-formed CEL rules,
// printer columns that point at real fields, and the status subresource.
import { CONFIGSPEC_KINDS, loadCrds } from '../../../src/api/crds.js';
import { defaultBySchema } from '../../../src/api/defaults.js';
import { CROSS_FIELD_RULES } from '../../../src/api/rules.js';
import { checkSchema } from '../../../src/api/schema-check.js';
import type { OpenApiSchema } from '../../../src/api/schema-types.js';

interface Node {
  path: string;
  schema: OpenApiSchema;
  /** A list item or map value: documented by its parent. */
  element: boolean;
}

function nodes(schema: OpenApiSchema, path = '', element = false): Node[] {
  const here: Node = { path, schema, element };
  const children = Object.entries(schema.properties ?? {}).flatMap(([name, child]) =>
    nodes(child, path === '' ? name : `${path}.${name}`),
  );
  const items = schema.items === undefined ? [] : nodes(schema.items, `${path}[]`, true);
  const values =
    typeof schema.additionalProperties === 'object' ? nodes(schema.additionalProperties, `${path}[*]`, true) : [];
  return [here, ...children, ...items, ...values];
}

const crds = loadCrds();
const KUBERNETES_FIELDS = new Set(['', 'apiVersion', 'kind', 'metadata']);

describe.each([...CONFIGSPEC_KINDS])('the %s CRD', (kind) => {
  const crd = crds.get(kind)!.crd;
  const schema = crds.get(kind)!.schema;
  const all = nodes(schema).filter((node) => !KUBERNETES_FIELDS.has(node.path));
  const fields = (predicate: (node: Node) => boolean): string[] => all.filter(predicate).map((node) => node.path);

  it('documents every field', () => {
    expect(fields((node) => !node.element && (node.schema.description ?? '').trim().length < 10)).toEqual([]);
  });

  it('says what the default is wherever a scalar field has one', () => {
    expect(
      fields(
        (node) =>
          node.schema.default !== undefined &&
          typeof node.schema.default !== 'object' &&
          !(node.schema.description ?? '')
            .toLowerCase()
            .includes(`default ${String(node.schema.default).toLowerCase()}`),
      ),
    ).toEqual([]);
  });

  it('bounds every string, list and map', () => {
    expect(
      fields(
        (node) =>
          node.schema.type === 'string' &&
          node.schema.maxLength === undefined &&
          node.schema.enum === undefined &&
          node.schema.format !== 'date-time',
      ),
    ).toEqual([]);
    expect(fields((node) => node.schema.type === 'array' && node.schema.maxItems === undefined)).toEqual([]);
    expect(
      fields(
        (node) =>
          node.schema.type === 'object' &&
          typeof node.schema.additionalProperties === 'object' &&
          node.schema.maxProperties === undefined,
      ),
    ).toEqual([]);
  });

  it('bounds every number users write on both sides, and keeps observed counts non-negative', () => {
    const numeric = (node: Node): boolean => node.schema.type === 'integer' || node.schema.type === 'number';
    expect(
      fields(
        (node) =>
          numeric(node) &&
          node.path.startsWith('spec.') &&
          (node.schema.minimum === undefined || node.schema.maximum === undefined),
      ),
    ).toEqual([]);
    expect(fields((node) => numeric(node) && node.schema.minimum === undefined)).toEqual([]);
  });

  it('gives every node a type (a structural schema)', () => {
    expect(fields((node) => node.schema.type === undefined)).toEqual([]);
  });

  it('has defaults that its own schema accepts', () => {
    const invalid = all.flatMap((node) =>
      node.schema.default === undefined
        ? []
        : checkSchema(node.schema.default, node.schema).map((error) => `${node.path}: ${error.path} ${error.message}`),
    );
    expect(invalid).toEqual([]);
  });

  it('writes object defaults in full (the apiserver checks a default as written, CEL rules included)', () => {
    // A default like `policy: {}` relies on nested defaults the apiserver does not apply when it validates the
    // default itself, and could drift from them; so each object default must already hold its fields' defaults.
    const incomplete = all
      .filter((node) => node.schema.default !== null && typeof node.schema.default === 'object')
      .filter(
        (node) =>
          JSON.stringify(defaultBySchema(node.schema.default, node.schema)) !== JSON.stringify(node.schema.default),
      )
      .map((node) => node.path);
    expect(incomplete).toEqual([]);
    const location = (path: string): string => path.replace(/\[\]/g, '[*]');
    const broken = all
      .filter((node) => node.schema.default !== undefined)
      .flatMap((node) =>
        CROSS_FIELD_RULES.filter(
          (rule) => rule.kind === kind && rule.at === location(node.path) && rule.transition !== true,
        )
          .filter((rule) => rule.check(node.schema.default) !== undefined)
          .map((rule) => `${node.path}: ${rule.message}`),
      );
    expect(broken).toEqual([]);
  });

  it('gives every CEL rule a message, a standard reason and a fieldPath that exists', () => {
    const problems = all.flatMap((node) =>
      (node.schema['x-kubernetes-validations'] ?? []).flatMap((rule) => {
        const found: string[] = [];
        if ((rule.message ?? '').length === 0) found.push(`${node.path}: "${rule.rule}" has no message`);
        if (
          !(
            // FieldValueDuplicate is left out: the apiserver prints no message with it.
            ['FieldValueInvalid', 'FieldValueRequired', 'FieldValueForbidden'].includes(rule.reason ?? '')
          )
        ) {
          found.push(`${node.path}: "${rule.rule}" has reason ${String(rule.reason)}`);
        }
        if (rule.fieldPath !== undefined) {
          let target: OpenApiSchema | undefined = node.schema;
          for (const part of rule.fieldPath.split('.').slice(1)) target = target?.properties?.[part];
          if (target === undefined) found.push(`${node.path}: fieldPath ${rule.fieldPath} is not in the schema`);
        }
        return found;
      }),
    );
    expect(problems).toEqual([]);
  });

  it('has printer columns that point at fields of the schema', () => {
    const version = crd.spec.versions[0]!;
    const missing = (version.additionalPrinterColumns ?? []).filter((column) => {
      const parts = column.jsonPath
        .replace(/\[\?\(.*?\)\]|\[\*\]/g, '[]')
        .split('.')
        .slice(1);
      let target: OpenApiSchema | undefined = schema;
      for (const part of parts) {
        const name = part.replace(/\[\]$/, '');
        target = name === 'creationTimestamp' ? { type: 'string' } : target?.properties?.[name];
        if (part.endsWith('[]')) target = target?.items;
      }
      return target === undefined;
    });
    expect(missing.map((column) => column.jsonPath)).toEqual([]);
  });

  it('serves one stored version with a status subresource, in the configspec category', () => {
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources?.status])).toEqual([
      ['v1alpha1', true, true, {}],
    ]);
    expect(crd.spec.names.categories).toEqual(['configspec']);
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.configspec.io`);
  });
});

describe('scopes and names', () => {
  it('makes SpecDecodeDeployment namespaced with short name sdd, and the rest cluster-scoped', () => {
    const scopes = Object.fromEntries(CONFIGSPEC_KINDS.map((kind) => [kind, crds.get(kind)!.crd.spec.scope]));
    expect(scopes).toEqual({
      SpecDecodeDeployment: 'Namespaced',
      DeviceClass: 'Cluster',
      DraftProfile: 'Cluster',
      AlignmentProfile: 'Cluster',
    });
    expect(crds.get('SpecDecodeDeployment')!.crd.spec.names.shortNames).toEqual(['sdd']);
  });

  it('shows objective, mode, classes, Ready and age for sdd, and role, arch and nodes for DeviceClass', () => {
    const columns = (kind: 'SpecDecodeDeployment' | 'DeviceClass') =>
      crds
        .get(kind)!
        .crd.spec.versions[0]!.additionalPrinterColumns!.filter((column) => (column.priority ?? 0) === 0)
        .map((column) => column.name);
    expect(columns('SpecDecodeDeployment')).toEqual(['Objective', 'Mode', 'Classes', 'Ready', 'Age']);
    expect(columns('DeviceClass')).toEqual(['Role', 'Arch', 'Nodes', 'Ready', 'Age']);
  });
});
