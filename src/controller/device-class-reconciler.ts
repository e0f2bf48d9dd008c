// Keeps DeviceClass status (nodes, readyNodes) in step with the Nodes its selector matches. Writes only when
// the counts change; conditions, if another writer set them, are carried over untouched.
import type { DeviceClassStatusBlock } from '../api/types.js';
import { countClassNodes } from '../planner/node-groups.js';
import type { ClusterCache } from './cache.js';
import { jsonEqual } from './drift.js';
import type { ClusterWriter, KubeObject } from './ports.js';
import type { ReconcileResult } from './workqueue.js';

export class DeviceClassStatusReconciler {
  constructor(
    private readonly options: { cache: Pick<ClusterCache, 'deviceClasses' | 'nodes'>; writer: ClusterWriter },
  ) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const deviceClass = this.options.cache.deviceClasses.get(name);
    if (!deviceClass) return {};
    const counts = countClassNodes(deviceClass, this.options.cache.nodes.list());
    const status: DeviceClassStatusBlock = {
      ...(deviceClass.status?.conditions ? { conditions: deviceClass.status.conditions } : {}),
      nodes: counts.nodes,
      readyNodes: counts.readyNodes,
    };
    if (!jsonEqual(status, deviceClass.status ?? {})) {
      await this.options.writer.applyStatus({ ...deviceClass, status } as unknown as KubeObject);
    }
    return {};
  }
}
