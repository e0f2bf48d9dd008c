// Which edge nodes belong to which DeviceClass. Pure: nodes and classes in, groups out.
// A node belongs to the deployment's edge when it matches spec.edge.nodeSelector; among the Edge classes it
// matches, the one with the most specific selector (most keys, then name) claims it, so every node counts
// once. Edge nodes that match no class are reported, never silently dropped.
import type { DeviceClass, SpecDecodeDeployment } from '../api/types.js';

/** The parts of a Node the grouping reads. */
export interface NodeView {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface ClassNodes {
  deviceClass: DeviceClass;
  /** Node names in order. */
  nodes: string[];
  /** Ready and schedulable, in order: candidates for profiling Jobs. */
  readyNodes: string[];
}

export interface NodeGroups {
  classes: ClassNodes[];
  unclassified: string[];
}

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> = {}) {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

export function isNodeReady(node: NodeView): boolean {
  if (node.spec?.unschedulable) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Groups the deployment's edge nodes by Edge DeviceClass. When spec.edge.deviceClasses is set, only those
 * classes take part; nodes matching only other classes count as unclassified.
 */
export function groupEdgeNodes(
  sdd: SpecDecodeDeployment,
  deviceClasses: readonly DeviceClass[],
  nodes: readonly NodeView[],
): NodeGroups {
  const allowed = sdd.spec.edge.deviceClasses ?? [];
  const candidates = deviceClasses
    .filter((dc) => dc.spec.role === 'Edge')
    .filter((dc) => allowed.length === 0 || allowed.includes(dc.metadata.name))
    .sort(
      (a, b) =>
        Object.keys(b.spec.nodeSelector).length - Object.keys(a.spec.nodeSelector).length ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  const groups = new Map<string, ClassNodes>(
    candidates.map((dc) => [dc.metadata.name, { deviceClass: dc, nodes: [], readyNodes: [] }]),
  );
  const unclassified: string[] = [];
  const edgeNodes = nodes
    .filter((n) => selectorMatches(sdd.spec.edge.nodeSelector, n.metadata.labels))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const node of edgeNodes) {
    // An empty class selector would claim every node; such a class is treated as matching nothing.
    const owner = candidates.find(
      (dc) =>
        Object.keys(dc.spec.nodeSelector).length > 0 && selectorMatches(dc.spec.nodeSelector, node.metadata.labels),
    );
    if (!owner) {
      unclassified.push(node.metadata.name);
      continue;
    }
    const group = groups.get(owner.metadata.name)!;
    group.nodes.push(node.metadata.name);
    if (isNodeReady(node)) group.readyNodes.push(node.metadata.name);
  }
  return {
    classes: [...groups.values()].sort((a, b) =>
      a.deviceClass.metadata.name.localeCompare(b.deviceClass.metadata.name),
    ),
    unclassified,
  };
}

/** Node counts of any DeviceClass (for its status), whatever its role. */
export function countClassNodes(deviceClass: DeviceClass, nodes: readonly NodeView[]) {
  const matching = nodes.filter(
    (n) =>
      Object.keys(deviceClass.spec.nodeSelector).length > 0 &&
      selectorMatches(deviceClass.spec.nodeSelector, n.metadata.labels),
  );
  return { nodes: matching.length, readyNodes: matching.filter(isNodeReady).length };
}
