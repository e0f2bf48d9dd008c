// The catalog's model files: every source is one the API accepts and the fetcher can resolve, sizes and digests
// appear only where they were read from the source (never rounded figures), and each note says where it comes from.
import { resolveSource } from '../../../src/agent/fetch/source.js';
import { crdSchema } from '../../../src/api/crds.js';
import { BUILTIN_CATALOG } from '../../../src/catalog/index.js';

const sourceSchema = () =>
  crdSchema('SpecDecodeDeployment').properties!.spec!.properties!.drafts!.items!.properties!.sources!.items!;

describe('catalog model files', () => {
  const files = BUILTIN_CATALOG.models.flatMap((model) =>
    Object.entries(model.files).map(([quantization, file]) => ({ model: model.name, quantization, file: file! })),
  );

  it('cover every model, mostly every quantisation', () => {
    expect(new Set(files.map((f) => f.model))).toEqual(new Set(BUILTIN_CATALOG.models.map((m) => m.name)));
    expect(files.length).toBeGreaterThanOrEqual(35);
  });

  it.each(files.map((f) => [`${f.model} ${f.quantization}`, f] as const))(
    '%s is a valid, resolvable source',
    (_, f) => {
      const schema = sourceSchema();
      expect(f.file.uri).toMatch(new RegExp(schema.properties!.uri!.pattern!));
      if (f.file.revision) expect(f.file.revision).toMatch(new RegExp(schema.properties!.revision!.pattern!));
      const resolved = resolveSource(f.file, {});
      expect(resolved.kind).toBe('http');
      expect(resolved.fileName.toLowerCase()).toContain(f.quantization.toLowerCase());
      expect(f.file.note.length).toBeGreaterThan(20);
      // No digest was verified in this session; an exact size only where an LFS pointer stated it.
      expect(f.file.sha256).toBeUndefined();
      if (f.file.sizeBytes !== undefined) expect(f.file.note).toMatch(/LFS pointer/);
    },
  );
});
