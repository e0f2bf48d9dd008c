import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  DEVICE_CLASS_LABEL,
  EDGE_ROLE_LABEL,
  FleetError,
  GPU_RESOURCE,
  KWOK_NODE_ANNOTATION,
  type NodeManifest,
  VERIFIER_ROLE_LABEL,
  parseFleet,
  renderFleet,
  scaledCount,
} from '../../../src/fleet/render.js';
import { renderFleetFile } from '../../../src/cli/commands/fleet.js';

const edgeClass = {
  deviceClass: 'raspberry-pi-5',
  role: 'Edge',
  count: 2,
  arch: 'arm64',
  capacity: { cpu: 4, memory: '8Gi' },
  allocatable: { cpu: '4', memory: '8092Mi' },
};
const gpuClass = {
  deviceClass: 'nvidia-l4',
  role: 'Verifier',
  count: 1,
  arch: 'amd64',
  gpus: 1,
  capacity: { cpu: '8', memory: '32Gi' },
  labels: { 'nvidia.com/gpu.product': 'NVIDIA-L4' },
};

function fleetOf(...nodeClasses: unknown[]) {
  return { kind: 'Fleet', nodeClasses };
}

function errorOf(document: unknown): FleetError {
  try {
    parseFleet(document);
  } catch (error) {
    if (error instanceof FleetError) return error;
    throw error;
  }
  throw new Error('parseFleet accepted the document');
}

