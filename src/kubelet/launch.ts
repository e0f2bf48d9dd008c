// How a pod's containers become local processes. Pure: the pod and the kubelet's context in, a launch plan out.
//
// A container runs its command and args with its env, as a real kubelet would, with three translations that
// stand in for what a container runtime gives a pod:
//   - the filesystem: each volume is a directory under the pod's own directory, and any argument or env value
//     naming a path under a mount (or a file:// URI of one) is rewritten to that directory;
//   - the network: each pod gets its own loopback address as its pod IP, and a container that declares ports
//     gets `--host <pod IP>` (our agent's listen flag), so every pod can listen on its declared port as it
//     would in its own network namespace;
//   - cluster DNS: a `<service>.<namespace>.svc[.cluster.local][:port]` name in an argument or env value is
//     replaced by the address of a ready pod behind that Service (what kube-proxy would route to).
// Only commands the kubelet knows (our own `configspec`) can run; anything else is reported, not run.
import { join, posix } from 'node:path';
import type { ContainerSpec, Pod, VolumeSpec } from './pod-spec.js';

export interface LaunchContext {
  /** This pod's directory; volumes live under it. */
  podDir: string;
  /** The node's emulated root filesystem, where hostPath volumes live. */
  hostRoot: string;
  podIP: string;
  nodeName: string;
  /** Programs by command name (e.g. configspec → [node, bin/configspec.js]). */
  programs: Readonly<Record<string, readonly string[]>>;
  /** host:port of a ready pod behind the Service, or undefined when none is ready yet. */
  serviceAddress(service: string, namespace: string, port: number): string | undefined;
  /** Environment every process gets (PATH, HOME), below the pod's own. */
  baseEnv: Readonly<Record<string, string>>;
  /** A kubeconfig carrying the pod's service-account token, when the pod mounts one. */
  kubeconfigPath?: string;
}

export type VolumeSetup =
  | { name: string; kind: 'directory'; dir: string }
  | { name: string; kind: 'configMap'; dir: string; configMap: NonNullable<VolumeSpec['configMap']> };

export interface ContainerLaunch {
  name: string;
  executable: string;
  args: string[];
  env: Record<string, string>;
}

export interface LaunchPlan {
  volumes: VolumeSetup[];
  initContainers: ContainerLaunch[];
  containers: ContainerLaunch[];
  /** Services named in arguments or env that have no ready pod yet: start once they do. */
  waitingFor: string[];
  /** Why this pod cannot run here; empty when it can. */
  problems: string[];
}

const SERVICE_NAME =
  /\b([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?(?::(\d+))?\b/g;

export function planLaunch(pod: Pod, context: LaunchContext): LaunchPlan {
  const problems: string[] = [];
  const waitingFor = new Set<string>();
  const volumes: VolumeSetup[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    const dir = join(context.podDir, 'volumes', volume.name);
    if (volume.emptyDir) volumes.push({ name: volume.name, kind: 'directory', dir });
    else if (volume.configMap) volumes.push({ name: volume.name, kind: 'configMap', dir, configMap: volume.configMap });
    else if (isServiceAccountVolume(volume)) {
      // The admission-injected token volume: the process reads its token through KUBECONFIG instead (see
      // LaunchContext.kubeconfigPath), since client libraries look for it at a fixed absolute path.
      volumes.push({ name: volume.name, kind: 'directory', dir });
    } else if (volume.hostPath) {
      volumes.push({ name: volume.name, kind: 'directory', dir: join(context.hostRoot, volume.hostPath.path) });
    } else {
      const source = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
      problems.push(`volume ${volume.name}: ${source} volumes are not supported by the process kubelet`);
    }
  }
  const volumeDirs = new Map(volumes.map((v) => [v.name, v.dir]));
  const launch = (container: ContainerSpec): ContainerLaunch | undefined => {
    const [command, ...commandArgs] = container.command ?? [];
    const program = command === undefined ? undefined : context.programs[command];
    if (!program || program.length === 0) {
      problems.push(
        `container ${container.name}: command ${JSON.stringify(command ?? '(image default)')} is not one the process kubelet runs (${Object.keys(context.programs).join(', ')})`,
      );
      return undefined;
    }
    const mounts = (container.volumeMounts ?? [])
      .flatMap((mount) => {
        const dir = volumeDirs.get(mount.name);
        if (dir === undefined) {
          problems.push(`container ${container.name}: mount of unknown volume ${mount.name}`);
          return [];
        }
        return [{ mountPath: mount.mountPath, dir: mount.subPath ? join(dir, mount.subPath) : dir }];
      })
      // The longest mount path wins, as the innermost mount does in a container.
      .sort((a, b) => b.mountPath.length - a.mountPath.length);
    const translate = (value: string): string => resolveServices(mapPaths(value, mounts), context, waitingFor);
    const args = [...commandArgs, ...(container.args ?? [])].map(translate);
    if ((container.ports ?? []).length > 0) args.push('--host', context.podIP);
    const env: Record<string, string> = { ...context.baseEnv };
    for (const variable of container.env ?? []) {
      const value = variable.value ?? fieldValue(pod, context, variable.valueFrom?.fieldRef?.fieldPath);
      if (value === undefined) {
        problems.push(`container ${container.name}: env ${variable.name} has a source the process kubelet lacks`);
        continue;
      }
      env[variable.name] = translate(value);
    }
    if (context.kubeconfigPath) env.KUBECONFIG = context.kubeconfigPath;
    const [executable, ...programArgs] = program;
    return { name: container.name, executable: executable!, args: [...programArgs, ...args], env };
  };
  const initContainers = (pod.spec.initContainers ?? []).map(launch);
  const containers = pod.spec.containers.map(launch);
  return {
    volumes,
    initContainers: initContainers.filter((c): c is ContainerLaunch => c !== undefined),
    containers: containers.filter((c): c is ContainerLaunch => c !== undefined),
    waitingFor: [...waitingFor],
    problems,
  };
}

function isServiceAccountVolume(volume: VolumeSpec): boolean {
  const projected = volume.projected as { sources?: { serviceAccountToken?: unknown }[] } | undefined;
  return projected?.sources?.some((source) => source.serviceAccountToken !== undefined) ?? false;
}

/** A path under a mount (also inside a file:// URI or after `--flag=`) rewritten to the mount's directory. */
export function mapPaths(value: string, mounts: readonly { mountPath: string; dir: string }[]): string {
  for (const { mountPath, dir } of mounts) {
    const base = posix.normalize(mountPath).replace(/\/$/, '');
    const pattern = new RegExp(`(^|=|file://)${escapeRegExp(base)}(?=/|$)`);
    if (pattern.test(value)) return value.replace(pattern, (_match, lead: string) => `${lead}${dir}`);
  }
  return value;
}

function resolveServices(value: string, context: LaunchContext, waitingFor: Set<string>): string {
  return value.replace(SERVICE_NAME, (whole, service: string, serviceNamespace: string, port?: string) => {
    const address = context.serviceAddress(service, serviceNamespace, port ? Number(port) : 80);
    if (address === undefined) {
      waitingFor.add(`a ready pod behind service ${serviceNamespace}/${service}`);
      return whole;
    }
    return address;
  });
}

function fieldValue(pod: Pod, context: LaunchContext, fieldPath: string | undefined): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return context.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
      return context.podIP;
    default:
      return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
