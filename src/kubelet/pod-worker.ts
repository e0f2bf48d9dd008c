// One pod run as local processes: volumes set up, init containers run in order, then the containers, each
// restarted per the pod's restartPolicy, their readiness probed over HTTP, and the pod's status reported. The
// kubelet calls step() on every change and once a second; a step never blocks on a process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, renameSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerLaunch, LaunchPlan, VolumeSetup } from './launch.js';
import type { ContainerSpec, Pod } from './pod-spec.js';

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string; pid: number }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt: string; finishedAt: string };

interface ContainerRun {
  spec: ContainerSpec;
  launch?: ContainerLaunch;
  state: ContainerState;
  lastTerminated?: ContainerState & { kind: 'terminated' };
  restarts: number;
  ready: boolean;
  child?: ChildProcess;
  restartAt?: number;
  nextProbeAt: number;
  probing: boolean;
}

export interface PodWorkerEnv {
  /** Plans the launch (volumes, translated args); called until no service is awaited. */
  plan(): LaunchPlan;
  configMapData(namespace: string, name: string): Record<string, string> | undefined;
  podDir: string;
  podIP: string;
  hostIP: string;
  now(): number;
  /** Something changed that the status should show. */
  changed(): void;
  log(message: string, fields?: Record<string, unknown>): void;
}

const BACKOFF_INITIAL_MS = 2_000;
const BACKOFF_MAX_MS = 60_000;

export class PodWorker {
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private readonly init: ContainerRun[];
  private readonly main: ContainerRun[];
  private initIndex = 0;
  private planned: LaunchPlan | undefined;
  private waitingReason: { reason: string; message: string } | undefined;
  private readonly startTime: string;
  private terminating = false;
  private readonly writtenConfigMaps = new Map<string, string>();

  constructor(
    private pod: Pod,
    private readonly env: PodWorkerEnv,
  ) {
    const run = (spec: ContainerSpec): ContainerRun => ({
      spec,
      state: { kind: 'waiting', reason: 'ContainerCreating' },
      restarts: 0,
      ready: false,
      nextProbeAt: 0,
      probing: false,
    });
    this.init = (pod.spec.initContainers ?? []).map(run);
    this.main = pod.spec.containers.map(run);
    this.startTime = new Date(env.now()).toISOString();
  }

  get uid(): string {
    return this.pod.metadata.uid ?? '';
  }

  update(pod: Pod): void {
    this.pod = pod;
  }

  /** Whether a process of this pod still runs. */
  get alive(): boolean {
    return [...this.init, ...this.main].some((c) => c.child !== undefined);
  }

  get finished(): boolean {
    return this.phase === 'Succeeded' || this.phase === 'Failed';
  }

  step(): void {
    if (this.terminating || this.finished) return;
    if (!this.planned) {
      const plan = this.env.plan();
      if (plan.problems.length > 0) {
        this.setWaiting('Unsupported', plan.problems.join('; '));
        return;
      }
      if (plan.waitingFor.length > 0) {
        this.setWaiting('ContainerCreating', `waiting for ${plan.waitingFor.join(', ')}`);
        return;
      }
      const missing = this.setUpVolumes(plan.volumes);
      if (missing) {
        this.setWaiting('CreateContainerConfigError', missing);
        return;
      }
      this.planned = plan;
      this.waitingReason = undefined;
      this.init.forEach((run, index) => (run.launch = plan.initContainers[index]));
      this.main.forEach((run, index) => (run.launch = plan.containers[index]));
      this.env.changed();
    }
    this.refreshConfigMaps(this.planned.volumes);
    if (this.initIndex < this.init.length) {
      this.stepInit();
      return;
    }
    for (const run of this.main) this.stepContainer(run);
    this.updatePhase();
  }

