// The serving-pod informer: lists and watches pods with the label selector in the watched namespace, and keeps
// only the fields the scraper reads.
import { SERVING_POD_SELECTOR } from '../../../src/controller/serving-scraper.js';
import { makeServingPodInformer, slimPod } from '../../../src/k8s/pods.js';
import { RecordingRest } from './recording-rest.js';

const fullPod = {
  metadata: {
    name: 'chat-draft-pi5-x',
    namespace: 'team-a',
    uid: 'u1',
    resourceVersion: '7',
    labels: { 'app.kubernetes.io/component': 'drafter' },
    annotations: { big: 'x'.repeat(1000) },
    managedFields: [{ manager: 'kubelet' }],
    ownerReferences: [{ kind: 'DaemonSet', name: 'chat-draft-pi5' }],
  },
  spec: {
    nodeName: 'pi-0',
    volumes: [{ name: 'models', emptyDir: {} }],
    containers: [
      {
        name: 'drafter',
        image: 'img',
        args: ['draft', '--model', 'd1', '--quantization', 'Q8_0'],
        env: [{ name: 'X', value: 'y' }],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      },
    ],
  },
  status: {
    phase: 'Running',
    podIP: '10.1.2.3',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'now' }],
    containerStatuses: [{ name: 'drafter', ready: true }],
  },
};

describe('serving pod discovery', () => {
  it('keeps identity, labels, container args and ports, IP, phase and conditions only', () => {
    expect(slimPod(fullPod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'chat-draft-pi5-x',
        namespace: 'team-a',
        uid: 'u1',
        resourceVersion: '7',
        labels: { 'app.kubernetes.io/component': 'drafter' },
      },
      spec: {
        containers: [
          {
            name: 'drafter',
            args: ['draft', '--model', 'd1', '--quantization', 'Q8_0'],
            ports: [{ name: 'http', containerPort: 8080 }],
          },
        ],
      },
      status: { phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('lists pods of the watched namespace with the serving label selector, into slim objects', async () => {
    const rest = new RecordingRest();
    rest.respond = () => ({ metadata: { resourceVersion: '9' }, items: [fullPod] });
    const informer = makeServingPodInformer(
      rest,
      { namespace: 'team-a', labelSelector: SERVING_POD_SELECTOR },
      { relistIntervalMs: 0, staleAfterMs: 0 },
    );
    informer.start();
    for (let i = 0; i < 50 && !informer.hasSynced(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await informer.stop();
    expect(rest.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/team-a/pods',
      verb: 'list',
      query: { labelSelector: SERVING_POD_SELECTOR },
    });
    const [cached] = informer.list();
    expect(cached?.metadata).toEqual({
      name: 'chat-draft-pi5-x',
      namespace: 'team-a',
      uid: 'u1',
      resourceVersion: '7',
      labels: { 'app.kubernetes.io/component': 'drafter' },
    });
    expect(SERVING_POD_SELECTOR).toBe(
      'app.kubernetes.io/managed-by=configspec-operator,app.kubernetes.io/component in (drafter,verifier)',
    );
  });
});
