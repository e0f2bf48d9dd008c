// Where a model file comes from, resolved to something the fetcher can read: an HTTP(S) URL (https://, and
// hf://org/repo/path.gguf through the Hugging Face resolve endpoint, $HF_ENDPOINT overriding the host as the
// huggingface_hub library does) or a local file (file:///path). pvc://claim/path never reaches the fetcher: the
// operator mounts the claim read-only and passes the file as file:///mnt/… (see src/planner/model-delivery.ts).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What to fetch and what it must be: the API's ModelSource, as the fetcher needs it. */
export interface FetchSource {
  uri: string;
  /** hf:// only: branch, tag or commit (default main). */
  revision?: string;
  /** Expected SHA-256, 64 lower-case hex digits; checked after download when given. */
  sha256?: string;
  /** Expected size in bytes; checked before hashing when given. */
  sizeBytes?: number;
}

export type ResolvedSource =
  { kind: 'http'; url: string; fileName: string } | { kind: 'file'; path: string; fileName: string };

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
const SHA256 = /^[a-f0-9]{64}$/;

export class SourceError extends Error {}

export function resolveSource(source: FetchSource, env: NodeJS.ProcessEnv = process.env): ResolvedSource {
  const { uri } = source;
  if (source.sha256 !== undefined && !SHA256.test(source.sha256)) {
    throw new SourceError(`sha256 of ${uri} must be 64 lower-case hex digits, got "${source.sha256}"`);
  }
  if (uri.startsWith('file://')) {
    const path = fileURLToPath(uri);
    return { kind: 'file', path, fileName: posix.basename(path) };
  }
  if (uri.startsWith('https://') || uri.startsWith('http://')) {
    const url = new URL(uri);
    return { kind: 'http', url: url.toString(), fileName: fileNameOf(url.pathname, uri) };
  }
  if (uri.startsWith('hf://')) {
    // hf://<org>/<repo>/<path inside the repository>
    const parts = uri.slice('hf://'.length).split('/');
    if (parts.length < 3 || parts.some((p) => p === '' || p === '..' || p === '.')) {
      throw new SourceError(`${uri}: expected hf://<org>/<repo>/<file>.gguf`);
    }
    const [org, repo, ...path] = parts as [string, string, ...string[]];
    const endpoint = (env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
    const revision = encodeURIComponent(source.revision ?? 'main');
    const url = `${endpoint}/${org}/${repo}/resolve/${revision}/${path.map(encodeURIComponent).join('/')}`;
    return { kind: 'http', url, fileName: fileNameOf(path.join('/'), uri) };
  }
  if (uri.startsWith('pvc://')) {
    throw new SourceError(
      `${uri}: pvc:// sources are mounted into the pod by the operator and passed as file:// — fetch cannot read a claim itself`,
    );
  }
  throw new SourceError(`${uri}: unsupported scheme (use https://, hf://, pvc:// or file:///)`);
}

function fileNameOf(path: string, uri: string): string {
  const name = decodeURIComponent(posix.basename(path));
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || name.length > 200) {
    throw new SourceError(`${uri}: the file name "${name}" is not a plain file name`);
  }
  return name;
}

/**
 * The cache key of a source: its SHA-256 when known (content-addressed: two URIs of the same file share one
 * copy), otherwise a hash of the resolved location and revision (the same source shares one copy).
 */
export function cacheKey(source: FetchSource, resolved: ResolvedSource): string {
  if (source.sha256) return `sha256-${source.sha256}`;
  const where = resolved.kind === 'http' ? resolved.url : resolved.path;
  return `url-${createHash('sha256').update(where).digest('hex').slice(0, 32)}`;
}
