import type { ClusterCache } from '../../../src/controller/cache.js';
import { DeviceClassStatusReconciler, MIN_WRITE_INTERVAL_MS } from '../../../src/controller/device-class-reconciler.js';
import {
  controllingDeploymentKey,
  deploymentsSelectingNode,
  deviceClassesSelectingNode,
  objectKey,
} from '../../../src/controller/enqueue.js';
import { Manager, type InformerSet, type ManagedInformer } from '../../../src/controller/manager.js';
import type { KubeObject } from '../../../src/controller/ports.js';
import { silentLogger } from '../../../src/observability/log.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import { ManualClock, settle } from '../../../src/util/manual-clock.js';
import { edgeClass, pi5 } from '../planner/workloads-fixtures.js';
import { FakeCluster } from './fake-cluster.js';

/** An informer over the fake cluster's cache whose events the test fires by hand. */
class HandInformer implements ManagedInformer<KubeObject> {
  handlers: {
    onAdd?(o: KubeObject): void;
    onUpdate?(o: KubeObject, p: KubeObject): void;
    onDelete?(o: KubeObject): void;
  }[] = [];
  started = false;
  synced = true;
  on(h: HandInformer['handlers'][number]) {
    this.handlers.push(h);
  }
  start() {
    this.started = true;
  }
  async stop() {}
  hasSynced() {
    return this.synced;
  }
  add(o: KubeObject) {
    this.handlers.forEach((h) => h.onAdd?.(o));
  }
  update(o: KubeObject, previous: KubeObject) {
    this.handlers.forEach((h) => h.onUpdate?.(o, previous));
  }
}

function setup() {
  const cluster = new FakeCluster();
  const base = cluster.cache();
  const informers = Object.fromEntries(Object.keys(base).map((k) => [k, new HandInformer()])) as unknown as Record<
    keyof ClusterCache,
    HandInformer
  >;
  const cache = Object.fromEntries(
    Object.entries(base).map(([k, reader]) => [
      k,
      { ...reader, hasSynced: () => (informers as Record<string, HandInformer>)[k]!.synced },
    ]),
  ) as unknown as ClusterCache;
  const reconciled: string[] = [];
  const classes: string[] = [];
  const clock = new ManualClock();
  const metrics = new OperatorMetrics({ processMetrics: false });
  const manager = new Manager({
    informers: informers as unknown as InformerSet,
    cache,
    deployments: { reconcile: async (key) => (reconciled.push(key), {}) },
    deviceClasses: { reconcile: async (key) => (classes.push(key), {}) },
    concurrency: 2,
    clock,
    log: silentLogger,
    metrics,
    resyncIntervalMs: 60_000,
  });
  return { cluster, informers, manager, reconciled, classes, clock, metrics };
}

const sddObject = (name: string): KubeObject => ({
  apiVersion: 'configspec.io/v1alpha1',
  kind: 'SpecDecodeDeployment',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
});

