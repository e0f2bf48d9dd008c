import type { DeviceClass } from '../../../src/api/types.js';
import { countClassNodes, groupEdgeNodes, isNodeReady, type NodeView } from '../../../src/planner/node-groups.js';
import { edgeClass, h100, sdd } from './workloads-fixtures.js';

function node(name: string, labels: Record<string, string>, ready = true, unschedulable = false): NodeView {
  return {
    metadata: { name, labels },
    spec: { unschedulable },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const edge = { 'node-role.kubernetes.io/edge': 'true' };
const pi5 = edgeClass('pi5', { 'configspec.io/device-class': 'pi5' });
const pi5Big: DeviceClass = edgeClass('pi5-16g', {
  'configspec.io/device-class': 'pi5',
  'configspec.io/memory': '16g',
});
const orin = edgeClass('orin', { 'configspec.io/device-class': 'orin' });

const nodes = [
  node('pi-b', { ...edge, 'configspec.io/device-class': 'pi5' }),
  node('pi-a', { ...edge, 'configspec.io/device-class': 'pi5' }, false),
  node('pi-big', { ...edge, 'configspec.io/device-class': 'pi5', 'configspec.io/memory': '16g' }),
  node('orin-1', { ...edge, 'configspec.io/device-class': 'orin' }, true, true),
  node('mystery', { ...edge, 'configspec.io/device-class': 'rock5' }),
  node('gpu-1', { 'nvidia.com/gpu.product': 'H100' }),
];

describe('groupEdgeNodes', () => {
  it('puts each edge node in exactly one class, the most specific match, and reports the rest', () => {
    const groups = groupEdgeNodes(sdd(), [orin, pi5Big, pi5, h100], nodes);
    expect(groups.classes.map((g) => [g.deviceClass.metadata.name, g.nodes, g.readyNodes])).toEqual([
      ['orin', ['orin-1'], []],
      ['pi5', ['pi-a', 'pi-b'], ['pi-b']],
      ['pi5-16g', ['pi-big'], ['pi-big']],
    ]);
    expect(groups.unclassified).toEqual(['mystery']);
  });

  it('honours spec.edge.deviceClasses: nodes of other classes become unclassified', () => {
    const restricted = sdd();
    restricted.spec.edge.deviceClasses = ['pi5'];
    const groups = groupEdgeNodes(restricted, [orin, pi5Big, pi5], nodes);
    expect(groups.classes.map((g) => g.deviceClass.metadata.name)).toEqual(['pi5']);
    expect(groups.classes[0]!.nodes).toEqual(['pi-a', 'pi-b', 'pi-big']);
    expect(groups.unclassified).toEqual(['mystery', 'orin-1']);
  });

  it('ignores nodes outside spec.edge.nodeSelector and never lets an empty selector claim everything', () => {
    const catchAll = edgeClass('all', {});
    const groups = groupEdgeNodes(sdd(), [catchAll], nodes);
    expect(groups.classes[0]!.nodes).toEqual([]);
    expect(groups.unclassified).not.toContain('gpu-1');
  });
});

describe('node readiness and class counts', () => {
  it('counts Ready, schedulable nodes as ready', () => {
    expect(isNodeReady(nodes[0]!)).toBe(true);
    expect(isNodeReady(nodes[1]!)).toBe(false);
    expect(isNodeReady(nodes[3]!)).toBe(false);
    expect(isNodeReady({ metadata: { name: 'x' } })).toBe(false);
  });

  it('counts the nodes of any class for its status', () => {
    expect(countClassNodes(h100, nodes)).toEqual({ nodes: 1, readyNodes: 1 });
    expect(countClassNodes(pi5, nodes)).toEqual({ nodes: 3, readyNodes: 2 });
  });
});
