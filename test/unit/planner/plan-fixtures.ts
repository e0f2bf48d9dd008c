// Builders for planner tests: a defaulted SpecDecodeDeployment and profiles, overridable per test.
import type {
  AlignmentProfile,
  DraftProfile,
  Quantization,
  SpecDecodeDeployment,
  SpecDecodeDeploymentSpec,
} from '../../../src/api/types.js';
import { API_VERSION } from '../../../src/api/types.js';

export const NOW = '2026-11-28T12:00:00Z';

export function deployment(overrides: Partial<SpecDecodeDeploymentSpec> = {}): SpecDecodeDeployment {
  return {
    apiVersion: API_VERSION,
    kind: 'SpecDecodeDeployment',
    metadata: { name: 'chat', namespace: 'default' },
    spec: {
      target: {
        model: { name: 'qwen2.5-7b-instruct' },
        verifier: { engine: 'ConfigSpec', replicas: 1, gpusPerReplica: 1, deviceClass: 'nvidia-a100-80gb' },
      },
      drafts: [
        { model: { name: 'qwen2.5-0.5b-instruct' }, quantizations: ['Q4_K_M', 'Q8_0'] },
        { model: { name: 'qwen2.5-1.5b-instruct' }, quantizations: ['Q4_K_M'] },
      ],
      speculation: { k: { min: 0, max: 8 } },
      edge: { deviceClasses: ['raspberry-pi-5', 'jetson-orin-nano-8gb'] },
      objective: { maximize: 'Goodput' },
      policy: { mode: 'Auto', minImprovementPercent: 10, cooldownSeconds: 600 },
      profiling: { mode: 'IfMissing', maxAgeSeconds: 86400, maxConcurrentJobs: 2 },
      accounting: 'Full',
      ...overrides,
    },
  };
}

export function draftProfile(
  deviceClass: string,
  draft: string,
  quantization: Quantization,
  status: DraftProfile['status'],
): DraftProfile {
  return {
    apiVersion: API_VERSION,
    kind: 'DraftProfile',
    metadata: { name: `${deviceClass}-${draft}-${quantization}`.toLowerCase() },
    spec: { deviceClass, draft, quantization },
    status,
  };
}

export function alignmentProfile(
  draft: string,
  quantization: Quantization,
  target: string,
  status: AlignmentProfile['status'],
): AlignmentProfile {
  return {
    apiVersion: API_VERSION,
    kind: 'AlignmentProfile',
    metadata: { name: `${draft}-${quantization}-${target}`.toLowerCase() },
    spec: { draft, quantization, target, promptSet: 'builtin' },
    status,
  };
}