describe('Manager', () => {
  it('waits for every cache, then reconciles each deployment and device class once', async () => {
    const t = setup();
    t.cluster.seed(sddObject('a'));
    t.cluster.seed(pi5);
    t.informers.nodes.synced = false;
    t.manager.startInformers();
    expect(t.informers.jobs.started).toBe(true);
    const stop = new AbortController();
    void t.manager.startWorkers(stop.signal);
    await t.clock.advance(500);
    expect(t.reconciled).toEqual([]);
    t.informers.nodes.synced = true;
    await t.clock.advance(100);
    expect(t.reconciled).toEqual(['ns/a']);
    expect(t.classes).toEqual(['pi5']);
    await t.manager.stopWorkers(true);
  });

  it('maps owned objects to their controlling deployment and shared inputs to every deployment', async () => {
    const t = setup();
    t.cluster.seed(sddObject('a'));
    t.cluster.seed(sddObject('b'));
    const stop = new AbortController();
    void t.manager.startWorkers(stop.signal);
    await t.clock.advance(100);
    t.reconciled.length = 0;
    t.informers.daemonSets.add({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name: 'a-draft-pi5',
        namespace: 'ns',
        ownerReferences: [
          {
            apiVersion: 'configspec.io/v1alpha1',
            kind: 'SpecDecodeDeployment',
            name: 'a',
            uid: 'uid-a',
            controller: true,
          },
        ],
      },
    });
    await settle();
    expect(t.reconciled).toEqual(['ns/a']);
    t.informers.draftProfiles.add({
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'DraftProfile',
      metadata: { name: 'p' },
    });
    await settle();
    expect(t.reconciled.slice(1).sort()).toEqual(['ns/a', 'ns/b']);
    await t.manager.stopWorkers(true);
  });

  it('a DeviceClass status write queues the class but no deployment; a spec change queues every deployment', async () => {
    const t = setup();
    t.cluster.seed(sddObject('a'));
    void t.manager.startWorkers(new AbortController().signal);
    await t.clock.advance(100);
    t.reconciled.length = 0;
    t.classes.length = 0;
    const dc = (generation: number, nodes: number): KubeObject => ({
      ...(pi5 as unknown as KubeObject),
      metadata: { ...pi5.metadata, generation },
      status: { nodes, readyNodes: nodes },
    });
    t.informers.deviceClasses.update(dc(1, 3), dc(1, 2));
    await settle();
    expect(t.classes).toEqual(['pi5']);
    expect(t.reconciled).toEqual([]);
    t.informers.deviceClasses.update(dc(2, 3), dc(1, 3));
    await settle();
    expect(t.reconciled).toEqual(['ns/a']);
    await t.manager.stopWorkers(true);
  });

  it('ignores Node heartbeats but reacts to label and readiness changes', async () => {
    const t = setup();
    t.cluster.seed(sddObject('a'));
    void t.manager.startWorkers(new AbortController().signal);
    await t.clock.advance(100);
    t.reconciled.length = 0;
    const node = (labels: Record<string, string>, ready: string, heartbeat: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n', labels, resourceVersion: heartbeat },
      status: { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: heartbeat }] },
    });
    t.informers.nodes.update(node({ a: '1' }, 'True', '2'), node({ a: '1' }, 'True', '1'));
    await settle();
    expect(t.reconciled).toEqual([]);
    t.informers.nodes.update(node({ a: '1' }, 'False', '3'), node({ a: '1' }, 'True', '2'));
    await settle();
    expect(t.reconciled).toEqual(['ns/a']);
    t.informers.nodes.update(node({ a: '2' }, 'False', '4'), node({ a: '1' }, 'False', '3'));
    await settle();
    expect(t.reconciled).toEqual(['ns/a', 'ns/a']);
    await t.manager.stopWorkers(true);
  });

  it('a Node change queues only the deployments and device classes that select the node, before or after', async () => {
    const t = setup();
    const selecting = (name: string, tenant: string): KubeObject => ({
      ...sddObject(name),
      spec: { edge: { nodeSelector: { tenant } } },
    });
    t.cluster.seed(selecting('a', 't0'));
    t.cluster.seed(selecting('b', 't1'));
    t.cluster.seed(selecting('c', 't2'));
    t.cluster.seed(pi5);
    t.cluster.seed(edgeClass('jetson', { 'configspec.io/device-class': 'jetson' }));
    t.cluster.seed(edgeClass('unselective', {}));
    void t.manager.startWorkers(new AbortController().signal);
    await t.clock.advance(100);
    t.reconciled.length = 0;
    t.classes.length = 0;
    const node = (tenant: string, ready: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n', labels: { tenant, 'configspec.io/device-class': 'pi5' } },
      status: { conditions: [{ type: 'Ready', status: ready }] },
    });
    t.informers.nodes.update(node('t0', 'False'), node('t0', 'True'));
    await settle();
    expect(t.reconciled).toEqual(['ns/a']);
    expect(t.classes).toEqual(['pi5']);
    // Moved from tenant t0 to t1: both deployments look again.
    t.informers.nodes.update(node('t1', 'False'), node('t0', 'False'));
    await settle();
    expect([...t.reconciled].sort()).toEqual(['ns/a', 'ns/a', 'ns/b']);
    t.reconciled.length = 0;
    t.informers.nodes.add(node('t9', 'True'));
    await settle();
    expect(t.reconciled).toEqual([]);
    await t.manager.stopWorkers(true);
  });

  it('queues everything again on each resync and counts reconciles by result', async () => {
    const t = setup();
    t.cluster.seed(sddObject('a'));
    void t.manager.startWorkers(new AbortController().signal);
    await t.clock.advance(100);
    await t.clock.advance(120_000);
    expect(t.reconciled).toEqual(['ns/a', 'ns/a', 'ns/a']);
    const text = await t.metrics.registry.metrics();
    expect(text).toContain('configspec_reconcile_total{controller="specdecodedeployment",result="success"} 3');
    await t.manager.stopWorkers(true);
  });
});

