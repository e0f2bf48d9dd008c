// Structural validation of a manifest against its CRD schema with ajv, reporting errors by field path in words
// a user can act on. Unknown fields are errors (kubectl's default server-side field validation, Strict, rejects
// them too; without it the apiserver would silently drop them, which hides typos).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { childPath } from './errors.js';
import type { ValidationError } from './errors.js';
import type { OpenApiSchema } from './schema-types.js';
import { closestMatch } from './suggest.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv, formats: string[]) => Ajv;

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-map-type',
];

function createAjv(): Ajv {
  // strict stays on so a misspelt keyword in our own CRDs fails loudly; the Kubernetes extensions are declared
  // as annotations (their meaning is enforced by the rules in rules.ts and the list checks below).
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv, ['date-time']);
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword });
  return ajv;
}

/**
 * The CRD schema in the dialect ajv speaks: OpenAPI 3.0's boolean exclusiveMinimum/Maximum become numbers,
 * objects with declared properties reject others, and list-type set means unique items.
 */
export function toAjvSchema(schema: OpenApiSchema): Record<string, unknown> {
  const { exclusiveMinimum, exclusiveMaximum, properties, items, additionalProperties, ...rest } = schema;
  const result: Record<string, unknown> = { ...rest };
  if (exclusiveMinimum === true && schema.minimum !== undefined) {
    delete result.minimum;
    result.exclusiveMinimum = schema.minimum;
  }
  if (exclusiveMaximum === true && schema.maximum !== undefined) {
    delete result.maximum;
    result.exclusiveMaximum = schema.maximum;
  }
  if (properties !== undefined) {
    result.properties = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, toAjvSchema(value)]));
    if (additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      result.additionalProperties = false;
    }
  }
  if (typeof additionalProperties === 'object') result.additionalProperties = toAjvSchema(additionalProperties);
  else if (additionalProperties !== undefined) result.additionalProperties = additionalProperties;
  if (items !== undefined) result.items = toAjvSchema(items);
  if (schema['x-kubernetes-list-type'] === 'set') result.uniqueItems = true;
  return result;
}

const compiled = new WeakMap<OpenApiSchema, { validate: ValidateFunction; schema: OpenApiSchema }>();
let sharedAjv: Ajv | undefined;

function validatorFor(schema: OpenApiSchema): ValidateFunction {
  let entry = compiled.get(schema);
  if (entry === undefined) {
    sharedAjv ??= createAjv();
    entry = { validate: sharedAjv.compile(toAjvSchema(schema)), schema };
    compiled.set(schema, entry);
  }
  return entry.validate;
}

/** Checks `object` against `schema`; errors carry the dotted field path and a message naming the rule broken. */
export function checkSchema(object: unknown, schema: OpenApiSchema): ValidationError[] {
  const validate = validatorFor(schema);
  const errors: ValidationError[] = [];
  if (!validate(object)) {
    for (const error of validate.errors ?? []) errors.push(describeAjvError(error, object, schema));
  }
  errors.push(...checkListMapKeys(object, schema, ''));
  return dedupe(errors);
}

function dedupe(errors: ValidationError[]): ValidationError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Resolves an ajv instancePath (/spec/drafts/0/model) to our path (spec.drafts[0].model) and its value. */
function resolvePointer(root: unknown, pointer: string): { path: string; value: unknown } {
  let path = '';
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path = childPath(path, Number(key));
      value = value[Number(key)];
    } else {
      path = childPath(path, key);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return { path, value };
}

