import { applyDefaults } from '../../../src/api/validate.js';
import type { SpecDecodeDeployment } from '../../../src/api/types.js';

const minimal = {
  apiVersion: 'configspec.io/v1alpha1',
  kind: 'SpecDecodeDeployment',
  metadata: { name: 'minimal' },
  spec: {
    target: { model: { name: 'qwen2.5-7b-instruct' }, verifier: { deviceClass: 'nvidia-a100-80gb' } },
    drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M'] }],
  },
};

describe('applyDefaults', () => {
  it('fills every documented default of a minimal SpecDecodeDeployment, including inside defaulted objects', () => {
    const defaulted = applyDefaults(minimal) as unknown as SpecDecodeDeployment;
    expect(defaulted.spec).toEqual({
      target: {
        model: { name: 'qwen2.5-7b-instruct' },
        verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-a100-80gb' },
      },
      drafts: [{ model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M'] }],
      speculation: { k: { min: 0, max: 10 } },
      edge: {},
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Auto', minImprovementPercent: 5, cooldownSeconds: 300 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 604800, maxConcurrentJobs: 2 },
      accounting: 'Full',
    });
  });

  it('keeps what the user set and does not touch its input', () => {
    const input = structuredClone(minimal) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    input.spec.speculation = { k: { max: 4 } };
    input.spec.policy = { mode: 'Recommend' };
    const before = structuredClone(input);
    const defaulted = applyDefaults(input) as unknown as SpecDecodeDeployment;
    expect(defaulted.spec.speculation.k).toEqual({ min: 0, max: 4 });
    expect(defaulted.spec.policy).toEqual({ mode: 'Recommend', minImprovementPercent: 5, cooldownSeconds: 300 });
    expect(input).toEqual(before);
  });

  it('defaults DeviceClass power.sensor to None', () => {
    const deviceClass = {
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'DeviceClass',
      metadata: { name: 'box' },
      spec: {
        role: 'Edge',
        nodeSelector: { a: 'b' },
        hardware: { arch: 'amd64', memoryGiB: 8, memoryBandwidthGBps: 20 },
        power: { idleWatts: 5, maxWatts: 20 },
      },
    };
    expect((applyDefaults(deviceClass) as typeof deviceClass).spec.power).toEqual({
      idleWatts: 5,
      maxWatts: 20,
      sensor: 'None',
    });
  });

  it('leaves objects of other APIs as they are', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    expect(applyDefaults(configMap)).toEqual(configMap);
  });
});
