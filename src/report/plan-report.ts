// What `configspec plan` shows: the planner's DeploymentPlan turned into a stable JSON shape (the `-o json|yaml`
// contract, documented in the README and pinned by a test) and into the human table. Pure: no I/O, no clock.
import type { Configuration, Figures, FrontierEntry, InputBasis, Quantization } from '../api/types.js';
import {
  sameConfiguration,
  type ClassPlan,
  type DeploymentPlan,
  type PlanIssue,
  type ScoredConfiguration,
} from '../planner/plan.js';

/** Version of the JSON shape below; bumped on any incompatible change. */
export const PLAN_REPORT_VERSION = 'configspec.io/plan-report/v1';

export type InputSource = 'File' | 'Catalog';

export interface CandidateInputsReport {
  draft: string;
  quantization: Quantization;
  basis: InputBasis;
  draftInterceptSeconds: number;
  draftSecondsPerToken: number;
  acceptanceRate: number;
  verifyInterceptSeconds: number;
  verifySecondsPerToken: number;
  rttSeconds: number;
  draftingWatts: number;
  waitingWatts: number;
}

export interface ClassReport {
  name: string;
  /** Where the DeviceClass came from: one of the files, or the built-in catalog. */
  source: InputSource;
  outcome: ClassPlan['outcome'];
  reason: string;
  message: string;
  selected?: Configuration;
  predicted?: Figures;
  basis?: InputBasis;
  runnerUp?: ScoredConfiguration;
  /** At most 5 non-dominated configurations, best on the objective first. */
  frontier: FrontierEntry[];
  pinned?: ScoredConfiguration & { bestAheadPercent: number | null };
  infeasibility?: ClassPlan['infeasibility'];
  /** The cost model's inputs per (draft, quantisation), each tagged Measured or Prior. */
  inputs: CandidateInputsReport[];
  issues: PlanIssue[];
}

export interface DeploymentReport {
  namespace: string;
  name: string;
  /** The file (and 1-based document) the SpecDecodeDeployment was read from. */
  file: string;
  document: number;
  objective: DeploymentPlan['objective'];
  mode: DeploymentPlan['mode'];
  accounting: DeploymentPlan['accounting'];
  target: string;
  verifierDeviceClass: string;
  configurationsEvaluated: number;
  classes: ClassReport[];
  issues: PlanIssue[];
  /** Profiles the operator would measure before trusting these numbers (missing, stale or incomplete). */
  missingDraftProfiles: DeploymentPlan['missingDraftProfiles'];
  missingAlignmentProfiles: DeploymentPlan['missingAlignmentProfiles'];
}

export interface PlanReport {
  reportVersion: typeof PLAN_REPORT_VERSION;
  /** The planner's clock (RFC 3339): profile freshness and cooldowns are judged against it. */
  now: string;
  deployments: DeploymentReport[];
}

export interface DeploymentReportInput {
  namespace: string;
  name: string;
  file: string;
  documentIndex: number;
  target: string;
  verifierDeviceClass: string;
  plan: DeploymentPlan;
  /** Names of the DeviceClasses read from files (the others came from the catalog). */
  deviceClassesFromFiles: ReadonlySet<string>;
}

/** JSON has no Infinity or NaN: such figures (an improvement over zero, say) are written as null. */
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function deploymentReport(input: DeploymentReportInput): DeploymentReport {
  const { plan } = input;
  return {
    namespace: input.namespace,
    name: input.name,
    file: input.file,
    document: input.documentIndex + 1,
    objective: plan.objective,
    mode: plan.mode,
    accounting: plan.accounting,
    target: input.target,
    verifierDeviceClass: input.verifierDeviceClass,
    configurationsEvaluated: plan.configurationsEvaluated,
    classes: plan.classes.map((classPlan) => classReport(classPlan, input.deviceClassesFromFiles)),
    issues: plan.issues,
    missingDraftProfiles: plan.missingDraftProfiles,
    missingAlignmentProfiles: plan.missingAlignmentProfiles,
  };
}

