// Schema defaulting with the apiserver's semantics (apiextensions structural defaulting): a field absent from
// an object gets its schema default, deep-copied; then defaulting recurses into every present field, including
// the value just inserted, so `policy: {}` by default also gets policy.mode, minImprovementPercent, ….
import type { OpenApiSchema } from './schema-types.js';

export function defaultBySchema(value: unknown, schema: OpenApiSchema): unknown {
  if (Array.isArray(value)) {
    return schema.items === undefined ? value : value.map((item) => defaultBySchema(item, schema.items!));
  }
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && property.default !== undefined) result[key] = structuredClone(property.default);
  }
  for (const [key, child] of Object.entries(result)) {
    const property = schema.properties?.[key];
    if (property !== undefined) result[key] = defaultBySchema(child, property);
    else if (typeof schema.additionalProperties === 'object') {
      result[key] = defaultBySchema(child, schema.additionalProperties);
    }
  }
  return result;
}
