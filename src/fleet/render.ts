// A fleet description (config/fleet/*.yaml) turned into fake Node manifests that kwok manages. Pure: parsing of
// the YAML text and writing of the output happen in the CLI command; this module validates and renders.

export const DEVICE_CLASS_LABEL = 'configspec.io/device-class';
export const EDGE_ROLE_LABEL = 'node-role.configspec.io/edge';
export const VERIFIER_ROLE_LABEL = 'node-role.configspec.io/verifier';
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** kwok manages exactly the nodes carrying this annotation (hack/cluster.sh starts it with that selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export type FleetRole = 'Edge' | 'Verifier';
export type FleetArch = 'arm64' | 'amd64';

export interface NodeResources {
  cpu: string;
  memory: string;
  pods?: string;
  ephemeralStorage?: string;
}

export interface NodeClass {
  /** Value of the configspec.io/device-class label; node names are `<deviceClass>-<index>`. */
  deviceClass: string;
  role: FleetRole;
  count: number;
  arch: FleetArch;
  /** GPUs per node, advertised as nvidia.com/gpu; nodes with GPUs get the nvidia.com/gpu=present:NoSchedule taint. */
  gpus?: number;
  capacity: NodeResources;
  /** What the kubelet would offer pods; defaults to capacity. */
  allocatable?: NodeResources;
  labels?: Record<string, string>;
}

export interface Fleet {
  kind: 'Fleet';
  nodeClasses: NodeClass[];
}

export interface NodeManifest {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { taints?: { key: string; value: string; effect: 'NoSchedule' }[] };
  status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    nodeInfo: typeof EMPTY_NODE_INFO & { architecture: FleetArch; operatingSystem: 'linux' };
  };
}

/**
 * NodeSystemInfo's fields are all required by the API schema (kubectl validates them); kwok's node-initialize
 * stage fills the empty ones (kubelet and runtime versions) and keeps what is set (architecture, OS).
 */
const EMPTY_NODE_INFO = {
  machineID: '',
  systemUUID: '',
  bootID: '',
  kernelVersion: '',
  osImage: '',
  containerRuntimeVersion: '',
  kubeletVersion: '',
  kubeProxyVersion: '',
};

/** Bad input, with the path of the offending field in the message. */
export class FleetError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'FleetError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** Room left in a 63-character node name for the `-<index>` suffix of a 1,000,000-node fleet. */
const MAX_CLASS_NAME = 63 - 8;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw new FleetError(path, `must be a non-empty string`);
  return value;
}

