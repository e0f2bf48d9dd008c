// `configspec validate -f <file|dir>…`: checks manifests offline exactly as the apiserver would (schema, defaults,
// cross-field rules), so GitOps pipelines catch mistakes before they reach a cluster.
// Exit status: 0 all valid, 1 some object invalid, 2 a file unreadable or not YAML.
import { Option, type Command } from 'commander';
import { formatValidationError, type ValidationError } from '../../api/errors.js';
import { loadAndValidateManifests } from '../../api/manifests.js';
import type { ValidateOptions } from '../../api/validate.js';
import { BUILTIN_CATALOG } from '../../catalog/index.js';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNREADABLE = 2;

export interface ValidateReport {
  exitCode: number;
  /** Every problem, structured (for -o json). */
  problems: ValidationError[];
  valid: number;
  invalid: number;
  /** Lines for standard output (the summary). */
  out: string[];
  /** Lines for standard error (one per problem). */
  err: string[];
}

/** The built-in catalog's models (name → tokenizer family), for the checks only local validation can make. */
const BUILTIN_MODELS: ReadonlyMap<string, string> = new Map(
  BUILTIN_CATALOG.models.map((model) => [model.name, model.family]),
);

export function runValidate(
  paths: readonly string[],
  options: ValidateOptions = { catalogModels: BUILTIN_MODELS },
): ValidateReport {
  const result = loadAndValidateManifests(paths, options);
  const problems = [...result.loadErrors, ...result.validationErrors];
  const err = problems.map(formatValidationError);
  const skipped = result.skipped.length === 0 ? '' : `; ${result.skipped.length} document(s) of other APIs skipped`;
  const invalid = new Set(result.validationErrors.map((error) => `${error.file}\u0000${error.documentIndex}`)).size;
  const out = [`${result.objects.length} valid, ${invalid} invalid configspec.io object(s)${skipped}`];
  const exitCode =
    result.loadErrors.length > 0 ? EXIT_UNREADABLE : result.validationErrors.length > 0 ? EXIT_INVALID : EXIT_VALID;
  return { exitCode, problems, valid: result.objects.length, invalid, out, err };
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check configspec.io manifests against the CRD schemas and cross-field rules, without a cluster')
    .requiredOption(
      '-f, --filename <paths...>',
      'manifest files or folders (YAML, multi-document; JSON); - for standard input',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 when every object is valid, 1 when some object is invalid, 2 when a file cannot be read or parsed.\n',
    )
    .addOption(new Option('-o, --output <format>', 'text, or json for tools').choices(['text', 'json']).default('text'))
    .action((options: { filename: string[]; output: 'text' | 'json' }) => {
      const report = runValidate(options.filename);
      if (options.output === 'json') {
        const { valid, invalid, problems } = report;
        process.stdout.write(`${JSON.stringify({ valid, invalid, problems }, null, 2)}\n`);
      } else {
        for (const line of report.err) process.stderr.write(`${line}\n`);
        for (const line of report.out) process.stdout.write(`${line}\n`);
      }
      process.exitCode = report.exitCode;
    });
}
