// Typed accessors over the built-in catalog. Pure data: importable from the cost model, the planner and the CLI.
import { API_VERSION, type DeviceClass } from '../api/types.js';
import { CATALOG_DEVICE_CLASSES } from './device-classes.js';
import { ACCEPTANCE_PRIORS } from './heuristics.js';
import { CATALOG_MODELS } from './models.js';
import type { AcceptancePrior, Catalog, CatalogDeviceClass, CatalogModel } from './types.js';

export type * from './types.js';
export * from './heuristics.js';
export { BITS_PER_WEIGHT } from './models.js';

export const BUILTIN_CATALOG: Catalog = {
  deviceClasses: CATALOG_DEVICE_CLASSES,
  models: CATALOG_MODELS,
  acceptance: ACCEPTANCE_PRIORS,
};

export function findCatalogModel(catalog: Catalog, name: string): CatalogModel | undefined {
  return catalog.models.find((model) => model.name === name);
}

export function findCatalogDeviceClass(catalog: Catalog, name: string): CatalogDeviceClass | undefined {
  return catalog.deviceClasses.find((deviceClass) => deviceClass.name === name);
}

export function findAcceptancePrior(catalog: Catalog, draft: string, target: string): AcceptancePrior | undefined {
  return catalog.acceptance.find((prior) => prior.draft === draft && prior.target === target);
}

/** The label nodes of a catalog device class carry unless the user's DeviceClass says otherwise. */
export const DEVICE_CLASS_LABEL = 'configspec.io/device-class';

/** A catalog device class as the API object a user would apply (the CLI falls back to these). */
export function catalogDeviceClassObject(entry: CatalogDeviceClass): DeviceClass {
  return {
    apiVersion: API_VERSION,
    kind: 'DeviceClass',
    metadata: { name: entry.name, labels: { 'configspec.io/source': 'catalog' } },
    spec: {
      role: entry.role,
      nodeSelector: { [DEVICE_CLASS_LABEL]: entry.nodeLabel ?? entry.name },
      hardware: {
        arch: entry.arch,
        memoryGiB: entry.memoryGiB,
        memoryBandwidthGBps: entry.memoryBandwidthGBps,
        ...(entry.accelerator === undefined ? {} : { accelerator: entry.accelerator }),
        ...(entry.computeTFLOPS === undefined ? {} : { computeTFLOPS: entry.computeTFLOPS }),
      },
      power: { idleWatts: entry.idleWatts, maxWatts: entry.maxWatts, sensor: 'None' },
      price: { usdPerHour: entry.usdPerHour },
      network: { rttMilliseconds: entry.rttMilliseconds },
    },
  };
}