function requireCount(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new FleetError(path, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) {
    throw new FleetError(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function parseQuantity(value: unknown, path: string): string {
  // YAML turns `cpu: 4` into a number; accept it as the quantity "4".
  const text = typeof value === 'number' && value >= 0 ? String(value) : value;
  if (typeof text !== 'string' || !QUANTITY.test(text)) {
    throw new FleetError(
      path,
      `must be a resource quantity such as "4", "500m" or "8Gi", got ${JSON.stringify(value)}`,
    );
  }
  return text;
}

function parseResources(value: unknown, path: string): NodeResources {
  if (!isRecord(value)) throw new FleetError(path, 'must be a mapping with cpu and memory');
  const known = new Set(['cpu', 'memory', 'pods', 'ephemeralStorage']);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new FleetError(`${path}.${key}`, `unknown resource (known: ${[...known].join(', ')})`);
  }
  const resources: NodeResources = {
    cpu: parseQuantity(value.cpu, `${path}.cpu`),
    memory: parseQuantity(value.memory, `${path}.memory`),
  };
  if (value.pods !== undefined) resources.pods = parseQuantity(value.pods, `${path}.pods`);
  if (value.ephemeralStorage !== undefined) {
    resources.ephemeralStorage = parseQuantity(value.ephemeralStorage, `${path}.ephemeralStorage`);
  }
  return resources;
}

function parseLabels(value: unknown, path: string): Record<string, string> {
  if (!isRecord(value)) throw new FleetError(path, 'must be a mapping of label keys to string values');
  const labels: Record<string, string> = {};
  for (const [key, labelValue] of Object.entries(value)) {
    if (!LABEL_KEY.test(key)) throw new FleetError(`${path}.${key}`, 'is not a valid label key');
    if (typeof labelValue !== 'string' || labelValue.length > 63 || !LABEL_VALUE.test(labelValue)) {
      throw new FleetError(
        `${path}.${key}`,
        `must be a valid label value (a quoted string), got ${JSON.stringify(labelValue)}`,
      );
    }
    labels[key] = labelValue;
  }
  return labels;
}

function parseNodeClass(value: unknown, path: string): NodeClass {
  if (!isRecord(value)) throw new FleetError(path, 'must be a mapping');
  const deviceClass = requireString(value.deviceClass, `${path}.deviceClass`);
  if (!DNS_LABEL.test(deviceClass) || deviceClass.length > MAX_CLASS_NAME) {
    throw new FleetError(
      `${path}.deviceClass`,
      `must be lowercase letters, digits and '-' (at most ${MAX_CLASS_NAME} characters), got ${JSON.stringify(deviceClass)}`,
    );
  }
  const nodeClass: NodeClass = {
    deviceClass,
    role: requireOneOf(value.role, ['Edge', 'Verifier'] as const, `${path}.role`),
    count: requireCount(value.count, `${path}.count`),
    arch: requireOneOf(value.arch, ['arm64', 'amd64'] as const, `${path}.arch`),
    capacity: parseResources(value.capacity, `${path}.capacity`),
  };
  if (value.gpus !== undefined) nodeClass.gpus = requireCount(value.gpus, `${path}.gpus`);
  if (value.allocatable !== undefined) nodeClass.allocatable = parseResources(value.allocatable, `${path}.allocatable`);
  if (value.labels !== undefined) nodeClass.labels = parseLabels(value.labels, `${path}.labels`);
  return nodeClass;
}

/** Validates a parsed fleet document; every error names the field it is about. */
export function parseFleet(document: unknown): Fleet {
  if (!isRecord(document)) throw new FleetError('(document)', 'must be a mapping with kind: Fleet');
  if (document.kind !== 'Fleet') throw new FleetError('kind', `must be Fleet, got ${JSON.stringify(document.kind)}`);
  if (!Array.isArray(document.nodeClasses)) throw new FleetError('nodeClasses', 'must be a list');
  const nodeClasses = document.nodeClasses.map((entry, index) => parseNodeClass(entry, `nodeClasses[${index}]`));
  const seen = new Set<string>();
  nodeClasses.forEach((nodeClass, index) => {
    if (seen.has(nodeClass.deviceClass)) {
      throw new FleetError(`nodeClasses[${index}].deviceClass`, `duplicate device class ${nodeClass.deviceClass}`);
    }
    seen.add(nodeClass.deviceClass);
  });
  return { kind: 'Fleet', nodeClasses };
}

/** Node count of a class after scaling: scaled counts round to the nearest integer, but a listed class keeps ≥ 1 node. */
export function scaledCount(count: number, scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new FleetError('scale', `must be a positive number, got ${scale}`);
  return count === 0 ? 0 : Math.max(1, Math.round(count * scale));
}

function resourceList(resources: NodeResources, gpus: number): Record<string, string> {
  const list: Record<string, string> = { cpu: resources.cpu, memory: resources.memory, pods: resources.pods ?? '110' };
  if (resources.ephemeralStorage !== undefined) list['ephemeral-storage'] = resources.ephemeralStorage;
  if (gpus > 0) list[GPU_RESOURCE] = String(gpus);
  return list;
}

function renderNode(nodeClass: NodeClass, name: string): NodeManifest {
  const gpus = nodeClass.gpus ?? 0;
  const roleLabel = nodeClass.role === 'Edge' ? EDGE_ROLE_LABEL : VERIFIER_ROLE_LABEL;
  const node: NodeManifest = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      // Class labels first, so the well-known labels below cannot be overridden by mistake.
      labels: {
        ...nodeClass.labels,
        [DEVICE_CLASS_LABEL]: nodeClass.deviceClass,
        [roleLabel]: '',
        'kubernetes.io/arch': nodeClass.arch,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        type: 'kwok',
      },
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
    },
    spec: {},
    status: {
      capacity: resourceList(nodeClass.capacity, gpus),
      allocatable: resourceList(nodeClass.allocatable ?? nodeClass.capacity, gpus),
      nodeInfo: { ...EMPTY_NODE_INFO, architecture: nodeClass.arch, operatingSystem: 'linux' },
    },
  };
  if (gpus > 0) node.spec.taints = [{ key: GPU_RESOURCE, value: 'present', effect: 'NoSchedule' }];
  return node;
}

/** All Node manifests of a fleet, class by class, named `<deviceClass>-<index>`. */
export function renderFleet(fleet: Fleet, scale = 1): NodeManifest[] {
  return fleet.nodeClasses.flatMap((nodeClass) =>
    Array.from({ length: scaledCount(nodeClass.count, scale) }, (_, index) =>
      renderNode(nodeClass, `${nodeClass.deviceClass}-${index}`),
    ),
  );
}
