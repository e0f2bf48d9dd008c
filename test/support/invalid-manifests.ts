// A catalogue of invalid configspec.io manifests, each a small mutation of a valid sample from config/samples,
// with the field the rejection must name and a fragment of the message. The unit tests check that local
// validation rejects each one; the same cases can be sent to a real apiserver (the CRDs enforce the same rules).
// Checked by hand against kube-apiserver v1.36.3: every spec case rejected by `kubectl create --dry-run=server`
// (strict field validation) and every status case by `kubectl patch --subresource=status`, each error naming
// `path`; for cel cases the apiserver's message contains `message`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Which part of the apiserver rejects the case:
 * - schema: the CRD's OpenAPI schema (types, enums, bounds, patterns, required fields);
 * - cel: an x-kubernetes-validations rule (its message is `message` verbatim);
 * - metadata: the apiserver's own object-metadata checks;
 * - strict-field-validation: unknown fields, rejected when the client asks for Strict field validation (kubectl's
 *   default); with fieldValidation=Ignore the apiserver prunes them instead.
 */
export type EnforcedBy = 'schema' | 'cel' | 'metadata' | 'strict-field-validation';

export interface InvalidManifestCase {
  /** Short unique id, usable as a test name. */
  name: string;
  manifest: Manifest;
  /** Field path the error must name, as the apiserver prints it (spec.drafts[0].quantizations[1]). */
  path: string;
  /** Fragment of the local message (for cel cases, the CRD rule's message). */
  message: string;
  enforcedBy: EnforcedBy;
}

const samplesDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'samples');

/** A fresh copy of a sample manifest (file name in config/samples). */
export function sample(file: string): Manifest {
  return parse(readFileSync(join(samplesDirectory, file), 'utf8')) as Manifest;
}

function mutate(file: string, change: (manifest: Manifest) => void): Manifest {
  const manifest = sample(file);
  change(manifest);
  return manifest;
}

const sdd = (change: (manifest: Manifest) => void): Manifest => mutate('specdecodedeployment-goodput.yaml', change);
const pinned = (change: (manifest: Manifest) => void): Manifest => mutate('specdecodedeployment-pinned.yaml', change);
const deviceClass = (change: (manifest: Manifest) => void): Manifest =>
  mutate('deviceclass-raspberry-pi-5.yaml', change);
const gpuClass = (change: (manifest: Manifest) => void): Manifest =>
  mutate('deviceclass-nvidia-a100-80gb.yaml', change);
const draftProfile = (change: (manifest: Manifest) => void): Manifest => mutate('draftprofile.yaml', change);
const alignmentProfile = (change: (manifest: Manifest) => void): Manifest => mutate('alignmentprofile.yaml', change);

