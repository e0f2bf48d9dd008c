// From validated manifests to the plan report: each SpecDecodeDeployment is planned against the DeviceClasses and
// profiles found beside it, the built-in catalog filling in the rest. Pure: the clock comes in as `now`.
import type {
  AlignmentProfile,
  ConfigSpecObject,
  DeviceClass,
  DraftProfile,
  SpecDecodeDeployment,
} from '../api/types.js';
import type { ValidationError } from '../api/errors.js';
import { BUILTIN_CATALOG, catalogDeviceClassObject, type Catalog } from '../catalog/index.js';
import { curvesOf, planDeployment, type CurrentSelection } from '../planner/plan.js';
import { deploymentReport, PLAN_REPORT_VERSION, type PlanReport } from './plan-report.js';
import type { PlotPanel } from './plan-svg.js';

export interface LocatedObject {
  file: string;
  documentIndex: number;
  object: ConfigSpecObject;
}

export interface PlanManifestsResult {
  report: PlanReport;
  panels: PlotPanel[];
  /** Plan issues of severity Error, located at the deployment's file and field (for stderr and the exit code). */
  errors: ValidationError[];
}

/**
 * The selection a deployment's status records, as the hysteresis input: planning `kubectl get sdd -o yaml` output
 * then shows what the operator would do next, not what it would pick from scratch.
 */
export function currentSelectionsOf(deployment: SpecDecodeDeployment): Record<string, CurrentSelection> {
  const current: Record<string, CurrentSelection> = {};
  for (const entry of deployment.status?.deviceClasses ?? [])
    if (entry.selected)
      current[entry.name] = {
        selected: entry.selected,
        ...(entry.lastChangeTime ? { lastChangeTime: entry.lastChangeTime } : {}),
      };
  return current;
}

/**
 * DeviceClasses to plan with: those of the files, plus — when the files define no Edge class and the deployment
 * does not name its classes — every Edge class of the catalog, so a lone SpecDecodeDeployment still gets a plan.
 */
function deviceClassesFor(
  deployment: SpecDecodeDeployment,
  fromFiles: readonly DeviceClass[],
  catalog: Catalog,
): DeviceClass[] {
  const named = deployment.spec.edge.deviceClasses ?? [];
  if (named.length > 0 || fromFiles.some((dc) => dc.spec.role === 'Edge')) return [...fromFiles];
  const present = new Set(fromFiles.map((dc) => dc.metadata.name));
  const fallback = catalog.deviceClasses
    .filter((entry) => entry.role === 'Edge' && !present.has(entry.name))
    .map(catalogDeviceClassObject);
  return [...fromFiles, ...fallback];
}

export function planManifests(
  objects: readonly LocatedObject[],
  now: string,
  catalog: Catalog = BUILTIN_CATALOG,
): PlanManifestsResult {
  const ofKind = <T extends ConfigSpecObject>(kind: T['kind']) =>
    objects.filter((located) => located.object.kind === kind) as (LocatedObject & { object: T })[];
  const deviceClasses = ofKind<DeviceClass>('DeviceClass').map((located) => located.object);
  const draftProfiles = ofKind<DraftProfile>('DraftProfile').map((located) => located.object);
  const alignmentProfiles = ofKind<AlignmentProfile>('AlignmentProfile').map((located) => located.object);
  const fromFiles = new Set(deviceClasses.map((dc) => dc.metadata.name));

  const report: PlanReport = { reportVersion: PLAN_REPORT_VERSION, now, deployments: [] };
  const panels: PlotPanel[] = [];
  const errors: ValidationError[] = [];
  for (const { file, documentIndex, object: deployment } of ofKind<SpecDecodeDeployment>('SpecDecodeDeployment')) {
    const plan = planDeployment({
      deployment,
      deviceClasses: deviceClassesFor(deployment, deviceClasses, catalog),
      draftProfiles,
      alignmentProfiles,
      catalog,
      current: currentSelectionsOf(deployment),
      now,
    });
    const namespace = deployment.metadata.namespace ?? 'default';
    const name = deployment.metadata.name;
    report.deployments.push(
      deploymentReport({
        namespace,
        name,
        file,
        documentIndex,
        target: deployment.spec.target.model.name,
        verifierDeviceClass: deployment.spec.target.verifier.deviceClass,
        plan,
        deviceClassesFromFiles: fromFiles,
      }),
    );
    const classIssues = plan.classes.flatMap((classPlan) => classPlan.issues);
    for (const issue of [...plan.issues, ...classIssues].filter((i) => i.severity === 'Error'))
      errors.push({
        file,
        documentIndex,
        kind: 'SpecDecodeDeployment',
        name: `${namespace}/${name}`,
        path: issue.field ?? '',
        message: issue.message,
      });
    for (const classPlan of plan.classes) {
      const grid = plan.grids.get(classPlan.name);
      if (!grid) continue;
      panels.push({
        title: `${namespace}/${name} · ${classPlan.name} · maximize ${plan.objective}`,
        curves: curvesOf(grid),
        ...(classPlan.selected ? { selected: classPlan.selected } : {}),
      });
    }
  }
  return { report, panels, errors };
}
