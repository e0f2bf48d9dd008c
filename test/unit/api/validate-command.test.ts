import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID, runValidate } from '../../../src/cli/commands/validate.js';
import { sample } from '../../support/invalid-manifests.js';

const directory = mkdtempSync(join(tmpdir(), 'configspec-validate-'));
function write(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

describe('configspec validate', () => {
  it('exits 0 on the samples and says how many objects it checked', () => {
    const report = runValidate([join(process.cwd(), 'config', 'samples')]);
    expect(report).toEqual({
      exitCode: EXIT_VALID,
      problems: [],
      valid: 12,
      invalid: 0,
      out: ['12 valid, 0 invalid configspec.io object(s)'],
      err: [],
    });
  });

  it('exits 1 and prints file, document, object, field and message for each problem', () => {
    const deployment = sample('specdecodedeployment-goodput.yaml');
    deployment.metadata.name = 'demo';
    deployment.spec.speculation.k = { min: 5, max: 3 };
    const broken = sample('deviceclass-raspberry-pi-5.yaml');
    broken.spec.role = 'edge';
    const file = write(
      'mixed.yaml',
      [stringify(sample('deviceclass-raspberry-pi-4.yaml')), stringify(deployment), stringify(broken)].join('---\n'),
    );
    const report = runValidate([file]);
    // Lines count from the top of the file, as editors show them.
    const roleLine = readFileSync(file, 'utf8').split('\n').indexOf('  role: edge') + 1;
    expect(report.exitCode).toBe(EXIT_INVALID);
    expect(report.err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:doc 2: SpecDecodeDeployment/demo: spec\\.speculation\\.k\\.min: must be ≤ spec\\.speculation\\.k\\.max \\(got 5 > 3\\) \\(line \\d+\\)$`,
        ),
      ),
      `${file}:doc 3: DeviceClass/raspberry-pi-5: spec.role: must be one of Edge, Verifier (got "edge"; did you mean "Edge"?) (line ${roleLine})`,
    ]);
    expect(report.out).toEqual(['1 valid, 2 invalid configspec.io object(s)']);
    // The same problems, structured, for -o json.
    expect(report.problems.map(({ documentIndex, kind, name, path }) => ({ documentIndex, kind, name, path }))).toEqual(
      [
        { documentIndex: 1, kind: 'SpecDecodeDeployment', name: 'demo', path: 'spec.speculation.k.min' },
        { documentIndex: 2, kind: 'DeviceClass', name: 'raspberry-pi-5', path: 'spec.role' },
      ],
    );
  });

  it('skips objects of other APIs and says so', () => {
    const file = write(
      'with-namespace.yaml',
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n${stringify(sample('draftprofile.yaml'))}`,
    );
    expect(runValidate([file])).toMatchObject({
      exitCode: EXIT_VALID,
      out: ['1 valid, 0 invalid configspec.io object(s); 1 document(s) of other APIs skipped'],
      err: [],
    });
  });

  it('exits 2 with the line and column of a YAML syntax error', () => {
    const file = write(
      'syntax.yaml',
      'apiVersion: configspec.io/v1alpha1\nkind: DraftProfile\nspec:\n  draft: [unclosed\n',
    );
    const report = runValidate([file]);
    expect(report.exitCode).toBe(EXIT_UNREADABLE);
    expect(report.err).toHaveLength(1);
    expect(report.err[0]).toMatch(new RegExp(`^${file}:doc 1: YAML syntax error at line \\d+, column \\d+: `));
  });

  it('exits 2 for a missing file, and still reports the others', () => {
    const report = runValidate([
      join(directory, 'absent.yaml'),
      join(process.cwd(), 'config', 'samples', 'draftprofile.yaml'),
    ]);
    expect(report.exitCode).toBe(EXIT_UNREADABLE);
    expect(report.err).toEqual([`${join(directory, 'absent.yaml')}: cannot read: ENOENT`]);
    expect(report.out).toEqual(['1 valid, 0 invalid configspec.io object(s)']);
  });

  it('reports a wrong apiVersion or kind of our group instead of skipping it', () => {
    const file = write(
      'wrong-kind.yaml',
      'apiVersion: configspec.io/v1alpha1\nkind: DeviceClas\nmetadata:\n  name: x\n---\napiVersion: configspec.io/v1\nkind: DeviceClass\nmetadata:\n  name: y\n',
    );
    const report = runValidate([file]);
    expect(report.exitCode).toBe(EXIT_INVALID);
    expect(report.err).toEqual([
      `${file}:doc 1: DeviceClas/x: kind: must be one of SpecDecodeDeployment, DeviceClass, DraftProfile, AlignmentProfile (got "DeviceClas"; did you mean "DeviceClass"?) (line 2)`,
      `${file}:doc 2: DeviceClass/y: apiVersion: must be configspec.io/v1alpha1 (got "configspec.io/v1") (line 6)`,
    ]);
  });

  it('checks model names against the built-in catalog, with a suggestion', () => {
    const deployment = sample('specdecodedeployment-goodput.yaml');
    deployment.spec.drafts[0].model.name = 'qwen2.5-0.5b-instruc';
    const file = write('typo.yaml', stringify(deployment));
    const report = runValidate([file]);
    expect(report.exitCode).toBe(EXIT_INVALID);
    expect(report.err).toEqual([
      expect.stringContaining(
        'spec.drafts[0].model.name: is not a catalog model (got "qwen2.5-0.5b-instruc"; did you mean "qwen2.5-0.5b-instruct"?)',
      ),
    ]);
    // A model with its own source needs no catalog entry.
    deployment.spec.drafts[0].model = {
      name: 'qwen2.5-0.5b-instruc',
      family: 'qwen2.5',
      parametersBillions: 0.5,
      source: { uri: 'hf://me/models/draft.gguf' },
    };
    expect(runValidate([write('sourced.yaml', stringify(deployment))]).exitCode).toBe(EXIT_VALID);
  });

  it('uses the catalog to catch a draft of another tokenizer family when the manifest omits families', () => {
    const deployment = sample('specdecodedeployment-goodput.yaml');
    deployment.spec.drafts[1].model.name = 'llama-3.2-1b-instruct';
    const report = runValidate([write('mixed-families.yaml', stringify(deployment))]);
    expect(report.exitCode).toBe(EXIT_INVALID);
    expect(report.err).toEqual([
      expect.stringContaining(
        'spec.drafts[1].model: has tokenizer family "llama3", the target "qwen2.5-7b-instruct" has "qwen2.5" (per the catalog)',
      ),
    ]);
  });
});
