// Validation of one configspec.io object, as the apiserver would do it: defaults from the CRD schema first,
// then the schema (types, enums, bounds, unknown fields), then the CRD's cross-field (CEL) rules, plus the few
// checks the apiserver makes on every object (metadata.name). Nothing here reads files or the network.
import { crdSchema, isConfigSpecKind, type ConfigSpecKind } from './crds.js';
import { defaultBySchema } from './defaults.js';
import type { ValidationError } from './errors.js';
import { valuesAt } from './locations.js';
import { CROSS_FIELD_RULES, type CrossFieldRule } from './rules.js';
import { checkSchema } from './schema-check.js';
import { closestMatch } from './suggest.js';
import { checkAgainstCatalog } from './catalog-checks.js';
import { API_VERSION, GROUP, type ConfigSpecObject } from './types.js';

export interface ValidateOptions {
  /** The previous version of the object: transition rules (immutable profile specs) are checked against it. */
  previous?: unknown;
  /**
   * The built-in catalog's models, name → tokenizer family. When given, a model without a source must be one of
   * them, and drafts must share the target's family even where the manifest leaves family out. The apiserver
   * cannot check this (it does not know the catalog); only local validation does.
   */
  catalogModels?: ReadonlyMap<string, string>;
}

export interface ValidationResult {
  /** The object with schema defaults applied (what the apiserver would store), or undefined if not an object. */
  object: ConfigSpecObject | undefined;
  errors: ValidationError[];
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** True for objects of our API group (any version or kind): those the validator is responsible for. */
export function isConfigSpecApiObject(value: unknown): boolean {
  return isObject(value) && typeof value.apiVersion === 'string' && value.apiVersion.split('/')[0] === GROUP;
}

/** A deep copy of `object` with the CRD schema's defaults filled in (non-configspec.io objects are copied as is). */
export function applyDefaults<T>(object: T): T {
  if (!isObject(object) || !isConfigSpecKind(object.kind) || object.apiVersion !== API_VERSION) {
    return structuredClone(object);
  }
  return defaultBySchema(structuredClone(object), crdSchema(object.kind)) as T;
}

/** Every problem with `object`, each naming its field; [] when the apiserver would accept it. */
export function validateObject(object: unknown, options: ValidateOptions = {}): ValidationError[] {
  return validateAndDefault(object, options).errors;
}

export function validateAndDefault(object: unknown, options: ValidateOptions = {}): ValidationResult {
  if (!isObject(object)) return { object: undefined, errors: [{ path: '', message: 'must be a YAML/JSON object' }] };
  const identity = identify(object);
  const headerErrors = checkHeader(object);
  if (headerErrors.length > 0)
    return { object: undefined, errors: headerErrors.map((error) => ({ ...identity, ...error })) };
  const kind = object.kind as ConfigSpecKind;
  const defaulted = applyDefaults(object);
  const errors = [
    ...checkMetadata(defaulted),
    ...checkSchema(withoutMetadataExtras(defaulted), crdSchema(kind)),
    ...checkCrossFieldRules(
      kind,
      defaulted,
      options.previous === undefined ? undefined : applyDefaults(options.previous),
    ),
    ...(options.catalogModels === undefined || kind !== 'SpecDecodeDeployment'
      ? []
      : checkAgainstCatalog(defaulted, options.catalogModels)),
  ];
  return {
    object: defaulted as unknown as ConfigSpecObject,
    errors: errors.map((error) => ({ ...identity, ...error })),
  };
}

function identify(object: JsonObject): { kind?: string; name?: string } {
  const name = isObject(object.metadata) ? object.metadata.name : undefined;
  return {
    ...(typeof object.kind === 'string' ? { kind: object.kind } : {}),
    ...(typeof name === 'string' ? { name } : {}),
  };
}

function checkHeader(object: JsonObject): ValidationError[] {
  if (object.apiVersion !== API_VERSION) {
    return [{ path: 'apiVersion', message: `must be ${API_VERSION} (got ${JSON.stringify(object.apiVersion)})` }];
  }
  if (!isConfigSpecKind(object.kind)) {
    const kinds = ['SpecDecodeDeployment', 'DeviceClass', 'DraftProfile', 'AlignmentProfile'];
    const suggestion = typeof object.kind === 'string' ? closestMatch(object.kind, kinds) : undefined;
    const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
    return [
      { path: 'kind', message: `must be one of ${kinds.join(', ')} (got ${JSON.stringify(object.kind)}${hint})` },
    ];
  }
  return [];
}

// The CRD schema leaves metadata open (the apiserver validates it natively); check what matters locally.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkMetadata(object: JsonObject): ValidationError[] {
  if (!isObject(object.metadata)) return [{ path: 'metadata', message: 'is required' }];
  const name = object.metadata.name;
  if (name === undefined) return [{ path: 'metadata.name', message: 'is required' }];
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return [
      {
        path: 'metadata.name',
        message: `must be a DNS subdomain: lower case letters, digits, '-' and '.', at most 253 characters (got ${JSON.stringify(name)})`,
      },
    ];
  }
  return [];
}

/** The CRD schema declares metadata as a bare object; keep it out of the unknown-field check. */
function withoutMetadataExtras(object: JsonObject): JsonObject {
  return { ...object, metadata: {} };
}

/** The previous object's value at the same concrete path, for transition rules. */
function valueAtPath(root: unknown, path: string, location: string): unknown {
  return valuesAt(root, location).find((entry) => entry.path === path)?.value;
}

export function checkCrossFieldRules(kind: ConfigSpecKind, object: unknown, previous?: unknown): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const rule of CROSS_FIELD_RULES) {
    if (rule.kind !== kind || (rule.transition === true && previous === undefined)) continue;
    for (const { path, value } of valuesAt(object, rule.at)) {
      const detail = rule.check(value, rule.transition === true ? valueAtPath(previous, path, rule.at) : undefined);
      if (detail !== undefined) errors.push(ruleError(rule, path, detail));
    }
  }
  return errors;
}

function ruleError(rule: CrossFieldRule, path: string, detail: string): ValidationError {
  const fieldPath = rule.fieldPath === undefined ? path : path + rule.fieldPath;
  return { path: fieldPath, message: detail === '' ? rule.message : `${rule.message} (${detail})` };
}