describe('enqueue keys', () => {
  it('names objects namespace/name and finds the controlling deployment', () => {
    expect(objectKey(sddObject('a'))).toBe('ns/a');
    expect(controllingDeploymentKey({ metadata: { name: 'x', namespace: 'ns' } })).toBeUndefined();
    expect(
      controllingDeploymentKey({
        metadata: {
          name: 'x',
          namespace: 'ns',
          ownerReferences: [
            {
              apiVersion: 'configspec.io/v1alpha1',
              kind: 'SpecDecodeDeployment',
              name: 'a',
              uid: 'u',
              controller: false,
            },
          ],
        },
      }),
    ).toBeUndefined();
  });
});

describe('DeviceClassStatusReconciler', () => {
  it('writes node counts once and not again while they hold', async () => {
    const cluster = new FakeCluster();
    cluster.seed(pi5);
    const ready = (name: string, status: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'configspec.io/device-class': 'pi5' } },
      status: { conditions: [{ type: 'Ready', status }] },
    });
    cluster.seed(ready('a', 'True'));
    cluster.seed(ready('b', 'False'));
    const reconciler = new DeviceClassStatusReconciler({ cache: cluster.cache(), writer: cluster });
    await reconciler.reconcile('pi5');
    expect(cluster.get<{ status: object }>('DeviceClass', 'pi5')!.status).toEqual({ nodes: 2, readyNodes: 1 });
    const mark = cluster.writes.length;
    await reconciler.reconcile('pi5');
    await reconciler.reconcile('missing');
    expect(cluster.writesSince(mark)).toEqual([]);
  });

  it('writes changed counts at most once per interval, then the latest counts', async () => {
    const cluster = new FakeCluster();
    const clock = new ManualClock();
    cluster.seed(pi5);
    const node = (name: string, status: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'configspec.io/device-class': 'pi5' } },
      status: { conditions: [{ type: 'Ready', status }] },
    });
    cluster.seed(node('a', 'True'));
    const reconciler = new DeviceClassStatusReconciler({ cache: cluster.cache(), writer: cluster, clock });
    expect(await reconciler.reconcile('pi5')).toEqual({});
    const mark = cluster.writes.length;
    cluster.seed(node('b', 'True'));
    await clock.advance(1000);
    expect(await reconciler.reconcile('pi5')).toEqual({ requeueAfterMs: MIN_WRITE_INTERVAL_MS - 1000 });
    cluster.seed(node('c', 'False'));
    expect(cluster.writesSince(mark)).toEqual([]);
    await clock.advance(MIN_WRITE_INTERVAL_MS - 1000);
    expect(await reconciler.reconcile('pi5')).toEqual({});
    expect(cluster.get<{ status: object }>('DeviceClass', 'pi5')!.status).toEqual({ nodes: 3, readyNodes: 2 });
    expect(cluster.writesSince(mark)).toHaveLength(1);
  });
});

describe('node event mapping', () => {
  const sdd = (name: string, nodeSelector?: Record<string, string>) => ({
    metadata: { name, namespace: 'ns' },
    spec: nodeSelector ? { edge: { nodeSelector } } : undefined,
  });
  const node = (labels: Record<string, string>) => ({ metadata: { name: 'n', labels } });

  it('takes a deployment when any version of the node matches its edge selector', () => {
    const sdds = [sdd('a', { tenant: 't0' }), sdd('b', { tenant: 't1' }), sdd('all', {})];
    expect(deploymentsSelectingNode(sdds as never, [node({ tenant: 't1' })])).toEqual(['ns/b', 'ns/all']);
    expect(deploymentsSelectingNode(sdds as never, [node({ tenant: 't1' }), node({ tenant: 't0' })])).toEqual([
      'ns/a',
      'ns/b',
      'ns/all',
    ]);
    // No readable selector: look again rather than miss a change.
    expect(deploymentsSelectingNode([sdd('x')] as never, [node({})])).toEqual(['ns/x']);
  });

  it('takes a device class when its non-empty selector matches a version of the node', () => {
    const classes = [
      { metadata: { name: 'pi5' }, spec: { nodeSelector: { c: 'pi5' } } },
      { metadata: { name: 'empty' }, spec: { nodeSelector: {} } },
    ];
    expect(deviceClassesSelectingNode(classes as never, [node({ c: 'pi5' })])).toEqual(['pi5']);
    expect(deviceClassesSelectingNode(classes as never, [node({ c: 'jetson' })])).toEqual([]);
  });
});
