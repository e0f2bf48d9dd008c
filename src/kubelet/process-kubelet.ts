// The process kubelet: registers a few Nodes of its own (not annotated for kwok, so kwok leaves them and their
// pods alone), keeps them Ready through node Leases, and runs the pods the scheduler binds to them as local
// processes (see launch.ts for how a container maps onto a process). It is what lets `make demo` and the
// end-to-end test measure profiles with real llama.cpp and serve a request through a real drafter and verifier
// while kwok simulates the rest of the fleet.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../controller/ports.js';
import type { NodeManifest } from '../fleet/render.js';
import { KWOK_NODE_ANNOTATION } from '../fleet/render.js';
import type { KubeletCluster } from '../k8s/kubelet-cluster.js';
import type { Logger } from '../observability/log.js';
import { planLaunch } from './launch.js';
import type { Pod } from './pod-spec.js';
import { podKey } from './pod-spec.js';
import { PodWorker } from './pod-worker.js';
import { serviceAddress } from './services.js';

/** Marks the nodes a process kubelet runs (and which one: its host name). */
export const PROCESS_KUBELET_ANNOTATION = 'configspec.io/process-kubelet';
export const LOCAL_NODE_LABEL = 'configspec.io/local-node';

export interface ProcessKubeletOptions {
  cluster: KubeletCluster;
  /** Rendered Node manifests (from a fleet file); the kubelet renames them `<prefix><name>`. */
  nodes: readonly NodeManifest[];
  nodePrefix: string;
  /** Pod directories, logs and emulated host paths live here. */
  rootDir: string;
  programs: Readonly<Record<string, readonly string[]>>;
  baseEnv: Readonly<Record<string, string>>;
  /** Loopback addresses handed to pods are <podNetwork>.<n>.<m>, e.g. 127.77. */
  podNetwork?: string;
  log: Logger;
  leaseDurationSeconds?: number;
}

export interface RunningProcessKubelet {
  nodeNames: string[];
  stop(): Promise<void>;
}

const HOST_IP = '127.0.0.1';

export async function startProcessKubelet(options: ProcessKubeletOptions): Promise<RunningProcessKubelet> {
  const kubelet = new ProcessKubelet(options);
  await kubelet.start();
  return { nodeNames: kubelet.nodeNames, stop: () => kubelet.stop() };
}

class ProcessKubelet {
  readonly nodeNames: string[];
  private readonly workers = new Map<string, { worker: PodWorker; key: string; statusSent?: string }>();
  private readonly addresses = new Map<string, string>();
  private readonly terminating = new Set<string>();
  private nextAddress = 2;
  private timers: NodeJS.Timeout[] = [];
  private syncing = false;
  private syncAgain = false;
  private stopped = false;

  constructor(private readonly options: ProcessKubeletOptions) {
    this.nodeNames = options.nodes.map((node) => options.nodePrefix + node.metadata.name);
  }

  async start(): Promise<void> {
    const { cluster, log } = this.options;
    mkdirSync(this.options.rootDir, { recursive: true });
    await this.registerNodes();
    await cluster.start();
    cluster.onChange(() => this.requestSync());
    const leaseSeconds = this.options.leaseDurationSeconds ?? 40;
    this.timers.push(
      setInterval(() => void this.renewLeases(leaseSeconds), (leaseSeconds * 1000) / 4),
      // Node status heartbeat, as the kubelet's nodeStatusReportFrequency does (every 5 minutes there).
      setInterval(() => void this.registerNodes().catch((e) => log.warn('node status', { error: String(e) })), 60_000),
      setInterval(() => this.requestSync(), 1000),
    );
    await this.renewLeases(leaseSeconds);
    log.info('process kubelet ready', { nodes: this.nodeNames, root: this.options.rootDir });
    this.requestSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach((timer) => clearInterval(timer));
    await Promise.all([...this.workers.values()].map(({ worker }) => worker.terminate(5)));
    await this.options.cluster.stop();
  }

  private async registerNodes(): Promise<void> {
    const now = new Date().toISOString();
    for (const node of this.options.nodes) {
      const name = this.options.nodePrefix + node.metadata.name;
      const annotations: Record<string, string> = {
        ...node.metadata.annotations,
        [PROCESS_KUBELET_ANNOTATION]: hostname(),
      };
      delete annotations[KWOK_NODE_ANNOTATION];
      // The fleet renderer marks its nodes type=kwok; these are not.
      const { type: _kwokType, ...labels } = node.metadata.labels;
      const ready = {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'process kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
      await this.options.cluster.applyNode({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: { ...labels, [LOCAL_NODE_LABEL]: 'true', 'kubernetes.io/hostname': name },
          annotations,
        },
        spec: node.spec,
        status: {
          ...node.status,
          capacity: { pods: '110', ...node.status.capacity },
          allocatable: { pods: '110', ...node.status.allocatable },
          nodeInfo: {
            ...node.status.nodeInfo,
            kubeletVersion: 'configspec-process-kubelet',
            containerRuntimeVersion: 'process://',
          },
          addresses: [
            { type: 'InternalIP', address: HOST_IP },
            { type: 'Hostname', address: name },
          ],
          conditions: [ready],
        },
      } as unknown as KubeObject & { status: unknown });
    }
  }

  private async renewLeases(seconds: number): Promise<void> {
    for (const name of this.nodeNames) {
      await this.options.cluster
        .renewNodeLease(name, seconds)
        .catch((error) => this.options.log.warn('lease renewal failed', { node: name, error: String(error) }));
    }
  }

