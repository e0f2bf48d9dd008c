import { LABELS, MANAGED_BY } from '../../../src/planner/metadata.js';
import { boundedName, labelValue, shortHash, subdomainName } from '../../../src/planner/naming.js';
import type { PodTemplate } from '../../../src/planner/shapes.js';
import {
  buildDrafterDaemonSet,
  buildKConfigMap,
  buildVerifierDeployment,
  buildVerifierService,
  GPU_RESOURCE,
  K_FILE,
  verifierEndpoint,
} from '../../../src/planner/workloads.js';
import { context, h100, orin, pi5, restrictedViolations, sdd } from './workloads-fixtures.js';

const selection = { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q4_K_M' as const };

function matches(selector: Record<string, string>, template: PodTemplate): boolean {
  return Object.entries(selector).every(([k, v]) => template.metadata.labels[k] === v);
}

describe('names', () => {
  it('are deterministic, readable when short', () => {
    expect(buildVerifierDeployment(context(), h100).metadata.name).toBe('chat-verifier');
    expect(buildVerifierService(context()).metadata.name).toBe('chat-verifier');
    expect(buildDrafterDaemonSet(context(), pi5, selection).metadata.name).toBe('chat-draft-pi5');
    expect(buildKConfigMap(context(), 'pi5', 4).metadata.name).toBe('chat-k-pi5');
  });

  it('stay within 63 characters, unique and stable when long', () => {
    const long = sdd({ name: 'a'.repeat(60) });
    const one = buildDrafterDaemonSet(context(long), pi5, selection).metadata.name;
    const two = buildDrafterDaemonSet(context(long), orin, selection).metadata.name;
    expect(one.length).toBeLessThanOrEqual(63);
    expect(two.length).toBeLessThanOrEqual(63);
    expect(one).not.toBe(two);
    expect(buildDrafterDaemonSet(context(long), pi5, selection).metadata.name).toBe(one);
    expect(one).toMatch(/^[a-z]([a-z0-9-]*[a-z0-9])?$/);
  });

  it('turn odd characters into a valid, hashed DNS label', () => {
    expect(boundedName(['Chat.Prod', 'draft', 'pi5'])).toMatch(/^chat-prod-draft-pi5-[0-9a-f]{8}$/);
    expect(boundedName(['9lives'])).toMatch(/^x-9lives-[0-9a-f]{8}$/);
    expect(boundedName(['Chat.Prod'])).not.toBe(boundedName(['chat-prod']));
    expect(shortHash('abc')).toBe(shortHash('abc'));
    expect(labelValue('ok.value_1')).toBe('ok.value_1');
    expect(subdomainName(['Pi5', 'model.v2', 'Q4_K_M'])).toBe('pi5.model.v2.q4-k-m');
    expect(subdomainName(['a b', 'c'])).toMatch(/^a-b.c-[0-9a-f]{8}$/);
    expect(subdomainName(['x'.repeat(300)]).length).toBeLessThanOrEqual(253);
    expect(labelValue('x'.repeat(80)).length).toBeLessThanOrEqual(63);
  });
});

describe('verifier', () => {
  const deployment = buildVerifierDeployment(context(), h100);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;

  it('runs on the verifier class with GPUs requested and tolerated', () => {
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'H100' });
    expect(container.resources.limits[GPU_RESOURCE]).toBe('1');
    expect(container.resources.requests[GPU_RESOURCE]).toBe('1');
    expect(pod.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(deployment.spec.replicas).toBe(2);
  });

  it('runs the agent verify command on the target model', () => {
    expect(container.command).toEqual(['configspec']);
    expect(container.args).toEqual([
      'verify',
      '--model',
      'qwen2.5-7b-instruct',
      '--model-source',
      'file:///var/cache/configspec/models/model.gguf',
      '--port',
      '8080',
    ]);
    expect(container.image).toBe('ghcr.io/configspec/configspec:0.1.0');
  });

  it('uses spec.target.verifier.image when given', () => {
    const custom = sdd();
    custom.spec.target.verifier.image = 'registry.example/verifier:1';
    expect(buildVerifierDeployment(context(custom), h100).spec.template.spec.containers[0]!.image).toBe(
      'registry.example/verifier:1',
    );
  });

  it('is fronted by a Service whose selector matches the pods, at the advertised endpoint', () => {
    const service = buildVerifierService(context());
    expect(matches(service.spec.selector, deployment.spec.template)).toBe(true);
    expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    expect(verifierEndpoint(sdd())).toBe('http://chat-verifier.team-a.svc:8080');
  });

  it('refuses a class that is not a Verifier class', () => {
    expect(() => buildVerifierDeployment(context(), pi5)).toThrow('not Verifier');
  });
});

