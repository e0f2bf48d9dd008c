// One shape for every problem found in a manifest, whether by the schema, a cross-field rule or the loader, so
// the CLI and the operator print and count them the same way.

export interface ValidationError {
  /** File the object came from (absent for objects validated in memory). */
  file?: string;
  /** 0-based index of the YAML document in the file; printed 1-based as "doc N". */
  documentIndex?: number;
  /** 1-based line of the offending field in the file, when known. */
  line?: number;
  kind?: string;
  name?: string;
  /** Dotted path of the field, e.g. spec.speculation.k.min or spec.drafts[1].quantizations. */
  path: string;
  message: string;
}

/** `file:doc N: Kind/name: path: message`, leaving out the parts that are unknown. */
export function formatValidationError(error: ValidationError): string {
  const location: string[] = [];
  if (error.file !== undefined) {
    location.push(error.documentIndex === undefined ? error.file : `${error.file}:doc ${error.documentIndex + 1}`);
  }
  if (error.kind !== undefined || error.name !== undefined) {
    location.push(`${error.kind ?? '?'}/${error.name ?? '?'}`);
  }
  if (error.path !== '') location.push(error.path);
  const line = error.line === undefined ? '' : ` (line ${error.line})`;
  return [...location, error.message].join(': ') + line;
}

/**
 * Joins a path and a property or index the way the apiserver prints field paths: ('spec', 'drafts') → spec.drafts;
 * ('spec.drafts', 0) → spec.drafts[0]; map keys are joined with a dot too, whatever they contain
 * (spec.nodeSelector.configspec.io/device-class), exactly as kubectl shows them.
 */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
