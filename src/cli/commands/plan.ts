// `configspec plan -f <file|dir>…`: what the operator would choose, per device class, without a cluster. Reads a
// SpecDecodeDeployment with any DeviceClass, DraftProfile and AlignmentProfile objects (also `kubectl get -o yaml`
// output), falls back to the built-in catalog for the rest, and prints the selection and why.
// Exit status: 0 planned, 1 an object is invalid or cannot be planned, 2 a file cannot be read or parsed.
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { formatValidationError, type ValidationError } from '../../api/errors.js';
import { loadAndValidateManifests } from '../../api/manifests.js';
import { BUILTIN_CATALOG } from '../../catalog/index.js';
import { parseTimestamp } from '../../planner/inputs.js';
import { planManifests } from '../../report/plan-manifests.js';
import { planReportJson, renderPlanTable, type PlanReport } from '../../report/plan-report.js';
import { renderPlanSvg } from '../../report/plan-svg.js';
import { EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID } from './validate.js';

export type PlanOutput = 'table' | 'json' | 'yaml';

export interface PlanCommandOptions {
  output: PlanOutput;
  /** RFC 3339; the current time when absent. */
  now?: string;
  /** Write the goodput-against-K plot here. */
  svg?: string;
}

export interface PlanCommandResult {
  exitCode: number;
  /** What goes to standard output (the report), empty when nothing could be planned. */
  stdout: string;
  /** One line per problem. */
  stderr: string[];
  report?: PlanReport;
  /** The SVG text when --svg was asked for. */
  svg?: string;
}

const CATALOG_MODELS: ReadonlyMap<string, string> = new Map(
  BUILTIN_CATALOG.models.map((model) => [model.name, model.family]),
);

/** Everything but the writes, so tests can run the command in-process. */
export function runPlan(paths: readonly string[], options: PlanCommandOptions): PlanCommandResult {
  const now = options.now ?? new Date().toISOString();
  if (parseTimestamp(now) === undefined)
    return { exitCode: EXIT_INVALID, stdout: '', stderr: [`--now: "${now}" is not an RFC 3339 timestamp`] };

  const loaded = loadAndValidateManifests(paths, { catalogModels: CATALOG_MODELS });
  const problems: ValidationError[] = [...loaded.loadErrors, ...loaded.validationErrors];
  if (loaded.loadErrors.length > 0)
    return { exitCode: EXIT_UNREADABLE, stdout: '', stderr: problems.map(formatValidationError) };
  const anyDeployment = loaded.objects.some((located) => located.object.kind === 'SpecDecodeDeployment');
  if (!anyDeployment && loaded.validationErrors.length === 0)
    problems.push({
      file: paths.join(', '),
      path: '',
      message: 'no valid SpecDecodeDeployment found: nothing to plan (pass its manifest with -f)',
    });

  const { report, panels, errors } = planManifests(loaded.objects, now);
  problems.push(...errors);
  const stdout =
    report.deployments.length === 0
      ? ''
      : options.output === 'json'
        ? `${planReportJson(report)}\n`
        : options.output === 'yaml'
          ? stringify(JSON.parse(planReportJson(report)))
          : renderPlanTable(report);
  return {
    exitCode: problems.length > 0 ? EXIT_INVALID : EXIT_VALID,
    stdout,
    stderr: problems.map(formatValidationError),
    report,
    ...(options.svg === undefined ? {} : { svg: renderPlanSvg(panels) }),
  };
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'Show, per edge device class, the draft model, quantisation and K the cost model selects, and why — without a cluster',
    )
    .requiredOption(
      '-f, --filename <paths...>',
      'SpecDecodeDeployment plus optional DeviceClass, DraftProfile and AlignmentProfile manifests (files, folders, - for standard input; kubectl List output works)',
    )
    .addOption(
      new Option('-o, --output <format>', 'table for people, json or yaml for tools (shape in the README)')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .option('--svg <file>', 'also draw goodput against K per draft and quantisation, the selection marked')
    .option('--now <time>', 'RFC 3339 time to judge profile freshness and cooldowns against (default: now)')
    .addHelpText(
      'after',
      '\nExit status: 0 when every deployment was planned, 1 when an object is invalid or cannot be planned (the message names the file and field), 2 when a file cannot be read or parsed.\n',
    )
    .action((options: { filename: string[]; output: PlanOutput; svg?: string; now?: string }) => {
      const result = runPlan(options.filename, {
        output: options.output,
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.svg === undefined ? {} : { svg: options.svg }),
      });
      for (const line of result.stderr) process.stderr.write(`${line}\n`);
      process.stdout.write(result.stdout);
      if (options.svg !== undefined && result.svg !== undefined) {
        writeFileSync(options.svg, result.svg);
        process.stderr.write(`wrote ${options.svg}\n`);
      }
      process.exitCode = result.exitCode;
    });
}