const SDD_CASES: InvalidManifestCase[] = [
  {
    name: 'k-min-above-max',
    manifest: sdd((m) => (m.spec.speculation.k = { min: 5, max: 3 })),
    path: 'spec.speculation.k.min',
    message: 'must be ≤ spec.speculation.k.max',
    enforcedBy: 'cel',
  },
  {
    name: 'k-max-above-bound',
    manifest: sdd((m) => (m.spec.speculation.k.max = 40)),
    path: 'spec.speculation.k.max',
    message: 'must be ≤ 32',
    enforcedBy: 'schema',
  },
  {
    name: 'k-min-negative',
    manifest: sdd((m) => (m.spec.speculation.k.min = -1)),
    path: 'spec.speculation.k.min',
    message: 'must be ≥ 0',
    enforcedBy: 'schema',
  },
  {
    name: 'k-fractional',
    manifest: sdd((m) => (m.spec.speculation.k.max = 2.5)),
    path: 'spec.speculation.k.max',
    message: 'must be an integer',
    enforcedBy: 'schema',
  },
  {
    name: 'objective-unknown',
    manifest: sdd((m) => (m.spec.objective.maximize = 'Throughput')),
    path: 'spec.objective.maximize',
    message: 'must be one of Goodput, CostEfficiency, EnergyEfficiency',
    enforcedBy: 'schema',
  },
  {
    name: 'policy-mode-lower-case',
    manifest: sdd((m) => (m.spec.policy.mode = 'auto')),
    path: 'spec.policy.mode',
    message: 'must be one of Auto, Recommend, Pinned',
    enforcedBy: 'schema',
  },
  {
    name: 'pinned-mode-without-configuration',
    manifest: pinned((m) => delete m.spec.policy.pinned),
    path: 'spec.policy.pinned',
    message: 'is required when spec.policy.mode is Pinned',
    enforcedBy: 'cel',
  },
  {
    name: 'pinned-configuration-with-auto-mode',
    manifest: pinned((m) => (m.spec.policy.mode = 'Auto')),
    path: 'spec.policy.pinned',
    message: 'must be unset unless spec.policy.mode is Pinned',
    enforcedBy: 'cel',
  },
  {
    name: 'draft-source-for-a-quantization-not-offered',
    manifest: sdd((m) => (m.spec.drafts[1].sources = [{ quantization: 'F16', uri: 'hf://org/repo/draft-f16.gguf' }])),
    path: 'spec.drafts[1].sources',
    message: "every sources[].quantization must be one of this draft's quantizations",
    enforcedBy: 'cel',
  },
  {
    name: 'pinned-draft-not-a-candidate',
    manifest: pinned((m) => (m.spec.policy.pinned.draft = 'llama-3.1-8b-instruct')),
    path: 'spec.policy.pinned.draft',
    message: 'must name one of spec.drafts[].model.name',
    enforcedBy: 'cel',
  },
  {
    name: 'pinned-quantization-not-offered',
    manifest: pinned((m) => (m.spec.policy.pinned.quantization = 'F16')),
    path: 'spec.policy.pinned.quantization',
    message: "must be one of the pinned draft's quantizations in spec.drafts",
    enforcedBy: 'cel',
  },
  {
    name: 'pinned-k-outside-range',
    manifest: pinned((m) => (m.spec.policy.pinned.k = 9)),
    path: 'spec.policy.pinned.k',
    message: 'must lie within spec.speculation.k [min, max]',
    enforcedBy: 'cel',
  },
  {
    name: 'drafts-repeated',
    manifest: sdd((m) => m.spec.drafts.push(structuredClone(m.spec.drafts[0]))),
    path: 'spec.drafts',
    message: 'draft model names must be unique',
    enforcedBy: 'cel',
  },
  {
    name: 'draft-is-the-target',
    manifest: sdd((m) => (m.spec.drafts[1].model.name = 'qwen2.5-7b-instruct')),
    path: 'spec.drafts',
    message: 'must not contain the target model spec.target.model.name',
    enforcedBy: 'cel',
  },
  {
    name: 'drafts-empty',
    manifest: sdd((m) => (m.spec.drafts = [])),
    path: 'spec.drafts',
    message: 'must have at least 1 item',
    enforcedBy: 'schema',
  },
  {
    name: 'drafts-too-many',
    manifest: sdd((m) => {
      m.spec.drafts = Array.from({ length: 11 }, (_, index) => ({
        model: {
          name: `draft-${index}`,
          family: 'qwen2.5',
          parametersBillions: 0.5,
          source: { uri: `hf://org/repo/draft-${index}.gguf` },
        },
        quantizations: ['Q4_K_M'],
      }));
    }),
    path: 'spec.drafts',
    message: 'must have at most 10 items',
    enforcedBy: 'schema',
  },
  {
    name: 'quantization-unknown',
    manifest: sdd((m) => (m.spec.drafts[0].quantizations = ['Q3_K_S'])),
    path: 'spec.drafts[0].quantizations[0]',
    message: 'must be one of Q4_K_M, Q5_K_M, Q8_0, F16',
    enforcedBy: 'schema',
  },
  {
    name: 'quantization-repeated',
    manifest: sdd((m) => (m.spec.drafts[1].quantizations = ['Q4_K_M', 'Q4_K_M'])),
    path: 'spec.drafts[1].quantizations[1]',
    message: 'duplicates [0]',
    enforcedBy: 'schema',
  },
  {
    name: 'verifier-device-class-missing',
    manifest: sdd((m) => delete m.spec.target.verifier.deviceClass),
    path: 'spec.target.verifier.deviceClass',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'target-missing',
    manifest: sdd((m) => delete m.spec.target),
    path: 'spec.target',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'sourced-draft-without-facts',
    manifest: sdd(
      (m) => (m.spec.drafts[1].model = { name: 'my-draft', source: { uri: 'hf://me/drafts/my-draft.gguf' } }),
    ),
    path: 'spec.drafts[1].model',
    message: 'a model with a source must also give family and parametersBillions',
    enforcedBy: 'cel',
  },
  {
    name: 'source-uri-scheme',
    manifest: sdd((m) => {
      m.spec.target.model = {
        name: 'my-target',
        family: 'qwen2.5',
        parametersBillions: 7.6,
        source: { uri: 'ftp://models/t.gguf' },
      };
    }),
    path: 'spec.target.model.source.uri',
    message: 'must match',
    enforcedBy: 'schema',
  },
  {
    name: 'source-sha256-not-hex',
    manifest: sdd((m) => {
      m.spec.target.model = {
        name: 'my-target',
        family: 'qwen2.5',
        parametersBillions: 7.6,
        source: { uri: 'https://models.example.com/t.gguf', sha256: 'Z'.repeat(64) },
      };
    }),
    path: 'spec.target.model.source.sha256',
    message: 'must match ^[a-f0-9]{64}$',
    enforcedBy: 'schema',
  },
  {
    name: 'model-name-upper-case',
    manifest: sdd((m) => (m.spec.target.model.name = 'Qwen2.5-7B-Instruct')),
    path: 'spec.target.model.name',
    message: 'must match',
    enforcedBy: 'schema',
  },
  {
    name: 'draft-family-differs',
    manifest: sdd((m) => {
      m.spec.target.model.family = 'qwen2.5';
      m.spec.drafts[0].model.family = 'llama3';
    }),
    path: 'spec.drafts',
    message: "every draft's model.family must equal spec.target.model.family",
    enforcedBy: 'cel',
  },
  {
    name: 'edge-classes-include-verifier-class',
    manifest: sdd((m) => m.spec.edge.deviceClasses.push('nvidia-a100-80gb')),
    path: 'spec.edge.deviceClasses',
    message: "must not contain the verifier's device class spec.target.verifier.deviceClass",
    enforcedBy: 'cel',
  },
  {
    name: 'constraint-zero',
    manifest: sdd((m) => (m.spec.objective.constraints = { minGoodputTokensPerSecond: 0 })),
    path: 'spec.objective.constraints.minGoodputTokensPerSecond',
    message: 'must be > 0',
    enforcedBy: 'schema',
  },
  {
    name: 'constraint-negative-cost',
    manifest: sdd((m) => (m.spec.objective.constraints = { maxUSDPerMillionTokens: -2 })),
    path: 'spec.objective.constraints.maxUSDPerMillionTokens',
    message: 'must be > 0',
    enforcedBy: 'schema',
  },
  {
    name: 'cooldown-above-a-day',
    manifest: sdd((m) => (m.spec.policy.cooldownSeconds = 100000)),
    path: 'spec.policy.cooldownSeconds',
    message: 'must be ≤ 86400',
    enforcedBy: 'schema',
  },
  {
    name: 'improvement-above-100-percent',
    manifest: sdd((m) => (m.spec.policy.minImprovementPercent = 150)),
    path: 'spec.policy.minImprovementPercent',
    message: 'must be ≤ 100',
    enforcedBy: 'schema',
  },
  {
    name: 'profiling-no-jobs',
    manifest: sdd((m) => (m.spec.profiling.maxConcurrentJobs = 0)),
    path: 'spec.profiling.maxConcurrentJobs',
    message: 'must be ≥ 1',
    enforcedBy: 'schema',
  },
  {
    name: 'profiling-mode-unknown',
    manifest: sdd((m) => (m.spec.profiling.mode = 'Always')),
    path: 'spec.profiling.mode',
    message: 'must be one of IfMissing, Periodic, Never',
    enforcedBy: 'schema',
  },
  {
    name: 'accounting-lower-case',
    manifest: sdd((m) => (m.spec.accounting = 'full')),
    path: 'spec.accounting',
    message: 'must be one of Full, Paper',
    enforcedBy: 'schema',
  },
  {
    name: 'verifier-replicas-negative',
    manifest: sdd((m) => (m.spec.target.verifier.replicas = -1)),
    path: 'spec.target.verifier.replicas',
    message: 'must be ≥ 0',
    enforcedBy: 'schema',
  },
  {
    name: 'verifier-gpus-above-bound',
    manifest: sdd((m) => (m.spec.target.verifier.gpusPerReplica = 9)),
    path: 'spec.target.verifier.gpusPerReplica',
    message: 'must be ≤ 8',
    enforcedBy: 'schema',
  },
  {
    name: 'verifier-engine-unknown',
    manifest: sdd((m) => (m.spec.target.verifier.engine = 'vLLM')),
    path: 'spec.target.verifier.engine',
    message: 'must be one of ConfigSpec',
    enforcedBy: 'schema',
  },
  {
    name: 'edge-node-selector-too-large',
    manifest: sdd((m) => {
      m.spec.edge.nodeSelector = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`example.com/l${i}`, 'x']));
    }),
    path: 'spec.edge.nodeSelector',
    message: 'must have at most 16 entries',
    enforcedBy: 'schema',
  },
  {
    name: 'prompts-without-name',
    manifest: sdd((m) => (m.spec.profiling.prompts = { key: 'prompts.jsonl' })),
    path: 'spec.profiling.prompts.name',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'unknown-field-typo',
    manifest: sdd((m) => {
      m.spec.speculaton = m.spec.speculation;
      delete m.spec.speculation;
    }),
    path: 'spec.speculaton',
    message: 'unknown field (did you mean "speculation"?)',
    enforcedBy: 'strict-field-validation',
  },
  {
    name: 'name-not-dns',
    manifest: sdd((m) => (m.metadata.name = 'Qwen_Chat')),
    path: 'metadata.name',
    message: 'must be a DNS subdomain',
    enforcedBy: 'metadata',
  },
];

