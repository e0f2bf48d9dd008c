// What the reconcilers read: one informer cache per kind. Reads never go to the apiserver.
import type { AlignmentProfile, DeviceClass, DraftProfile, SpecDecodeDeployment } from '../api/types.js';
import type { NodeView } from '../planner/node-groups.js';
import type {
  ConfigMapObject,
  DaemonSetObject,
  DeploymentObject,
  JobObject,
  ServiceObject,
} from '../planner/shapes.js';
import type { CacheReader } from './ports.js';

/** Status fields of the owned workloads that the reconciler reads back. */
export interface WorkloadStatus {
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    desiredNumberScheduled?: number;
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  };
}

export interface ClusterCache {
  specDecodeDeployments: CacheReader<SpecDecodeDeployment>;
  deviceClasses: CacheReader<DeviceClass>;
  draftProfiles: CacheReader<DraftProfile>;
  alignmentProfiles: CacheReader<AlignmentProfile>;
  nodes: CacheReader<NodeView>;
  /** Only objects labelled app.kubernetes.io/managed-by=configspec-operator. */
  deployments: CacheReader<DeploymentObject & WorkloadStatus>;
  daemonSets: CacheReader<DaemonSetObject & WorkloadStatus>;
  jobs: CacheReader<JobObject & WorkloadStatus>;
  configMaps: CacheReader<ConfigMapObject>;
  services: CacheReader<ServiceObject>;
}

export function cachesSynced(cache: ClusterCache): boolean {
  return Object.values(cache).every((reader: CacheReader<unknown>) => reader.hasSynced());
}
