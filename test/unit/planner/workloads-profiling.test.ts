import type { DraftProfile } from '../../../src/api/types.js';
import {
  buildProfileObject,
  buildProfilingJob,
  profileName,
  profilingJobName,
  type ProfilingJobInput,
  type ProfilingTarget,
} from '../../../src/planner/profiling-jobs.js';
import { buildProfilerIdentity, PROFILER_RULES, PROFILER_SERVICE_ACCOUNT } from '../../../src/planner/rbac.js';
import { pi5, restrictedViolations } from './workloads-fixtures.js';

const draftTarget: ProfilingTarget = {
  kind: 'DraftProfile',
  deviceClass: 'pi5',
  draft: { name: 'qwen2.5-0.5b-instruct' },
  quantization: 'Q4_K_M',
};
const alignmentTarget: ProfilingTarget = {
  kind: 'AlignmentProfile',
  draft: { name: 'qwen2.5-0.5b-instruct' },
  quantization: 'Q8_0',
  target: { name: 'qwen2.5-7b-instruct' },
  promptSet: 'builtin',
};

function stored<T extends ReturnType<typeof buildProfileObject>>(object: T): T {
  return { ...object, metadata: { ...object.metadata, uid: 'profile-uid' } };
}

function input(target: ProfilingTarget, extra: Partial<ProfilingJobInput> = {}): ProfilingJobInput {
  return {
    profile: stored(buildProfileObject(target)),
    target,
    node: { name: 'pi-007', deviceClass: pi5 },
    verifierEndpoint: 'http://chat-verifier.team-a.svc:8080',
    namespace: 'configspec-system',
    image: 'ghcr.io/configspec/configspec:0.1.0',
    ...extra,
  };
}

describe('profiling Job', () => {
  const job = buildProfilingJob(input(draftTarget));
  const pod = job.spec.template.spec;

  it('is pinned to exactly one node, through the scheduler, with the class tolerations', () => {
    expect(pod.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-007'] }] }],
        },
      },
    });
    expect(pod.tolerations).toEqual(pi5.spec.runtime?.tolerations);
  });

  it('is bounded in retries and run time and never restarts pods in place', () => {
    expect(job.spec.backoffLimit).toBe(2);
    expect(job.spec.activeDeadlineSeconds).toBe(1800);
    expect(pod.restartPolicy).toBe('Never');
    const custom = buildProfilingJob(input(draftTarget), { backoffLimit: 0, activeDeadlineSeconds: 60 });
    expect(custom.spec.backoffLimit).toBe(0);
    expect(custom.spec.activeDeadlineSeconds).toBe(60);
  });

  it('runs the agent profile command in the operator namespace under the profiler ServiceAccount', () => {
    expect(job.metadata.namespace).toBe('configspec-system');
    expect(pod.serviceAccountName).toBe(PROFILER_SERVICE_ACCOUNT);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.containers[0]!.args).toEqual([
      'profile',
      '--profile-kind',
      'DraftProfile',
      '--profile-name',
      profileName(draftTarget),
      '--draft',
      'qwen2.5-0.5b-instruct',
      '--draft-source',
      'file:///var/cache/configspec/models/draft.gguf',
      '--quantization',
      'Q4_K_M',
      '--verifier',
      'http://chat-verifier.team-a.svc:8080',
    ]);
  });

  it('is owned by its profile object, so deleting the profile deletes the Job', () => {
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'configspec.io/v1alpha1',
        kind: 'DraftProfile',
        name: profileName(draftTarget),
        uid: 'profile-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const unstored = { ...input(draftTarget), profile: buildProfileObject(draftTarget) as DraftProfile };
    expect(() => buildProfilingJob(unstored)).toThrow('no uid');
  });

  it('passes Pod Security restricted', () => {
    expect(restrictedViolations(pod)).toEqual([]);
  });

  it('is named after its profile, deterministically, within 63 characters', () => {
    expect(job.metadata.name).toBe(profilingJobName(profileName(draftTarget)));
    expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    expect(buildProfilingJob(input(alignmentTarget)).metadata.name).not.toBe(job.metadata.name);
    expect(job.metadata.labels['configspec.io/profile']).toBe(profileName(draftTarget));
  });

  it('gives an alignment Job the target model and the prompt set, mounting a prompt ConfigMap', () => {
    const alignment = buildProfilingJob(input(alignmentTarget, { prompts: { name: 'my-prompts', key: 'set.jsonl' } }))
      .spec.template.spec;
    expect(alignment.containers[0]!.args).toEqual(
      expect.arrayContaining([
        '--target',
        'qwen2.5-7b-instruct',
        '--prompt-set',
        'builtin',
        '--prompts-file',
        '/etc/configspec/prompts/set.jsonl',
      ]),
    );
    expect(alignment.volumes).toContainEqual({ name: 'prompts', configMap: { name: 'my-prompts' } });
    expect(restrictedViolations(alignment)).toEqual([]);
  });
});

describe('profile objects', () => {
  it('describe the measurement, are cluster-scoped and unowned (shared), with stable names', () => {
    const draft = buildProfileObject(draftTarget);
    expect(draft).toMatchObject({
      kind: 'DraftProfile',
      metadata: { name: profileName(draftTarget) },
      spec: { deviceClass: 'pi5', draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' },
    });
    expect(draft.metadata).not.toHaveProperty('namespace');
    expect(draft.metadata).not.toHaveProperty('ownerReferences');
    expect(buildProfileObject(alignmentTarget).spec).toEqual({
      draft: 'qwen2.5-0.5b-instruct',
      quantization: 'Q8_0',
      target: 'qwen2.5-7b-instruct',
      promptSet: 'builtin',
    });
    // Named as in config/samples, so a hand-made profile and the operator's are the same object.
    expect(profileName(draftTarget)).toBe('pi5.qwen2.5-0.5b-instruct.q4-k-m');
    expect(profileName(alignmentTarget)).toBe('qwen2.5-0.5b-instruct.q8-0.qwen2.5-7b-instruct.builtin');
  });
});

describe('profiler identity', () => {
  const identity = buildProfilerIdentity('configspec-system');

  it('allows reading profiles and patching their status, nothing more', () => {
    expect(identity.clusterRole.rules).toEqual(PROFILER_RULES);
    expect(new Set(identity.clusterRole.rules.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'patch']));
    for (const rule of identity.clusterRole.rules) {
      expect(rule.apiGroups).toEqual(['configspec.io']);
      expect([...rule.resources, ...rule.verbs, ...rule.apiGroups].join()).not.toContain('*');
      if (rule.verbs.includes('patch')) expect(rule.resources.every((r) => r.endsWith('/status'))).toBe(true);
    }
  });

  it('binds the ClusterRole to the ServiceAccount the Jobs use', () => {
    expect(identity.clusterRoleBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: PROFILER_SERVICE_ACCOUNT,
    });
    expect(identity.clusterRoleBinding.subjects).toEqual([
      { kind: 'ServiceAccount', name: PROFILER_SERVICE_ACCOUNT, namespace: 'configspec-system' },
    ]);
    expect(identity.serviceAccount.automountServiceAccountToken).toBe(false);
  });
});
