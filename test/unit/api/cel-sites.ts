// Collects the x-kubernetes-validations rules of a CRD schema together with where they sit, in the location
// notation src/api/rules.ts uses (dotted, [*] for list items).
import type { CelValidationRule, OpenApiSchema } from '../../../src/api/schema-types.js';

export interface CelSite {
  kind: string;
  at: string;
  rule: CelValidationRule;
  /** The schema node the rule is attached to. */
  schema: OpenApiSchema;
}

export function celSites(kind: string, schema: OpenApiSchema, at = ''): CelSite[] {
  const here = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({ kind, at, rule, schema }));
  const children = Object.entries(schema.properties ?? {}).flatMap(([name, child]) =>
    celSites(kind, child, at === '' ? name : `${at}.${name}`),
  );
  const items = schema.items === undefined ? [] : celSites(kind, schema.items, `${at}[*]`);
  return [...here, ...children, ...items];
}