const DEVICE_CLASS_CASES: InvalidManifestCase[] = [
  {
    name: 'idle-above-max-watts',
    manifest: deviceClass((m) => (m.spec.power = { idleWatts: 12, maxWatts: 9 })),
    path: 'spec.power.idleWatts',
    message: 'must be ≤ spec.power.maxWatts',
    enforcedBy: 'cel',
  },
  {
    name: 'role-unknown',
    manifest: deviceClass((m) => (m.spec.role = 'Drafter')),
    path: 'spec.role',
    message: 'must be one of Edge, Verifier',
    enforcedBy: 'schema',
  },
  {
    name: 'arch-unknown',
    manifest: deviceClass((m) => (m.spec.hardware.arch = 'aarch64')),
    path: 'spec.hardware.arch',
    message: 'must be one of arm64, amd64',
    enforcedBy: 'schema',
  },
  {
    name: 'node-selector-empty',
    manifest: deviceClass((m) => (m.spec.nodeSelector = {})),
    path: 'spec.nodeSelector',
    message: 'must have at least 1 entry',
    enforcedBy: 'schema',
  },
  {
    name: 'node-selector-value-too-long',
    manifest: deviceClass((m) => (m.spec.nodeSelector['configspec.io/device-class'] = 'x'.repeat(64))),
    path: 'spec.nodeSelector.configspec.io/device-class',
    message: 'must be at most 63 characters long',
    enforcedBy: 'schema',
  },
  {
    name: 'memory-zero',
    manifest: deviceClass((m) => (m.spec.hardware.memoryGiB = 0)),
    path: 'spec.hardware.memoryGiB',
    message: 'must be > 0',
    enforcedBy: 'schema',
  },
  {
    name: 'hardware-missing',
    manifest: deviceClass((m) => delete m.spec.hardware),
    path: 'spec.hardware',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'power-sensor-unknown',
    manifest: deviceClass((m) => (m.spec.power.sensor = 'NVML')),
    path: 'spec.power.sensor',
    message: 'must be one of None, INA3221, RAPL, Hwmon',
    enforcedBy: 'schema',
  },
  {
    name: 'toleration-exists-with-value',
    manifest: gpuClass((m) => (m.spec.runtime.tolerations[0].value = 'present')),
    path: 'spec.runtime.tolerations[0].value',
    message: 'must be empty when operator is Exists',
    enforcedBy: 'cel',
  },
  {
    name: 'toleration-empty-key-with-equal',
    manifest: gpuClass((m) => (m.spec.runtime.tolerations = [{ operator: 'Equal', value: 'x' }])),
    path: 'spec.runtime.tolerations[0].operator',
    message: 'an empty key requires operator Exists',
    enforcedBy: 'cel',
  },
  {
    name: 'toleration-seconds-without-no-execute',
    manifest: gpuClass((m) => (m.spec.runtime.tolerations[0].tolerationSeconds = 30)),
    path: 'spec.runtime.tolerations[0].tolerationSeconds',
    message: 'is only allowed with effect NoExecute',
    enforcedBy: 'cel',
  },
  {
    name: 'price-negative',
    manifest: deviceClass((m) => (m.spec.price.usdPerHour = -0.5)),
    path: 'spec.price.usdPerHour',
    message: 'must be ≥ 0',
    enforcedBy: 'schema',
  },
];