  /** SIGTERM to every process group, SIGKILL after the grace period; resolves when all have exited. */
  async terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    const runs = [...this.init, ...this.main].filter((run) => run.child);
    const exits = runs.map((run) => new Promise<void>((resolve) => run.child!.once('exit', () => resolve())));
    for (const run of runs) signalGroup(run.child!, 'SIGTERM');
    const killer = setTimeout(
      () => runs.forEach((run) => run.child && signalGroup(run.child, 'SIGKILL')),
      Math.max(1, graceSeconds) * 1000,
    );
    await Promise.all(exits);
    clearTimeout(killer);
  }

  status(): Record<string, unknown> {
    const now = new Date(this.env.now()).toISOString();
    const initialized = this.initIndex >= this.init.length;
    const containersReady = initialized && this.main.every((run) => run.ready);
    const condition = (type: string, ok: boolean, reason?: string) => ({
      type,
      status: ok ? 'True' : 'False',
      ...(ok || !reason ? {} : { reason }),
    });
    const previous = this.pod.status?.conditions ?? [];
    const conditions = [
      condition('PodReadyToStartContainers', this.planned !== undefined),
      condition('Initialized', initialized, 'ContainersNotInitialized'),
      condition('ContainersReady', containersReady, 'ContainersNotReady'),
      condition('Ready', containersReady, 'ContainersNotReady'),
      condition('PodScheduled', true),
    ].map((c) => {
      // Keep a transition time while the status stands, so an unchanged pod writes nothing.
      const before = previous.find((p) => p.type === c.type);
      return { ...c, lastTransitionTime: before?.status === c.status ? before.lastTransitionTime : now };
    });
    return {
      phase: this.phase,
      conditions,
      hostIP: this.env.hostIP,
      hostIPs: [{ ip: this.env.hostIP }],
      podIP: this.env.podIP,
      podIPs: [{ ip: this.env.podIP }],
      startTime: this.startTime,
      ...(this.init.length > 0 ? { initContainerStatuses: this.init.map((run) => containerStatus(run)) } : {}),
      containerStatuses: this.main.map((run) => containerStatus(run, this.waitingReason)),
    };
  }

  private setWaiting(reason: string, message: string): void {
    if (this.waitingReason?.reason === reason && this.waitingReason.message === message) return;
    this.waitingReason = { reason, message };
    this.env.log('pod waits', { reason, message });
    this.env.changed();
  }

  private stepInit(): void {
    const run = this.init[this.initIndex]!;
    if (run.state.kind === 'running') return;
    if (run.state.kind === 'terminated') {
      if (run.state.exitCode === 0) {
        this.initIndex += 1;
        this.env.changed();
        this.step();
        return;
      }
      if ((this.pod.spec.restartPolicy ?? 'Always') === 'Never') {
        this.phase = 'Failed';
        this.env.changed();
        return;
      }
    }
    if (run.restartAt === undefined || this.env.now() >= run.restartAt) this.startProcess(run);
  }

  private stepContainer(run: ContainerRun): void {
    if (run.state.kind === 'running') {
      this.probe(run);
      return;
    }
    if (run.state.kind === 'terminated') {
      const policy = this.pod.spec.restartPolicy ?? 'Always';
      const restart = policy === 'Always' || (policy === 'OnFailure' && run.state.exitCode !== 0);
      if (!restart) return;
      if (run.restartAt !== undefined && this.env.now() < run.restartAt) return;
    }
    this.startProcess(run);
  }

  private startProcess(run: ContainerRun): void {
    const launch = run.launch!;
    const logDir = join(this.env.podDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const logFile = openSync(join(logDir, `${launch.name}.log`), 'a');
    const child = spawn(launch.executable, launch.args, {
      env: launch.env,
      cwd: this.env.podDir,
      stdio: ['ignore', logFile, logFile],
      // Its own process group, so stopping the pod stops whatever the container started.
      detached: true,
    });
    closeSync(logFile);
    const startedAt = new Date(this.env.now()).toISOString();
    if (run.state.kind === 'terminated') {
      run.lastTerminated = run.state;
      run.restarts += 1;
    }
    run.child = child;
    run.state = { kind: 'running', startedAt, pid: child.pid ?? 0 };
    run.ready = false;
    run.nextProbeAt = this.env.now();
    this.env.log('container started', { container: launch.name, pid: child.pid });
    child.once('error', (error) =>
      this.env.log('container failed to start', { container: launch.name, error: error.message }),
    );
    child.once('exit', (code, signal) => {
      run.child = undefined;
      const exitCode = code ?? 128 + signalNumber(signal);
      run.state = {
        kind: 'terminated',
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: new Date(this.env.now()).toISOString(),
      };
      run.ready = false;
      const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** run.restarts);
      run.restartAt = this.env.now() + backoff;
      this.env.log('container exited', { container: launch.name, exitCode, signal });
      this.env.changed();
    });
    this.env.changed();
  }

  private probe(run: ContainerRun): void {
    const probe = run.spec.readinessProbe?.httpGet;
    if (!probe) {
      if (!run.ready) {
        run.ready = true;
        this.env.changed();
      }
      return;
    }
    if (run.probing || this.env.now() < run.nextProbeAt) return;
    const port =
      typeof probe.port === 'number' ? probe.port : run.spec.ports?.find((p) => p.name === probe.port)?.containerPort;
    const periodMs = (run.spec.readinessProbe?.periodSeconds ?? 10) * 1000;
    const timeoutMs = (run.spec.readinessProbe?.timeoutSeconds ?? 1) * 1000;
    run.nextProbeAt = this.env.now() + (run.ready ? periodMs : Math.min(periodMs, 1000));
    if (port === undefined) return;
    run.probing = true;
    fetch(`http://${this.env.podIP}:${port}${probe.path ?? '/'}`, { signal: AbortSignal.timeout(timeoutMs) })
      .then((response) => response.status >= 200 && response.status < 400)
      .catch(() => false)
      .then((ready) => {
        run.probing = false;
        if (run.state.kind !== 'running' || ready === run.ready) return;
        run.ready = ready;
        this.env.changed();
      });
  }

  private updatePhase(): void {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    const before = this.phase;
    const terminated = this.main.map((run) => (run.state.kind === 'terminated' ? run.state : undefined));
    if (policy !== 'Always' && terminated.every((t) => t !== undefined)) {
      const allSucceeded = terminated.every((t) => t!.exitCode === 0);
      if (allSucceeded) this.phase = 'Succeeded';
      else if (policy === 'Never') this.phase = 'Failed';
    } else if (this.main.some((run) => run.state.kind === 'running')) {
      this.phase = 'Running';
    }
    if (this.phase !== before) this.env.changed();
  }

  /** Creates the volume directories and writes ConfigMap contents; returns why not, when a ConfigMap is missing. */
  private setUpVolumes(volumes: readonly VolumeSetup[]): string | undefined {
    for (const volume of volumes) {
      mkdirSync(volume.dir, { recursive: true });
      if (volume.kind !== 'configMap') continue;
      const data = this.env.configMapData(this.pod.metadata.namespace ?? 'default', volume.configMap.name);
      if (!data && !volume.configMap.optional) return `configmap "${volume.configMap.name}" not found`;
    }
    this.refreshConfigMaps(volumes);
    return undefined;
  }

  /**
   * Writes each ConfigMap volume's files, replacing a changed file by rename so a reader never sees half of it
   * (the kubelet's atomic writer does the same with a symlink swap).
   */
  private refreshConfigMaps(volumes: readonly VolumeSetup[]): void {
    for (const volume of volumes) {
      if (volume.kind !== 'configMap') continue;
      const data = this.env.configMapData(this.pod.metadata.namespace ?? 'default', volume.configMap.name) ?? {};
      const items = volume.configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const value = data[item.key];
        if (value === undefined) continue;
        const file = join(volume.dir, item.path);
        if (this.writtenConfigMaps.get(file) === value) continue;
        if (existsSync(file) && readFileSync(file, 'utf8') === value) {
          this.writtenConfigMaps.set(file, value);
          continue;
        }
        writeFileSync(`${file}.tmp`, value);
        renameSync(`${file}.tmp`, file);
        this.writtenConfigMaps.set(file, value);
      }
    }
  }
}

function containerStatus(run: ContainerRun, waiting?: { reason: string; message: string }) {
  const state = (s: ContainerState) => {
    switch (s.kind) {
      case 'waiting':
        return { waiting: { reason: waiting?.reason ?? s.reason, ...(waiting ? { message: waiting.message } : {}) } };
      case 'running':
        return { running: { startedAt: s.startedAt } };
      case 'terminated':
        return {
          terminated: {
            exitCode: s.exitCode,
            reason: s.reason,
            startedAt: s.startedAt,
            finishedAt: s.finishedAt,
          },
        };
    }
  };
  return {
    name: run.spec.name,
    image: run.spec.image,
    imageID: '',
    ...(run.state.kind === 'running' ? { containerID: `process://${run.state.pid}` } : {}),
    ready: run.ready,
    started: run.state.kind === 'running',
    restartCount: run.restarts,
    state: state(run.state),
    ...(run.lastTerminated ? { lastState: state(run.lastTerminated) } : {}),
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === 'SIGKILL') return 9;
  if (signal === 'SIGTERM') return 15;
  if (signal === 'SIGINT') return 2;
  return 0;
}