  private requestSync(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.sync()
      .catch((error) => this.options.log.warn('sync failed', { error: String(error) }))
      .finally(() => {
        this.syncing = false;
        if (this.syncAgain) {
          this.syncAgain = false;
          this.requestSync();
        }
      });
  }

  private async sync(): Promise<void> {
    const { cluster } = this.options;
    const ours = new Set(this.nodeNames);
    const pods = (cluster.pods.list() as unknown as Pod[]).filter((pod) => ours.has(pod.spec.nodeName ?? ''));
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      if (pod.metadata.deletionTimestamp) {
        this.terminate(pod);
        continue;
      }
      let entry = this.workers.get(uid);
      if (!entry) {
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        entry = { worker: this.newWorker(pod), key: podKey(pod) };
        this.workers.set(uid, entry);
        this.options.log.info('pod bound here', { pod: entry.key, node: pod.spec.nodeName });
      }
      entry.worker.update(pod);
      entry.worker.step();
      await this.reportStatus(pod, entry);
    }
    // Pods deleted without a grace period (or whose node changed): stop their processes.
    for (const [uid, entry] of this.workers) {
      if (seen.has(uid) || this.terminating.has(uid)) continue;
      this.terminating.add(uid);
      void entry.worker.terminate(0).finally(() => this.forget(uid));
    }
  }

  private newWorker(pod: Pod): PodWorker {
    const uid = pod.metadata.uid ?? '';
    const podIP = this.address(uid);
    const podDir = join(this.options.rootDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${uid}`);
    const nodeName = pod.spec.nodeName ?? '';
    let kubeconfigPath: string | undefined;
    let tokenRequested = false;
    const { cluster, log } = this.options;
    const worker: PodWorker = new PodWorker(pod, {
      podDir,
      podIP,
      hostIP: HOST_IP,
      now: () => Date.now(),
      changed: () => this.requestSync(),
      log: (message, fields) => log.info(message, { pod: podKey(pod), ...fields }),
      configMapData: (namespace, name) =>
        (cluster.configMaps.get(name, namespace) as { data?: Record<string, string> } | undefined)?.data,
      plan: () => {
        const current = (cluster.pods.get(pod.metadata.name, pod.metadata.namespace) as unknown as Pod) ?? pod;
        const mountsToken = current.spec.automountServiceAccountToken !== false;
        if (mountsToken && !kubeconfigPath) {
          if (!tokenRequested) {
            tokenRequested = true;
            void this.writeKubeconfig(current, podDir)
              .then((path) => (kubeconfigPath = path))
              .catch((error) => log.warn('service-account token', { pod: podKey(pod), error: String(error) }))
              .finally(() => {
                tokenRequested = false;
                this.requestSync();
              });
          }
          return {
            volumes: [],
            initContainers: [],
            containers: [],
            problems: [],
            waitingFor: ['service-account token'],
          };
        }
        return planLaunch(current, {
          podDir,
          hostRoot: join(this.options.rootDir, 'nodes', nodeName, 'root'),
          podIP,
          nodeName,
          programs: this.options.programs,
          baseEnv: this.options.baseEnv,
          kubeconfigPath,
          serviceAddress: (service, namespace, port) =>
            serviceAddress(
              cluster.services.get(service, namespace) as never,
              cluster.pods.list(namespace) as unknown as Pod[],
              port,
              nodeName,
            ),
        });
      },
    });
    return worker;
  }

  private async writeKubeconfig(pod: Pod, podDir: string): Promise<string> {
    const text = await this.options.cluster.serviceAccountKubeconfig({
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? '',
      serviceAccount: pod.spec.serviceAccountName ?? 'default',
    });
    const dir = join(podDir, 'serviceaccount');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  private async reportStatus(pod: Pod, entry: { worker: PodWorker; statusSent?: string }): Promise<void> {
    const status = entry.worker.status();
    const text = JSON.stringify(status);
    if (text === entry.statusSent) return;
    try {
      await this.options.cluster.patchPodStatus(pod.metadata.namespace ?? 'default', pod.metadata.name, status);
      entry.statusSent = text;
    } catch (error) {
      this.options.log.warn('pod status write failed', { pod: podKey(pod), error: String(error) });
    }
  }

  /** Graceful deletion: stop the processes within the grace period, then remove the pod for good. */
  private terminate(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.terminating.has(uid)) return;
    this.terminating.add(uid);
    const entry = this.workers.get(uid);
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    void (async () => {
      if (entry) {
        this.options.log.info('stopping pod', { pod: entry.key, graceSeconds: grace });
        await entry.worker.terminate(grace);
      }
      await this.options.cluster.deletePod(pod.metadata.namespace ?? 'default', pod.metadata.name, uid);
    })()
      .catch((error) => this.options.log.warn('pod deletion failed', { pod: podKey(pod), error: String(error) }))
      .finally(() => this.forget(uid));
  }

  private forget(uid: string): void {
    const entry = this.workers.get(uid);
    this.workers.delete(uid);
    this.terminating.delete(uid);
    this.addresses.delete(uid);
    if (entry) {
      const [namespace, name] = entry.key.split('/');
      rmSync(join(this.options.rootDir, 'pods', `${namespace}_${name}_${uid}`, 'serviceaccount'), {
        recursive: true,
        force: true,
      });
    }
  }

  /** A loopback address of its own for each pod (Linux routes all of 127.0.0.0/8 to the loopback device). */
  private address(uid: string): string {
    const known = this.addresses.get(uid);
    if (known) return known;
    const n = this.nextAddress++;
    const address = `${this.options.podNetwork ?? '127.77'}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    this.addresses.set(uid, address);
    return address;
  }
}