describe('drafter', () => {
  const daemonSet = buildDrafterDaemonSet(context(), pi5, selection);
  const pod = daemonSet.spec.template.spec;
  const container = pod.containers[0]!;

  it('lands only on edge nodes of its class', () => {
    expect(pod.nodeSelector).toEqual({
      'node-role.kubernetes.io/edge': 'true',
      'configspec.io/device-class': 'pi5',
    });
    expect(pod.tolerations).toEqual([{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('runs the agent draft command with the selection, the verifier address and the K file', () => {
    expect(container.args).toEqual([
      'draft',
      '--model',
      'qwen2.5-0.5b-instruct',
      '--model-source',
      'file:///var/cache/configspec/models/model.gguf',
      '--quantization',
      'Q4_K_M',
      '--verifier',
      'http://chat-verifier.team-a.svc:8080',
      '--k-file',
      K_FILE,
      '--port',
      '8080',
    ]);
    expect(K_FILE).toBe('/etc/configspec/k/k');
  });

  it('mounts the class K ConfigMap as a directory (no subPath, so updates reach the pod)', () => {
    expect(pod.volumes.find((v) => v.name === 'k')).toEqual({
      name: 'k',
      configMap: { name: 'chat-k-pi5', items: [{ key: 'k', path: 'k' }] },
    });
    const mount = container.volumeMounts.find((m) => m.name === 'k');
    expect(mount).toEqual({ name: 'k', mountPath: '/etc/configspec/k', readOnly: true });
    expect(mount).not.toHaveProperty('subPath');
    expect(buildKConfigMap(context(), 'pi5', 5).data).toEqual({ k: '5' });
  });

  it('changes only the ConfigMap when K changes', () => {
    const before = { ds: buildDrafterDaemonSet(context(), pi5, selection), cm: buildKConfigMap(context(), 'pi5', 3) };
    const after = { ds: buildDrafterDaemonSet(context(), pi5, selection), cm: buildKConfigMap(context(), 'pi5', 6) };
    expect(after.ds).toEqual(before.ds);
    expect(after.cm).not.toEqual(before.cm);
    expect(after.cm.metadata).toEqual(before.cm.metadata);
  });

  it('changes the pod template (a rollout) when the model or quantisation changes', () => {
    const base = buildDrafterDaemonSet(context(), pi5, selection).spec.template;
    const otherQuant = buildDrafterDaemonSet(context(), pi5, { ...selection, quantization: 'Q8_0' }).spec.template;
    const otherModel = buildDrafterDaemonSet(context(), pi5, { draft: 'my-draft', quantization: 'Q4_K_M' }).spec
      .template;
    expect(otherQuant).not.toEqual(base);
    expect(otherModel).not.toEqual(base);
    // ...but never the selector, which is immutable.
    expect(buildDrafterDaemonSet(context(), pi5, { draft: 'my-draft', quantization: 'Q4_K_M' }).spec.selector).toEqual(
      buildDrafterDaemonSet(context(), pi5, selection).spec.selector,
    );
  });

  it('mounts a pvc:// model read-only; the fetch step verifies its checksum in place, the drafter reads it there', () => {
    const ds = buildDrafterDaemonSet(context(), pi5, { draft: 'my-draft', quantization: 'Q4_K_M' });
    const spec = ds.spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'model-pvc',
      persistentVolumeClaim: { claimName: 'models', readOnly: true },
    });
    expect(spec.containers[0]!.args).toEqual(expect.arrayContaining(['--model-source', 'file:///mnt/model/d.gguf']));
    expect(spec.initContainers![0]!.args).toEqual(
      expect.arrayContaining(['fetch', '--uri', 'file:///mnt/model/d.gguf', '--sha256', 'ab'.repeat(32)]),
    );
    expect(spec.initContainers![0]!.args).not.toContain('--output');
  });

  it('keeps the runtime class of the device class', () => {
    expect(buildDrafterDaemonSet(context(), orin, selection).spec.template.spec.runtimeClassName).toBe('nvidia');
  });

  it('gives each class its own selector, matching only its own pods', () => {
    const a = buildDrafterDaemonSet(context(), pi5, selection);
    const b = buildDrafterDaemonSet(context(), orin, selection);
    expect(matches(a.spec.selector.matchLabels, a.spec.template)).toBe(true);
    expect(matches(a.spec.selector.matchLabels, b.spec.template)).toBe(false);
    expect(matches(b.spec.selector.matchLabels, a.spec.template)).toBe(false);
  });

  it('rejects drafts, quantisations and K outside the spec, and contradictory selectors', () => {
    expect(() => buildDrafterDaemonSet(context(), pi5, { draft: 'nope', quantization: 'Q4_K_M' })).toThrow('not among');
    expect(() => buildDrafterDaemonSet(context(), pi5, { draft: 'my-draft', quantization: 'F16' })).toThrow(
      'not offered',
    );
    expect(() => buildKConfigMap(context(), 'pi5', 9)).toThrow('[1, 8]');
    expect(() => buildKConfigMap(context(), 'pi5', 2.5)).toThrow('integer');
    const clash = sdd();
    clash.spec.edge.nodeSelector = { 'configspec.io/device-class': 'other' };
    expect(() => buildDrafterDaemonSet(context(clash), pi5, selection)).toThrow('conflict');
    expect(() => buildDrafterDaemonSet(context(), h100, selection)).toThrow('not Edge');
  });
});

describe('every serving object', () => {
  const objects = [
    buildVerifierDeployment(context(), h100),
    buildVerifierService(context()),
    buildDrafterDaemonSet(context(), pi5, selection),
    buildKConfigMap(context(), 'pi5', 4),
  ];

  it('is controlled by the SpecDecodeDeployment, so deleting it deletes them', () => {
    for (const object of objects) {
      expect(object.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'configspec.io/v1alpha1',
          kind: 'SpecDecodeDeployment',
          name: 'chat',
          uid: '1111-2222',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(object.metadata.namespace).toBe('team-a');
    }
  });

  it('carries the standard labels', () => {
    for (const object of objects) {
      expect(object.metadata.labels).toMatchObject({
        [LABELS.name]: 'configspec',
        [LABELS.instance]: 'chat',
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.deployment]: 'chat',
      });
      expect(object.metadata.labels[LABELS.component]).toMatch(/^(verifier|drafter)$/);
    }
    expect(objects[2]!.metadata.labels[LABELS.deviceClass]).toBe('pi5');
  });

  it('runs pods that pass Pod Security restricted, with probes and no service-account token', () => {
    for (const workload of [
      buildVerifierDeployment(context(), h100),
      buildDrafterDaemonSet(context(), pi5, selection),
    ]) {
      const pod = workload.spec.template.spec;
      expect(restrictedViolations(pod)).toEqual([]);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of pod.containers) {
        expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
        expect(container.startupProbe?.httpGet.path).toBe('/healthz');
      }
    }
  });

  it('is identical when built twice from the same input (no clock, no randomness)', () => {
    expect(buildVerifierDeployment(context(), h100)).toEqual(buildVerifierDeployment(context(), h100));
    expect(JSON.stringify(buildDrafterDaemonSet(context(), pi5, selection))).toBe(
      JSON.stringify(buildDrafterDaemonSet(context(), pi5, selection)),
    );
  });

  it('cannot be built from an object that was never stored (no uid)', () => {
    expect(() => buildKConfigMap(context(sdd({ uid: undefined })), 'pi5', 2)).toThrow('no uid');
  });
});

describe('the PSS checker itself', () => {
  it('flags a pod that breaks restricted', () => {
    const bad = buildDrafterDaemonSet(context(), pi5, selection).spec.template.spec;
    const broken = {
      ...bad,
      hostNetwork: true,
      volumes: [...bad.volumes, { name: 'host', hostPath: { path: '/dev' } }],
      containers: [
        {
          ...bad.containers[0]!,
          securityContext: { allowPrivilegeEscalation: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
          resources: { requests: { cpu: '1', memory: '' }, limits: { cpu: '', memory: '1Gi' } },
        },
      ],
      securityContext: {},
    };
    const problems = restrictedViolations(broken);
    for (const fragment of [
      'host namespaces',
      'hostPath',
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'runAsUser 0',
      'seccomp',
      'drop ALL',
      'SYS_ADMIN',
      'root filesystem',
      'no memory requests',
      'no cpu limits',
    ]) {
      expect(problems.join('\n')).toContain(fragment);
    }
  });
});
