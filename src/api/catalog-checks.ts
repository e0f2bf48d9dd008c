// Checks of a SpecDecodeDeployment against the built-in model catalog, which only local validation can make
// (the apiserver does not know the catalog): models named without a source must exist there, and drafts must
// share the target's tokenizer family also when the manifest leaves family to the catalog.
import type { ValidationError } from './errors.js';
import { closestMatch } from './suggest.js';
import { valuesAt } from './locations.js';

interface ModelAt {
  path: string;
  name: string;
  family: string | undefined;
  familyFromCatalog: boolean;
}

function modelsAt(object: unknown, location: string, catalog: ReadonlyMap<string, string>): ModelAt[] {
  return valuesAt(object, location).flatMap(({ path, value }) => {
    const model = value as { name?: unknown; family?: unknown; source?: unknown } | null;
    if (model === null || typeof model !== 'object' || typeof model.name !== 'string') return [];
    const given = typeof model.family === 'string' ? model.family : undefined;
    const fromCatalog = model.source === undefined ? catalog.get(model.name) : undefined;
    return [{ path, name: model.name, family: given ?? fromCatalog, familyFromCatalog: given === undefined }];
  });
}

/** `catalog`: model name → tokenizer family. */
export function checkAgainstCatalog(object: unknown, catalog: ReadonlyMap<string, string>): ValidationError[] {
  const errors: ValidationError[] = [];
  const target = modelsAt(object, 'spec.target.model', catalog)[0];
  const drafts = modelsAt(object, 'spec.drafts[*].model', catalog);
  for (const model of valuesAt(object, 'spec.target.model').concat(valuesAt(object, 'spec.drafts[*].model'))) {
    const value = model.value as { name?: unknown; source?: unknown } | null;
    if (value === null || typeof value !== 'object' || value.source !== undefined || typeof value.name !== 'string') {
      continue;
    }
    if (catalog.has(value.name)) continue;
    const suggestion = closestMatch(value.name, catalog.keys());
    const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
    errors.push({
      path: `${model.path}.name`,
      message: `is not a catalog model (got ${JSON.stringify(value.name)}${hint}); a model outside the catalog needs source, family and parametersBillions`,
    });
  }
  if (target?.family === undefined) return errors;
  for (const draft of drafts) {
    // Both families given in the manifest is the CRD rule's case; report only what needed the catalog.
    if (draft.family === undefined || draft.family === target.family) continue;
    if (!draft.familyFromCatalog && !target.familyFromCatalog) continue;
    errors.push({
      path: draft.path,
      message: `has tokenizer family ${JSON.stringify(draft.family)}, the target ${JSON.stringify(target.name)} has ${JSON.stringify(target.family)} (per the catalog); drafts must share the target's tokenizer`,
    });
  }
  return errors;
}