const PROFILE_CASES: InvalidManifestCase[] = [
  {
    name: 'draft-profile-quantization-missing',
    manifest: draftProfile((m) => delete m.spec.quantization),
    path: 'spec.quantization',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'draft-profile-device-class-not-a-name',
    manifest: draftProfile((m) => (m.spec.deviceClass = 'Raspberry Pi 5')),
    path: 'spec.deviceClass',
    message: 'must match',
    enforcedBy: 'schema',
  },
  {
    name: 'alignment-profile-prompt-set-empty',
    manifest: alignmentProfile((m) => (m.spec.promptSet = '')),
    path: 'spec.promptSet',
    message: 'must be at least 1 characters long',
    enforcedBy: 'schema',
  },
  {
    name: 'alignment-profile-target-missing',
    manifest: alignmentProfile((m) => delete m.spec.target),
    path: 'spec.target',
    message: 'is required',
    enforcedBy: 'schema',
  },
];

export const INVALID_MANIFESTS: readonly InvalidManifestCase[] = [
  ...SDD_CASES,
  ...DEVICE_CLASS_CASES,
  ...PROFILE_CASES,
];

// --- Status ---------------------------------------------------------------------------------------------------
// The apiserver ignores status on create and update; these are rejected when written through the /status
// subresource (what the operator and the profiler do). Each is a valid object with one bad status field.

