// Deterministic names and label values for everything the operator creates. Kubernetes limits object names
// that become DNS labels (Services, pods of a DaemonSet/Job) and label values to 63 characters; long names are
// cut and suffixed with a hash of the full name, so they stay unique, stable and valid.

export const MAX_LABEL_LENGTH = 63;

/** FNV-1a, 32 bits, as 8 hex digits: small, pure and stable across Node versions. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * A DNS-1035 label built from parts joined by '-': lower case, [a-z0-9-], starting with a letter, at most
 * `limit` characters. Over the limit, the head is kept and a hash of the whole is appended.
 */
export function boundedName(parts: readonly string[], limit = MAX_LABEL_LENGTH): string {
  const full = parts.join('-');
  let name = full
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) name = `x-${name}`;
  if (name.length <= limit && name === full) return name;
  // Anything altered or cut gets the hash, so two different inputs never collapse to one name.
  const suffix = shortHash(full);
  const head = name.slice(0, limit - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/**
 * A DNS-1123 subdomain (object names of most kinds, cluster-scoped custom resources included) from dot-joined
 * parts: lower case, [a-z0-9.-], at most 253 characters; altered or cut names get the hash suffix.
 */
export function subdomainName(parts: readonly string[], limit = 253): string {
  const full = parts.join('.');
  const name = full
    .toLowerCase()
    .replace(/_/g, '-')
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  const valid = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name) && !/\.\.|\.-|-\./.test(name);
  if (valid && name.length <= limit && name === full.toLowerCase().replace(/_/g, '-')) return name;
  const suffix = shortHash(full);
  const head = name.slice(0, limit - suffix.length - 1).replace(/[.-]+$/, '');
  return `${head}-${suffix}`;
}

/** A valid label value (≤ 63 characters, alphanumeric at both ends); long or odd values are hashed as above. */
export function labelValue(value: string): string {
  if (value.length <= MAX_LABEL_LENGTH && /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/.test(value)) return value;
  return boundedName([value]);
}

export const names = {
  verifier: (sdd: string) => boundedName([sdd, 'verifier']),
  drafter: (sdd: string, deviceClass: string) => boundedName([sdd, 'draft', deviceClass]),
  kConfigMap: (sdd: string, deviceClass: string) => boundedName([sdd, 'k', deviceClass]),
  /** As in the samples: raspberry-pi-5.qwen2.5-0.5b-instruct.q4-k-m */
  draftProfile: (deviceClass: string, draft: string, quantization: string) =>
    subdomainName([deviceClass, draft, quantization]),
  /** As in the samples: qwen2.5-0.5b-instruct.q4-k-m.qwen2.5-7b-instruct.builtin */
  alignmentProfile: (draft: string, quantization: string, target: string, promptSet: string) =>
    subdomainName([draft, quantization, target, promptSet]),
};