describe('renderFleet', () => {
  const nodes = renderFleet(parseFleet(fleetOf(edgeClass, gpuClass)));

  it('names nodes <deviceClass>-<index>, class by class', () => {
    expect(nodes.map((node) => node.metadata.name)).toEqual(['raspberry-pi-5-0', 'raspberry-pi-5-1', 'nvidia-l4-0']);
  });

  it('labels edge nodes with device class, arch, edge role and hostname, and marks them for kwok', () => {
    const edge = nodes[0]!;
    expect(edge.metadata.labels).toMatchObject({
      [DEVICE_CLASS_LABEL]: 'raspberry-pi-5',
      [EDGE_ROLE_LABEL]: '',
      'kubernetes.io/arch': 'arm64',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/hostname': 'raspberry-pi-5-0',
    });
    expect(edge.metadata.labels[VERIFIER_ROLE_LABEL]).toBeUndefined();
    expect(edge.metadata.annotations).toEqual({ [KWOK_NODE_ANNOTATION]: 'fake' });
    expect(edge.spec.taints).toBeUndefined();
    expect(edge.status.nodeInfo.architecture).toBe('arm64');
  });

  it('gives edge nodes the device capacity and allocatable, with a default pod limit', () => {
    expect(nodes[0]!.status.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(nodes[0]!.status.allocatable).toEqual({ cpu: '4', memory: '8092Mi', pods: '110' });
  });

  it('gives GPU nodes nvidia.com/gpu capacity, the GPU taint, amd64 and the class labels', () => {
    const gpu = nodes[2]!;
    expect(gpu.status.capacity[GPU_RESOURCE]).toBe('1');
    expect(gpu.status.allocatable).toEqual(gpu.status.capacity);
    expect(gpu.spec.taints).toEqual([{ key: GPU_RESOURCE, value: 'present', effect: 'NoSchedule' }]);
    expect(gpu.metadata.labels).toMatchObject({
      [VERIFIER_ROLE_LABEL]: '',
      'kubernetes.io/arch': 'amd64',
      'nvidia.com/gpu.product': 'NVIDIA-L4',
    });
  });

  it('does not let class labels override the well-known labels', () => {
    const [node] = renderFleet(
      parseFleet(
        fleetOf({ ...edgeClass, count: 1, labels: { [DEVICE_CLASS_LABEL]: 'other', 'kubernetes.io/arch': 'amd64' } }),
      ),
    );
    expect(node!.metadata.labels[DEVICE_CLASS_LABEL]).toBe('raspberry-pi-5');
    expect(node!.metadata.labels['kubernetes.io/arch']).toBe('arm64');
  });

  it('multiplies counts by the scale, keeping at least one node per listed class', () => {
    expect(renderFleet(parseFleet(fleetOf(edgeClass, gpuClass)), 50)).toHaveLength(150);
    expect(scaledCount(2, 0.1)).toBe(1);
    expect(scaledCount(0, 10)).toBe(0);
    expect(scaledCount(3, 1.5)).toBe(5);
    expect(() => scaledCount(1, 0)).toThrow(/scale: must be a positive number/);
  });

  it('renders a 1,020-node fleet with unique node names', () => {
    const big = renderFleet(parseFleet(fleetOf({ ...edgeClass, count: 1000 }, { ...gpuClass, count: 20 })));
    expect(new Set(big.map((node) => node.metadata.name)).size).toBe(1020);
  });
});

describe('parseFleet errors name the offending field', () => {
  it.each([
    ['nodeClasses: must be a list', { kind: 'Fleet' }],
    ['kind: must be Fleet', { kind: 'Fleets', nodeClasses: [] }],
    ['nodeClasses[0].count: must be a non-negative integer', fleetOf({ ...edgeClass, count: -1 })],
    ['nodeClasses[0].count', fleetOf({ ...edgeClass, count: 1.5 })],
    ['nodeClasses[0].role: must be one of Edge, Verifier', fleetOf({ ...edgeClass, role: 'Cloud' })],
    ['nodeClasses[0].arch: must be one of arm64, amd64', fleetOf({ ...edgeClass, arch: 'riscv64' })],
    ['nodeClasses[0].deviceClass: must be lowercase', fleetOf({ ...edgeClass, deviceClass: 'Raspberry_Pi' })],
    ['nodeClasses[0].capacity.memory: must be a resource quantity', fleetOf({ ...edgeClass, capacity: { cpu: '4' } })],
    ['nodeClasses[0].capacity.cpu', fleetOf({ ...edgeClass, capacity: { cpu: 'four', memory: '1Gi' } })],
    [
      'nodeClasses[0].allocatable.gpu: unknown',
      fleetOf({ ...edgeClass, allocatable: { cpu: '4', memory: '1Gi', gpu: 1 } }),
    ],
    ['nodeClasses[1].gpus', fleetOf(edgeClass, { ...gpuClass, gpus: -2 })],
    [
      'nodeClasses[1].labels.a b: is not a valid label key',
      fleetOf(edgeClass, { ...gpuClass, labels: { 'a b': 'x' } }),
    ],
    [
      'nodeClasses[1].labels.ok: must be a valid label value',
      fleetOf(edgeClass, { ...gpuClass, labels: { ok: true } }),
    ],
    ['nodeClasses[1].deviceClass: duplicate device class raspberry-pi-5', fleetOf(edgeClass, edgeClass)],
  ])('%s', (message, document) => {
    expect(errorOf(document).message).toContain(message);
  });
});

describe('the fleet files in config/fleet', () => {
  it('default.yaml has the four edge device classes on arm64 and GPU nodes on amd64', async () => {
    const fleet = parseFleet(parse(await readFile('config/fleet/default.yaml', 'utf8')));
    const edge = fleet.nodeClasses.filter((nodeClass) => nodeClass.role === 'Edge');
    expect(edge.map((nodeClass) => nodeClass.deviceClass).sort()).toEqual([
      'jetson-agx-orin',
      'jetson-orin-nano',
      'raspberry-pi-4',
      'raspberry-pi-5',
    ]);
    expect(edge.every((nodeClass) => nodeClass.arch === 'arm64')).toBe(true);
    const gpu = fleet.nodeClasses.filter((nodeClass) => (nodeClass.gpus ?? 0) > 0);
    expect(gpu.length).toBeGreaterThan(0);
    expect(gpu.every((nodeClass) => nodeClass.arch === 'amd64' && nodeClass.role === 'Verifier')).toBe(true);
  });

  it('benchmark.yaml renders 1,000 edge nodes in 10 classes and 20 GPU nodes', async () => {
    const list = JSON.parse(await renderFleetFile('config/fleet/benchmark.yaml', 1, 'json')) as {
      kind: string;
      items: NodeManifest[];
    };
    expect(list.kind).toBe('List');
    const edge = list.items.filter((node) => EDGE_ROLE_LABEL in node.metadata.labels);
    const gpu = list.items.filter((node) => GPU_RESOURCE in node.status.capacity);
    expect(edge).toHaveLength(1000);
    expect(new Set(edge.map((node) => node.metadata.labels[DEVICE_CLASS_LABEL])).size).toBe(10);
    expect(gpu).toHaveLength(20);
  });

  it('renders the same nodes as YAML documents and as a JSON List', async () => {
    const yamlNodes = (await renderFleetFile('config/fleet/default.yaml', 1, 'yaml'))
      .split(/^---\n/m)
      .filter(Boolean)
      .map((document) => parse(document) as NodeManifest);
    const list = JSON.parse(await renderFleetFile('config/fleet/default.yaml', 1, 'json')) as { items: NodeManifest[] };
    expect(yamlNodes).toEqual(list.items);
    expect(yamlNodes.length).toBeGreaterThan(0);
  });

  it('renderFleetFile rejects a file with two YAML documents', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-'));
    const file = join(dir, 'two.yaml');
    await writeFile(file, 'kind: Fleet\nnodeClasses: []\n---\nkind: Fleet\nnodeClasses: []\n');
    await expect(renderFleetFile(file, 1)).rejects.toThrow(/exactly one YAML document, found 2/);
    await rm(dir, { recursive: true });
  });
});