const readyCondition = {
  type: 'Ready',
  status: 'True',
  lastTransitionTime: '2026-01-01T00:00:00Z',
  reason: 'Ready',
  message: 'serving',
};

const withStatus = (file: string, status: Manifest): Manifest => mutate(file, (m) => (m.status = status));

export const INVALID_STATUSES: readonly InvalidManifestCase[] = [
  {
    name: 'status-condition-type-repeated',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      conditions: [readyCondition, { ...readyCondition, status: 'False' }],
    }),
    path: 'status.conditions[1]',
    message: 'duplicates entry [0] (same type "Ready")',
    enforcedBy: 'schema',
  },
  {
    name: 'status-condition-reason-not-camel-case',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      conditions: [{ ...readyCondition, reason: 'all good' }],
    }),
    path: 'status.conditions[0].reason',
    message: 'must match',
    enforcedBy: 'schema',
  },
  {
    name: 'status-condition-without-time',
    manifest: withStatus('deviceclass-raspberry-pi-5.yaml', {
      nodes: 1,
      readyNodes: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '' }],
    }),
    path: 'status.conditions[0].lastTransitionTime',
    message: 'is required',
    enforcedBy: 'schema',
  },
  {
    name: 'status-condition-time-not-rfc3339',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      conditions: [{ ...readyCondition, lastTransitionTime: 'yesterday' }],
    }),
    path: 'status.conditions[0].lastTransitionTime',
    message: 'must be an RFC 3339 date-time',
    enforcedBy: 'schema',
  },
  {
    name: 'status-frontier-too-long',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      deviceClasses: [
        {
          name: 'raspberry-pi-5',
          nodes: 1,
          readyNodes: 1,
          frontier: Array.from({ length: 6 }, (_, k) => ({
            draft: 'qwen2.5-0.5b-instruct',
            quantization: 'Q4_K_M',
            k,
            goodputTokensPerSecond: 10,
            usdPerMillionTokens: 1,
            joulesPerToken: 1,
          })),
        },
      ],
    }),
    path: 'status.deviceClasses[0].frontier',
    message: 'must have at most 5 items',
    enforcedBy: 'schema',
  },
  {
    name: 'status-basis-unknown',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      deviceClasses: [
        {
          name: 'raspberry-pi-5',
          nodes: 1,
          readyNodes: 1,
          basis: {
            draftSpeed: 'Guessed',
            acceptance: 'Prior',
            power: 'Prior',
            network: 'Prior',
            verification: 'Prior',
          },
        },
      ],
    }),
    path: 'status.deviceClasses[0].basis.draftSpeed',
    message: 'must be one of Measured, Prior',
    enforcedBy: 'schema',
  },
  {
    name: 'status-device-class-repeated',
    manifest: withStatus('specdecodedeployment-goodput.yaml', {
      deviceClasses: [
        { name: 'raspberry-pi-5', nodes: 1, readyNodes: 1 },
        { name: 'raspberry-pi-5', nodes: 2, readyNodes: 0 },
      ],
    }),
    path: 'status.deviceClasses[1]',
    message: 'duplicates entry [0] (same name "raspberry-pi-5")',
    enforcedBy: 'schema',
  },
  {
    name: 'status-acceptance-above-one',
    manifest: withStatus('alignmentprofile.yaml', { acceptanceRate: 1.2 }),
    path: 'status.acceptanceRate',
    message: 'must be ≤ 1',
    enforcedBy: 'schema',
  },
  {
    name: 'status-per-position-negative',
    manifest: withStatus('alignmentprofile.yaml', { perPosition: [0.9, -0.1] }),
    path: 'status.perPosition[1]',
    message: 'must be ≥ 0',
    enforcedBy: 'schema',
  },
  {
    name: 'status-power-source-unknown',
    manifest: withStatus('draftprofile.yaml', { powerSource: 'Guessed' }),
    path: 'status.powerSource',
    message: 'must be one of Sensor, Estimated',
    enforcedBy: 'schema',
  },
];
