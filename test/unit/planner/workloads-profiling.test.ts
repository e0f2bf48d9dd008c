import {
  buildProfileObject,
  buildProfilingJob,
  profileName,
  type ProfilingTarget,
} from '../../../src/planner/profiling-jobs.js';
import { buildProfilerIdentity, PROFILER_RULES } from '../../../src/planner/rbac.js';
import { context, pi5, restrictedViolations, sdd } from './workloads-fixtures.js';

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
const node = { name: 'pi-007', deviceClass: pi5 };

describe('profiling Job', () => {
  const job = buildProfilingJob(context(), draftTarget, node);
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
    const custom = buildProfilingJob(context(), draftTarget, node, { backoffLimit: 0, activeDeadlineSeconds: 60 });
    expect(custom.spec.backoffLimit).toBe(0);
    expect(custom.spec.activeDeadlineSeconds).toBe(60);
  });

  it('runs the agent profile command for its profile under the dedicated ServiceAccount', () => {
    expect(pod.serviceAccountName).toBe('chat-profiler');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.containers[0]!.args).toEqual([
      'profile',
      '--profile-kind',
      'DraftProfile',
      '--profile-name',
      'pi5-qwen2-5-0-5b-instruct-q4-k-m-' + profileName(draftTarget).slice(-8),
      '--namespace',
      'team-a',
      '--draft',
      'qwen2.5-0.5b-instruct',
      '--quantization',
      'Q4_K_M',
      '--verifier',
      'http://chat-verifier.team-a.svc:8080',
    ]);
  });

  it('passes Pod Security restricted', () => {
    expect(restrictedViolations(pod)).toEqual([]);
  });

  it('names the job after its profile, deterministically, within 63 characters', () => {
    expect(job.metadata.name).toBe(buildProfilingJob(context(), draftTarget, node).metadata.name);
    expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    expect(buildProfilingJob(context(), alignmentTarget, node).metadata.name).not.toBe(job.metadata.name);
    expect(job.metadata.labels['configspec.io/profile']).toBe(profileName(draftTarget));
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SpecDecodeDeployment', controller: true });
  });

  it('gives an alignment Job the target model and the prompt set, mounting a user prompt ConfigMap', () => {
    const withPrompts = sdd();
    withPrompts.spec.profiling.prompts = { name: 'my-prompts', key: 'set.jsonl' };
    const alignment = buildProfilingJob(context(withPrompts), alignmentTarget, node).spec.template.spec;
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
  it('describe the measurement, carry no owner (they are shared) and have stable names', () => {
    const draft = buildProfileObject('team-a', draftTarget);
    expect(draft).toMatchObject({
      kind: 'DraftProfile',
      metadata: { namespace: 'team-a', name: profileName(draftTarget) },
      spec: { deviceClass: 'pi5', draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' },
    });
    expect(draft.metadata).not.toHaveProperty('ownerReferences');
    const alignment = buildProfileObject('team-a', alignmentTarget);
    expect(alignment.spec).toEqual({
      draft: 'qwen2.5-0.5b-instruct',
      quantization: 'Q8_0',
      target: 'qwen2.5-7b-instruct',
      promptSet: 'builtin',
    });
    expect(profileName(alignmentTarget)).toBe(profileName({ ...alignmentTarget }));
  });
});

describe('profiler identity', () => {
  const identity = buildProfilerIdentity(sdd());

  it('allows reading profiles and patching their status, nothing more', () => {
    expect(identity.role.rules).toEqual(PROFILER_RULES);
    const verbs = identity.role.rules.flatMap((r) => r.verbs);
    expect(new Set(verbs)).toEqual(new Set(['get', 'patch']));
    for (const rule of identity.role.rules) {
      expect(rule.apiGroups).toEqual(['configspec.io']);
      expect(rule.resources.join()).not.toContain('*');
      if (rule.verbs.includes('patch')) expect(rule.resources.every((r) => r.endsWith('/status'))).toBe(true);
    }
  });

  it('binds the Role to the ServiceAccount the Jobs use, all owned by the deployment', () => {
    expect(identity.roleBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'chat-profiler',
    });
    expect(identity.roleBinding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'chat-profiler', namespace: 'team-a' },
    ]);
    for (const object of [identity.serviceAccount, identity.role, identity.roleBinding]) {
      expect(object.metadata.ownerReferences?.[0]).toMatchObject({ uid: '1111-2222', controller: true });
    }
    expect(identity.serviceAccount.automountServiceAccountToken).toBe(false);
  });
});
