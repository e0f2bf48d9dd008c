// Reads manifests from files and folders (multi-document YAML or JSON) for the CLI, keeping for each object the
// file, the document index and a way back to line numbers, so every message can point at the right place.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { childPath, type ValidationError } from './errors.js';
import { isConfigSpecApiObject, validateAndDefault, type ValidateOptions } from './validate.js';
import type { ConfigSpecObject } from './types.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** As with kubectl, `-f -` reads standard input. */
const STDIN = '-';

export interface ManifestDocument {
  file: string;
  /** 0-based position of the document in its file. */
  documentIndex: number;
  object: unknown;
  /** 1-based line of the field at `path` (or of its nearest present ancestor). */
  lineOf(path: string): number | undefined;
}

export interface SkippedDocument {
  file: string;
  documentIndex: number;
  apiVersion: string;
  kind: string;
}

export interface LoadResult {
  /** configspec.io documents, in file order. */
  documents: ManifestDocument[];
  /** Documents of other APIs (Namespaces, ConfigMaps, CRDs, …), left alone. */
  skipped: SkippedDocument[];
  /** Files that could not be read or parsed (missing file, YAML syntax error); nothing of such a file is loaded. */
  errors: ValidationError[];
}

/** Files named by `paths`: files as given, folders searched recursively for .yaml/.yml/.json, sorted. */
function expandPaths(paths: readonly string[], errors: ValidationError[]): string[] {
  const files: string[] = [];
  const visit = (path: string, explicit: boolean): void => {
    let stats;
    try {
      stats = statSync(path);
    } catch (error) {
      errors.push({
        file: path,
        path: '',
        message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      });
      return;
    }
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry), false);
    } else if (explicit || MANIFEST_EXTENSIONS.has(extname(path).toLowerCase())) {
      files.push(path);
    }
  };
  for (const path of paths) {
    if (path === STDIN) files.push(STDIN);
    else visit(path, true);
  }
  return files;
}

export function loadManifests(paths: readonly string[]): LoadResult {
  const result: LoadResult = { documents: [], skipped: [], errors: [] };
  for (const file of expandPaths(paths, result.errors)) {
    let text: string;
    try {
      text = readFileSync(file === STDIN ? 0 : file, 'utf8');
    } catch (error) {
      result.errors.push({
        file,
        path: '',
        message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      });
      continue;
    }
    loadText(file === STDIN ? '<stdin>' : file, text, result);
  }
  return result;
}

/** Parses one file's text into `result`; exported for callers that already hold the text (stdin, tests). */
export function loadText(file: string, text: string, result: LoadResult): void {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) return; // an empty stream
  const syntaxErrors = documents.flatMap((document, documentIndex) =>
    document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      return {
        file,
        documentIndex,
        line: position.line,
        path: '',
        message: `YAML syntax error at line ${position.line}, column ${position.col}: ${error.message.split('\n')[0]}`,
      };
    }),
  );
  if (syntaxErrors.length > 0) {
    result.errors.push(...syntaxErrors);
    return;
  }
  documents.forEach((document, documentIndex) => {
    const object: unknown = document.toJS({ maxAliasCount: 100 });
    if (object === null || object === undefined) return; // an empty document (e.g. after a trailing ---)
    if (isKubectlList(object)) {
      // `kubectl get … -o yaml` wraps what it prints in a v1 List: each item is a document of its own.
      object.items.forEach((item, itemIndex) => {
        const itemPath = `items[${itemIndex}]`;
        const lineOfPath = (path: string) =>
          lineOf(document, lineCounter, path === '' ? itemPath : childPath(itemPath, path));
        addDocument(file, documentIndex, item, lineOfPath, result);
      });
      return;
    }
    addDocument(file, documentIndex, object, (path) => lineOf(document, lineCounter, path), result);
  });
}

/** The v1 List kubectl prints for `get -o yaml` of several objects or types. */
function isKubectlList(object: unknown): object is { items: unknown[] } {
  const header = object as { apiVersion?: unknown; kind?: unknown; items?: unknown };
  return header.apiVersion === 'v1' && header.kind === 'List' && Array.isArray(header.items);
}

function addDocument(
  file: string,
  documentIndex: number,
  object: unknown,
  lineOfPath: (path: string) => number | undefined,
  result: LoadResult,
): void {
  if (!isConfigSpecApiObject(object)) {
    const header = object as { apiVersion?: unknown; kind?: unknown };
    result.skipped.push({
      file,
      documentIndex,
      apiVersion: String(header.apiVersion ?? ''),
      kind: String(header.kind ?? ''),
    });
    return;
  }
  result.documents.push({ file, documentIndex, object, lineOf: lineOfPath });
}

function lineOf(document: Document, lineCounter: LineCounter, path: string): number | undefined {
  const node = locate(document.contents, path);
  const offset = isNode(node) ? node.range?.[0] : undefined;
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/**
 * The deepest YAML node along a field path. Map keys may themselves contain dots (label keys), so at each map
 * the longest key that prefixes the rest of the path wins.
 */
function locate(node: unknown, path: string): unknown {
  if (path === '') return node;
  if (isSeq(node)) {
    const match = /^\[(\d+)\]\.?/.exec(path);
    const item = match === null ? undefined : node.items[Number(match[1])];
    return item === undefined ? node : locate(item, path.slice(match![0].length));
  }
  if (isMap(node)) {
    let best: { key: string; value: unknown } | undefined;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || (best !== undefined && key.length <= best.key.length)) continue;
      const rest = path.slice(key.length);
      if (path.startsWith(key) && (rest === '' || rest.startsWith('.') || rest.startsWith('['))) {
        best = { key, value: pair.value ?? pair.key };
      }
    }
    if (best === undefined) return node;
    const rest = path.slice(best.key.length).replace(/^\./, '');
    // An unknown or missing child: point at the key itself rather than at the whole value.
    return rest === ''
      ? (node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === best.key)?.key ?? best.value)
      : locate(best.value, rest);
  }
  return node;
}

export interface ValidatedManifests {
  /** Valid objects with their defaults applied, ready for the planner or the operator. */
  objects: { file: string; documentIndex: number; object: ConfigSpecObject }[];
  skipped: SkippedDocument[];
  /** Unreadable files and YAML syntax errors. */
  loadErrors: ValidationError[];
  /** Problems with objects, each naming file, document, object and field. */
  validationErrors: ValidationError[];
}

/** loadManifests + validateObject on each configspec.io document. */
export function loadAndValidateManifests(paths: readonly string[], options: ValidateOptions = {}): ValidatedManifests {
  const loaded = loadManifests(paths);
  const validated: ValidatedManifests = {
    objects: [],
    skipped: loaded.skipped,
    loadErrors: loaded.errors,
    validationErrors: [],
  };
  for (const document of loaded.documents) {
    const { object, errors } = validateAndDefault(document.object, options);
    const located = errors.map((error) => {
      const line = document.lineOf(error.path);
      return {
        ...error,
        file: document.file,
        documentIndex: document.documentIndex,
        ...(line === undefined ? {} : { line }),
      };
    });
    // In file order, as a reader goes through the document.
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    validated.validationErrors.push(...located);
    if (located.length === 0 && object !== undefined) {
      validated.objects.push({ file: document.file, documentIndex: document.documentIndex, object });
    }
  }
  return validated;
}