function classReport(plan: ClassPlan, fromFiles: ReadonlySet<string>): ClassReport {
  return {
    name: plan.name,
    source: fromFiles.has(plan.name) ? 'File' : 'Catalog',
    outcome: plan.outcome,
    reason: plan.reason,
    message: plan.message,
    ...(plan.selected ? { selected: plan.selected } : {}),
    ...(plan.predicted ? { predicted: plan.predicted } : {}),
    ...(plan.basis ? { basis: plan.basis } : {}),
    ...(plan.runnerUp ? { runnerUp: plan.runnerUp } : {}),
    frontier: plan.frontier,
    ...(plan.pinned
      ? { pinned: { ...plan.pinned, bestAheadPercent: finiteOrNull(plan.pinned.bestAheadPercent) } }
      : {}),
    ...(plan.infeasibility ? { infeasibility: plan.infeasibility } : {}),
    inputs: plan.inputs.map((inputs) => ({
      draft: inputs.draft,
      quantization: inputs.quantization,
      basis: inputs.basis,
      draftInterceptSeconds: inputs.draftInterceptSeconds,
      draftSecondsPerToken: inputs.draftSecondsPerToken,
      acceptanceRate: inputs.acceptanceRate,
      verifyInterceptSeconds: inputs.verifyInterceptSeconds,
      verifySecondsPerToken: inputs.verifySecondsPerToken,
      rttSeconds: inputs.rttSeconds,
      draftingWatts: inputs.draftingWatts,
      waitingWatts: inputs.waitingWatts,
    })),
    issues: plan.issues,
  };
}

/** A JSON text of the report in which every non-finite number is null (never the string "Infinity"). */
export function planReportJson(report: PlanReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' ? finiteOrNull(value) : value), 2);
}

// ------------------------------------------------------------------------------------------------ the table

const BASIS_KEYS: readonly (keyof InputBasis)[] = ['draftSpeed', 'acceptance', 'power', 'network', 'verification'];
const BASIS_WORDS: Record<keyof InputBasis, string> = {
  draftSpeed: 'draft speed',
  acceptance: 'acceptance',
  power: 'power',
  network: 'network',
  verification: 'verification',
};

const number = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '∞');
const configurationText = (c: Configuration) => `${c.draft} ${c.quantization} K=${c.k}`;

/** "Measured", "Prior" or "3/5 measured": the short form of a basis for a table cell. */
export function basisSummary(basis: InputBasis): string {
  const measured = BASIS_KEYS.filter((key) => basis[key] === 'Measured').length;
  if (measured === BASIS_KEYS.length) return 'Measured';
  if (measured === 0) return 'Prior';
  return `${measured}/${BASIS_KEYS.length} measured`;
}

function basisDetail(basis: InputBasis): string {
  const part = (kind: 'Measured' | 'Prior') =>
    BASIS_KEYS.filter((key) => basis[key] === kind)
      .map((key) => BASIS_WORDS[key])
      .join(', ');
  const measured = part('Measured');
  const prior = part('Prior');
  return [measured && `measured: ${measured}`, prior && `priors: ${prior}`].filter(Boolean).join('; ');
}

