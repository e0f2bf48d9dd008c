// How the process kubelet turns a pod into local processes: paths under mounts mapped to the pod's directories,
// Service names resolved to a ready backing pod (node-local for internalTrafficPolicy Local), --host for
// containers with ports, downward-API env, and refusal of what it cannot run.
import { mapPaths, planLaunch, type LaunchContext } from '../../../src/kubelet/launch.js';
import type { Pod } from '../../../src/kubelet/pod-spec.js';
import { serviceAddress } from '../../../src/kubelet/services.js';

const context = (overrides: Partial<LaunchContext> = {}): LaunchContext => ({
  podDir: '/run/pods/p1',
  hostRoot: '/run/nodes/n1/root',
  podIP: '127.77.0.9',
  nodeName: 'local-pi-0',
  programs: { configspec: ['/usr/bin/node', '/repo/bin/configspec.js'] },
  serviceAddress: (service, namespace, port) =>
    service === 'chat-verifier' && namespace === 'apps' && port === 8080 ? '127.77.0.3:8080' : undefined,
  baseEnv: { PATH: '/usr/bin' },
  ...overrides,
});

function drafterPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'drafter', namespace: 'apps', uid: 'u1' },
    spec: {
      nodeName: 'local-pi-0',
      initContainers: [
        {
          name: 'fetch-model',
          image: 'configspec',
          command: ['configspec'],
          args: ['fetch', '--uri', 'file:///models/d.gguf', '--output', '/var/cache/configspec/models/model.gguf'],
          env: [{ name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
          volumeMounts: [{ name: 'models', mountPath: '/var/cache/configspec/models' }],
        },
      ],
      containers: [
        {
          name: 'drafter',
          image: 'configspec',
          command: ['configspec'],
          args: [
            'draft',
            '--model-source',
            'file:///var/cache/configspec/models/model.gguf',
            '--verifier',
            'http://chat-verifier.apps.svc:8080',
            '--k-file',
            '/etc/configspec/k/k',
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          volumeMounts: [
            { name: 'models', mountPath: '/var/cache/configspec/models' },
            { name: 'k', mountPath: '/etc/configspec/k' },
          ],
        },
      ],
      volumes: [
        { name: 'models', emptyDir: {} },
        { name: 'k', configMap: { name: 'chat-k', items: [{ key: 'k', path: 'k' }] } },
      ],
    },
  };
}

describe('planLaunch', () => {
  it('runs init containers and containers with mapped paths, resolved Services and the pod IP as host', () => {
    const plan = planLaunch(drafterPod(), context());
    expect(plan.problems).toEqual([]);
    expect(plan.waitingFor).toEqual([]);
    expect(plan.initContainers[0]).toEqual({
      name: 'fetch-model',
      executable: '/usr/bin/node',
      args: [
        '/repo/bin/configspec.js',
        'fetch',
        '--uri',
        'file:///models/d.gguf',
        '--output',
        '/run/pods/p1/volumes/models/model.gguf',
      ],
      env: { PATH: '/usr/bin', POD_UID: 'u1' },
    });
    expect(plan.containers[0]!.args).toEqual([
      '/repo/bin/configspec.js',
      'draft',
      '--model-source',
      'file:///run/pods/p1/volumes/models/model.gguf',
      '--verifier',
      'http://127.77.0.3:8080',
      '--k-file',
      '/run/pods/p1/volumes/k/k',
      '--host',
      '127.77.0.9',
    ]);
    expect(plan.volumes.map((v) => [v.name, v.kind, v.dir])).toEqual([
      ['models', 'directory', '/run/pods/p1/volumes/models'],
      ['k', 'configMap', '/run/pods/p1/volumes/k'],
    ]);
  });

  it('waits for a Service with no ready pod, and gives a token-mounting pod its kubeconfig', () => {
    const plan = planLaunch(
      drafterPod(),
      context({ serviceAddress: () => undefined, kubeconfigPath: '/run/pods/p1/serviceaccount/kubeconfig' }),
    );
    expect(plan.waitingFor).toEqual(['a ready pod behind service apps/chat-verifier']);
    expect(plan.containers[0]!.env.KUBECONFIG).toBe('/run/pods/p1/serviceaccount/kubeconfig');
  });

  it('refuses commands it does not know and volumes it cannot provide', () => {
    const pod = drafterPod();
    pod.spec.containers[0]!.command = ['/bin/sh'];
    pod.spec.volumes!.push({ name: 'data', persistentVolumeClaim: { claimName: 'c' } });
    const plan = planLaunch(pod, context());
    expect(plan.problems).toEqual([
      'volume data: persistentVolumeClaim volumes are not supported by the process kubelet',
      'container drafter: command "/bin/sh" is not one the process kubelet runs (configspec)',
    ]);
  });
});

describe('mapPaths', () => {
  const mounts = [{ mountPath: '/tmp', dir: '/run/p/tmp' }];
  it('maps a path under a mount, also after --flag= and in file:// URIs, and leaves look-alikes alone', () => {
    expect(mapPaths('/tmp/x', mounts)).toBe('/run/p/tmp/x');
    expect(mapPaths('--out=/tmp/x', mounts)).toBe('--out=/run/p/tmp/x');
    expect(mapPaths('file:///tmp/x', mounts)).toBe('file:///run/p/tmp/x');
    expect(mapPaths('/tmpfoo/x', mounts)).toBe('/tmpfoo/x');
    expect(mapPaths('/var/tmp/x', mounts)).toBe('/var/tmp/x');
  });
});

describe('serviceAddress', () => {
  const pod = (name: string, node: string, ip: string, ready: boolean): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'cache', labels: { app: 'cache' } },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8090 }] }] },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const service = (policy?: 'Local') => ({
    metadata: { name: 'cache', namespace: 'cache' },
    spec: {
      selector: { app: 'cache' },
      ports: [{ port: 8090, targetPort: 'http' }],
      ...(policy ? { internalTrafficPolicy: policy } : {}),
    },
  });
  const pods = [
    pod('a', 'n1', '127.77.0.2', false),
    pod('b', 'n1', '127.77.0.3', true),
    pod('c', 'n2', '127.77.0.4', true),
  ];

  it('routes to a ready pod and its named target port', () => {
    expect(serviceAddress(service(), pods, 8090, 'n2')).toBe('127.77.0.3:8090');
  });

  it('stays on the caller node for internalTrafficPolicy Local', () => {
    expect(serviceAddress(service('Local'), pods, 8090, 'n2')).toBe('127.77.0.4:8090');
    expect(serviceAddress(service('Local'), pods, 8090, 'n3')).toBeUndefined();
  });

  it('knows no address for an unknown port', () => {
    expect(serviceAddress(service(), pods, 80, 'n1')).toBeUndefined();
  });
});
