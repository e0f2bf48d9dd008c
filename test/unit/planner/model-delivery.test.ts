// Model delivery in the desired state: the fetch step every model-running pod gets, which file a draft and
// quantisation is, the pre-fetch DaemonSet, and the rollout gate that waits for it before switching a class.
import type { SpecDecodeDeployment } from '../../../src/api/types.js';
import {
  decideRollout,
  DEFAULT_NODE_CACHE_URL,
  draftFileSource,
  MODEL_ANNOTATION,
  ModelSourceError,
  parseModelAnnotation,
  targetFileSource,
} from '../../../src/planner/model-delivery.js';
import { buildPrefetchDaemonSet } from '../../../src/planner/prefetch.js';
import { buildDrafterDaemonSet, buildVerifierDeployment } from '../../../src/planner/workloads.js';
import { context, h100, pi5, restrictedViolations, sdd } from './workloads-fixtures.js';

const withSources = (): SpecDecodeDeployment => {
  const s = sdd();
  s.spec.drafts[0]!.sources = [
    {
      quantization: 'Q8_0',
      uri: 'hf://acme/private-GGUF/draft-Q8_0.gguf',
      revision: 'abc123',
      sha256: 'cd'.repeat(32),
      sizeBytes: 531_000_000,
      secretRef: { name: 'hf-token' },
    },
  ];
  return s;
};

describe('the fetch step of a drafter', () => {
  const ds = buildDrafterDaemonSet(context(withSources()), pi5, {
    draft: 'qwen2.5-0.5b-instruct',
    quantization: 'Q8_0',
  });
  const pod = ds.spec.template.spec;
  const init = pod.initContainers![0]!;

  it("runs our own image's configspec fetch through the node cache agent into the pod's models emptyDir", () => {
    expect(init.name).toBe('fetch-model');
    expect(init.image).toBe('ghcr.io/configspec/configspec:0.1.0');
    expect(init.command).toEqual(['configspec']);
    expect(init.args).toEqual([
      'fetch',
      '--uri',
      'hf://acme/private-GGUF/draft-Q8_0.gguf',
      '--revision',
      'abc123',
      '--sha256',
      'cd'.repeat(32),
      '--size',
      '531000000',
      '--output',
      '/var/cache/configspec/models/model.gguf',
      '--via',
      DEFAULT_NODE_CACHE_URL,
      '--token-file',
      '/var/run/secrets/configspec/model-token/token',
    ]);
    expect(init.env).toEqual([{ name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }]);
    expect(init.volumeMounts).toContainEqual({ name: 'models', mountPath: '/var/cache/configspec/models' });
    expect(pod.containers[0]!.args).toEqual(
      expect.arrayContaining(['--model-source', 'file:///var/cache/configspec/models/model.gguf']),
    );
  });

  it('mounts the token Secret into the fetch step only, by reference', () => {
    expect(pod.volumes).toContainEqual({
      name: 'model-token',
      secret: { secretName: 'hf-token', items: [{ key: 'token', path: 'token' }], defaultMode: 0o440 },
    });
    expect(pod.containers[0]!.volumeMounts.map((m) => m.name)).not.toContain('model-token');
    expect(JSON.stringify(ds)).not.toMatch(/hf_[A-Za-z0-9]{10}/);
  });

  it('still passes Pod Security restricted (no hostPath: the node cache is reached over the network)', () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(JSON.stringify(pod)).not.toContain('hostPath');
  });

  it('records the model it runs for the rollout gate', () => {
    expect(ds.metadata.annotations).toEqual({ [MODEL_ANNOTATION]: 'qwen2.5-0.5b-instruct/Q8_0' });
    expect(parseModelAnnotation('qwen2.5-0.5b-instruct/Q8_0')).toEqual({
      draft: 'qwen2.5-0.5b-instruct',
      quantization: 'Q8_0',
    });
    expect(parseModelAnnotation(undefined)).toBeUndefined();
  });

  it('the verifier fetches the target too, and stays restricted', () => {
    const verifier = buildVerifierDeployment(context(), h100).spec.template.spec;
    expect(verifier.initContainers![0]!.args.slice(0, 5)).toEqual([
      'fetch',
      '--uri',
      'hf://bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf',
      '--output',
      '/var/cache/configspec/models/model.gguf',
    ]);
    expect(restrictedViolations(verifier)).toEqual([]);
  });
});