/** The schema node for an ajv schemaPath's parent (#/properties/spec/properties/k/minimum → the k.min node). */
function schemaAt(root: OpenApiSchema, schemaPath: string): OpenApiSchema | undefined {
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: unknown = root;
  for (const part of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node as OpenApiSchema | undefined;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  return 0;
}

function describeAjvError(error: ErrorObject, root: unknown, schema: OpenApiSchema): ValidationError {
  const { path, value } = resolvePointer(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  const at = (message: string, fieldPath = path): ValidationError => ({ path: fieldPath, message });
  switch (error.keyword) {
    case 'required':
      return at('is required', childPath(path, String(params.missingProperty)));
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys(schemaAt(schema, error.schemaPath)?.properties ?? {});
      const suggestion = closestMatch(field, known);
      const hint = suggestion === undefined ? `known fields: ${known.join(', ')}` : `did you mean "${suggestion}"?`;
      return at(`unknown field (${hint})`, childPath(path, field));
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const suggestion = typeof value === 'string' ? closestMatch(value, allowed) : undefined;
      const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
      return at(`must be one of ${allowed.join(', ')} (got ${show(value)}${hint})`);
    }
    case 'type':
      return at(`must be ${withArticle(String(params.type))} (got ${show(value)})`);
    case 'minimum':
      return at(`must be ≥ ${String(params.limit)} (got ${show(value)})`);
    case 'maximum':
      return at(`must be ≤ ${String(params.limit)} (got ${show(value)})`);
    case 'exclusiveMinimum':
      return at(`must be > ${String(params.limit)} (got ${show(value)})`);
    case 'exclusiveMaximum':
      return at(`must be < ${String(params.limit)} (got ${show(value)})`);
    case 'minLength':
      return at(`must be at least ${String(params.limit)} characters long (got ${sizeOf(value)})`);
    case 'maxLength':
      return at(`must be at most ${String(params.limit)} characters long (got ${sizeOf(value)})`);
    case 'minItems':
      return at(`must have at least ${String(params.limit)} item(s) (got ${sizeOf(value)})`);
    case 'maxItems':
      return at(`must have at most ${String(params.limit)} items (got ${sizeOf(value)})`);
    case 'minProperties':
      return at(
        `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'} (got ${sizeOf(value)})`,
      );
    case 'maxProperties':
      return at(`must have at most ${String(params.limit)} entries (got ${sizeOf(value)})`);
    case 'uniqueItems': {
      // Reported at the repeated item, as the apiserver does for list-type set.
      const repeated = Math.max(Number(params.i), Number(params.j));
      const first = Math.min(Number(params.i), Number(params.j));
      return at(`duplicates [${first}] (${show((value as unknown[])[repeated])})`, childPath(path, repeated));
    }
    case 'pattern':
      return at(`must match ${String(params.pattern)} (got ${show(value)})`);
    case 'format':
      return at(
        `must be ${params.format === 'date-time' ? 'an RFC 3339 date-time' : `a ${String(params.format)}`} (got ${show(value)})`,
      );
    default:
      return at(error.message ?? `breaks the schema's ${error.keyword} rule`);
  }
}

function withArticle(type: string): string {
  const name =
    type === 'integer' ? 'an integer' : type === 'object' ? 'an object' : type === 'array' ? 'a list' : `a ${type}`;
  return name;
}

/** x-kubernetes-list-type: map lists must not repeat an entry's key fields (e.g. two conditions of one type). */
function checkListMapKeys(value: unknown, schema: OpenApiSchema, path: string): ValidationError[] {
  const errors: ValidationError[] = [];
  if (Array.isArray(value)) {
    const keys = schema['x-kubernetes-list-map-keys'];
    if (schema['x-kubernetes-list-type'] === 'map' && keys !== undefined) {
      const firstIndexByKey = new Map<string, number>();
      value.forEach((item, index) => {
        if (item === null || typeof item !== 'object') return;
        const key = JSON.stringify(keys.map((name) => (item as Record<string, unknown>)[name]));
        const first = firstIndexByKey.get(key);
        if (first === undefined) firstIndexByKey.set(key, index);
        else {
          const described = keys.map((name) => `${name} ${show((item as Record<string, unknown>)[name])}`).join(', ');
          errors.push({ path: childPath(path, index), message: `duplicates entry [${first}] (same ${described})` });
        }
      });
    }
    if (schema.items !== undefined) {
      value.forEach((item, index) => errors.push(...checkListMapKeys(item, schema.items!, childPath(path, index))));
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const property = schema.properties?.[key];
      if (property !== undefined) errors.push(...checkListMapKeys(child, property, childPath(path, key)));
    }
  }
  return errors;
}
