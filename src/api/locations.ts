// Rule locations such as spec.drafts[*].model: the CRD-schema place a rule sits, with [*] for every list item.
import { childPath } from './errors.js';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every value at a rule location such as spec.drafts[*].model, with its concrete path (spec.drafts[2].model). */
export function valuesAt(root: unknown, location: string): { path: string; value: unknown }[] {
  let found: { path: string; value: unknown }[] = [{ path: '', value: root }];
  for (const segment of location.split('.')) {
    const isList = segment.endsWith('[*]');
    const key = isList ? segment.slice(0, -3) : segment;
    const next: { path: string; value: unknown }[] = [];
    for (const { path, value } of found) {
      if (!isObject(value) || value[key] === undefined) continue;
      const child = value[key];
      const childAt = childPath(path, key);
      if (!isList) next.push({ path: childAt, value: child });
      else if (Array.isArray(child))
        child.forEach((item, index) => next.push({ path: childPath(childAt, index), value: item }));
    }
    found = next;
  }
  return found;
}