describe('which file a draft and quantisation is', () => {
  it('spec.drafts[].sources first, then model.source, then the catalog', () => {
    const candidate = withSources().spec.drafts[0]!;
    expect(draftFileSource(candidate, 'Q8_0').uri).toBe('hf://acme/private-GGUF/draft-Q8_0.gguf');
    expect(draftFileSource(candidate, 'Q4_K_M')).toEqual({
      uri: 'hf://bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
    });
    expect(draftFileSource(sdd().spec.drafts[1]!, 'Q4_K_M').uri).toBe('pvc://models/d.gguf');
    expect(targetFileSource({ name: 'llama-3.3-70b-instruct' }).uri).toMatch(/Llama-3\.3-70B-Instruct-Q4_K_M\.gguf$/);
  });

  it('a quantisation nobody has a file for is an error that says what to add', () => {
    expect(() => draftFileSource({ model: { name: 'llama-3.3-70b-instruct' }, quantizations: ['F16'] }, 'F16')).toThrow(
      new ModelSourceError(
        'Draft llama-3.3-70b-instruct F16 has no file: add spec.drafts[].sources for F16 (the catalog has none for it)',
      ),
    );
  });
});

describe('the pre-fetch DaemonSet', () => {
  const ds = buildPrefetchDaemonSet(context(withSources()), pi5, {
    draft: 'qwen2.5-0.5b-instruct',
    quantization: 'Q8_0',
  });
  const pod = ds.spec.template.spec;

  it("fills each node's cache (no copy, no output) on the class's nodes, then idles; restricted", () => {
    expect(ds.metadata.name).toBe('chat-prefetch-pi5');
    expect(ds.metadata.labels['app.kubernetes.io/component']).toBe('prefetch');
    expect(ds.metadata.annotations).toEqual({ [MODEL_ANNOTATION]: 'qwen2.5-0.5b-instruct/Q8_0' });
    expect(pod.nodeSelector).toEqual(
      buildDrafterDaemonSet(context(), pi5, { draft: 'qwen2.5-0.5b-instruct', quantization: 'Q8_0' }).spec.template.spec
        .nodeSelector,
    );
    expect(pod.initContainers![0]!.args).not.toContain('--output');
    expect(pod.initContainers![0]!.args).toEqual(expect.arrayContaining(['--via', DEFAULT_NODE_CACHE_URL]));
    expect(pod.containers.map((c) => c.args)).toEqual([['model-cache', 'hold']]);
    expect(restrictedViolations(pod)).toEqual([]);
  });
});

describe('the rollout gate', () => {
  const old = { draft: 'a', quantization: 'Q4_K_M' as const };
  const next = { draft: 'a', quantization: 'Q8_0' as const };

  it('a new class starts on the selection at once', () => {
    expect(decideRollout(next, undefined, undefined)).toEqual({
      run: next,
      switched: true,
      status: { ...next, readyNodes: 0, state: 'Serving' },
    });
  });

  it('a change waits until the pre-fetch of the new file is ready on every node, then switches', () => {
    expect(decideRollout(next, old, undefined)).toMatchObject({
      run: old,
      switched: false,
      status: { state: 'Prefetching', readyNodes: 0 },
    });
    expect(decideRollout(next, old, { ...next, desired: 3, ready: 2, current: true })).toMatchObject({
      run: old,
      switched: false,
      status: { state: 'Prefetching', readyNodes: 2 },
    });
    // A pre-fetch DaemonSet still showing the last model's readiness does not open the gate.
    expect(decideRollout(next, old, { ...old, desired: 3, ready: 3, current: true }).switched).toBe(false);
    expect(decideRollout(next, old, { ...next, desired: 3, ready: 3, current: false }).switched).toBe(false);
    expect(decideRollout(next, old, { ...next, desired: 3, ready: 3, current: true })).toEqual({
      run: next,
      switched: true,
      status: { ...next, readyNodes: 3, state: 'Serving' },
    });
  });

  it('serving the selection reports how many nodes hold it', () => {
    expect(decideRollout(next, next, { ...next, desired: 3, ready: 1, current: true }).status).toEqual({
      ...next,
      readyNodes: 1,
      state: 'Serving',
    });
  });
});
