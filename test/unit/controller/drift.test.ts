import { isSubset, jsonEqual } from '../../../src/controller/drift.js';
import { buildDrafterDaemonSet } from '../../../src/planner/workloads.js';
import { context, pi5 } from '../planner/workloads-fixtures.js';

describe('isSubset', () => {
  it('accepts a live object that adds server defaults and other managers’ fields', () => {
    const desired = buildDrafterDaemonSet(context(), pi5, { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' });
    const live = JSON.parse(JSON.stringify(desired));
    live.metadata.resourceVersion = '17';
    live.metadata.uid = 'x';
    live.metadata.annotations = { ...live.metadata.annotations, 'deprecated.daemonset.template.generation': '1' };
    live.spec.revisionHistoryLimit = 10;
    live.spec.template.metadata.creationTimestamp = null;
    live.spec.template.spec.dnsPolicy = 'ClusterFirst';
    live.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    live.spec.template.spec.containers[0].livenessProbe.successThreshold = 1;
    live.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'k').configMap.defaultMode = 420;
    live.status = { numberReady: 3 };
    expect(isSubset(desired, live)).toBe(true);
  });

  it('accepts the apiserver omitting empty lists and maps', () => {
    expect(isSubset({ spec: { tolerations: [], nodeSelector: {} } }, { spec: {} })).toBe(true);
    expect(isSubset({ spec: { tolerations: [] } }, { spec: { tolerations: [{ key: 'a' }] } })).toBe(false);
  });

  it('detects a changed value, a missing field and a different list', () => {
    expect(isSubset({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(isSubset({ a: { b: 1 } }, { a: {} })).toBe(false);
    expect(isSubset({ l: [1, 2] }, { l: [1, 2, 3] })).toBe(false);
    expect(isSubset({ l: [{ x: 1 }] }, { l: [{ x: 1, y: 2 }] })).toBe(true);
    expect(isSubset({ n: 1 }, { n: '1' })).toBe(false);
    expect(isSubset({ a: 1 }, undefined)).toBe(false);
  });
});

describe('jsonEqual', () => {
  it('ignores key order but not extra keys', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