/** Left-aligned columns (numbers right-aligned), two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - [...cell].length);
        return rightAligned.has(i) ? pad + cell : i === row.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

const FIGURE_HEADER = ['TOK/S', '$/MTOK', 'J/TOK'];
const figureCells = (f: { goodputTokensPerSecond: number; usdPerMillionTokens: number; joulesPerToken: number }) => [
  number(f.goodputTokensPerSecond, 2),
  number(f.usdPerMillionTokens, 4),
  number(f.joulesPerToken, 3),
];

function issueLine(issue: PlanIssue): string {
  return `${issue.severity.toLowerCase()}: ${issue.field ? `${issue.field}: ` : ''}${issue.message} (${issue.code})`;
}

function classDetail(report: ClassReport): string[] {
  const lines = [`  ${report.name} (${report.source === 'File' ? 'DeviceClass from file' : 'catalog DeviceClass'})`];
  lines.push(`    ${report.reason}: ${report.message}`);
  if (report.basis) lines.push(`    inputs of the selection — ${basisDetail(report.basis)}`);
  if (report.runnerUp) {
    const r = report.runnerUp;
    lines.push(
      `    runner-up: ${configurationText(r)} — ${number(r.figures.goodputTokensPerSecond, 2)} tok/s, ` +
        `$${number(r.figures.usdPerMillionTokens, 4)}/Mtoken, ${number(r.figures.joulesPerToken, 3)} J/token` +
        (r.feasible ? '' : ` (infeasible: ${r.reasons.map((reason) => reason.message).join('; ')})`),
    );
  }
  if (report.frontier.length > 0) {
    lines.push('    Pareto front (no other configuration is better on all three):');
    const rows = [
      ['', 'DRAFT', 'QUANT', 'K', ...FIGURE_HEADER],
      ...report.frontier.map((entry) => [
        report.selected && sameConfiguration(entry, report.selected) ? '*' : '',
        entry.draft,
        entry.quantization,
        String(entry.k),
        ...figureCells(entry),
      ]),
    ];
    lines.push(...alignColumns(rows, new Set([3, 4, 5, 6])).map((line) => `      ${line}`));
  }
  if (report.infeasibility) {
    for (const reason of report.infeasibility.reasons) lines.push(`    why infeasible: ${reason.message}`);
    for (const best of report.infeasibility.bestAchievable)
      lines.push(
        `    best achievable ${best.constraint}: ${number(best.bestAchievable, 4)} (limit ${number(best.limit, 4)}) ` +
          `with ${best.draft} ${best.quantization} K=${best.k}`,
      );
  }
  for (const issue of report.issues) lines.push(`    ${issueLine(issue)}`);
  return lines;
}

/** The human view: per deployment a summary table of the classes, then each class's reasoning. */
export function renderPlanTable(report: PlanReport): string {
  const out: string[] = [];
  for (const deployment of report.deployments) {
    if (out.length > 0) out.push('');
    out.push(
      `SpecDecodeDeployment ${deployment.namespace}/${deployment.name} (${deployment.file}, document ${deployment.document})`,
      `  maximize ${deployment.objective} · mode ${deployment.mode} · accounting ${deployment.accounting} · ` +
        `target ${deployment.target} verified on ${deployment.verifierDeviceClass} · ` +
        `${deployment.configurationsEvaluated} configurations evaluated`,
    );
    for (const issue of deployment.issues) out.push(`  ${issueLine(issue)}`);
    if (deployment.classes.length > 0) {
      const header = ['DEVICE CLASS', 'SELECTED', ...FIGURE_HEADER, 'ACCEPT', 'ROUND MS', 'INPUTS', 'REASON'];
      const rows = deployment.classes.map((c) => [
        c.name,
        c.selected ? configurationText(c.selected) : '—',
        ...(c.predicted
          ? [
              ...figureCells(c.predicted),
              number(c.predicted.acceptanceRate, 2),
              number(c.predicted.roundSeconds * 1000, 1),
            ]
          : ['—', '—', '—', '—', '—']),
        c.basis ? basisSummary(c.basis) : '—',
        c.reason,
      ]);
      out.push('', ...alignColumns([header, ...rows], new Set([2, 3, 4, 5, 6])).map((line) => `  ${line}`), '');
      for (const c of deployment.classes) out.push(...classDetail(c));
    }
    const missing = deployment.missingDraftProfiles.length + deployment.missingAlignmentProfiles.length;
    if (missing > 0)
      out.push(
        '',
        `  Priors stand in for ${deployment.missingDraftProfiles.length} draft profile(s) and ` +
          `${deployment.missingAlignmentProfiles.length} alignment profile(s) not measured yet; ` +
          'the operator profiles them (spec.profiling) and re-plans on the measurements.',
      );
  }
  out.push(
    '',
    'TOK/S goodput (tokens per second to the user), $/MTOK dollars per million tokens, J/TOK edge joules per',
  );
  out.push('token, ACCEPT per-token acceptance α, ROUND MS one draft+verify round, INPUTS measured or prior inputs.');
  return `${out.join('\n')}\n`;
}
