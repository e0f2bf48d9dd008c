// Whether a live object already holds everything the operator wants in it. The apiserver fills in defaults
// (and other managers add fields), so "in sync" means: every field of the desired object is present in the live
// object with the same value; lists must match element by element. Only when this fails does the reconciler
// send an apply, which keeps an idle operator at zero writes.

export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  // The apiserver omits empty lists and maps (omitempty): wanting none is satisfied by absence.
  if (live === undefined && isEmpty(desired)) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((item, i) => isSubset(item, live[i]));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return false;
    return Object.entries(desired).every(([key, value]) => value === undefined || isSubset(value, live[key]));
  }
  // Numbers the apiserver stores as strings (or the reverse) are not equal on purpose: builders emit the
  // apiserver's canonical forms, and a mismatch costs one idempotent apply, never a wrong skip.
  return false;
}

/** Deep equality for JSON values, ignoring key order (status comparisons). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return isSubset(a, b) && isSubset(b, a);
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
