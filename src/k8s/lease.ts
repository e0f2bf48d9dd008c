// The coordination.k8s.io/v1 Lease behind leader election. Updates are PUTs carrying the resourceVersion last
// read, so two candidates racing for the same Lease cannot both win: the loser gets ApiError Conflict.
import { isApiError, type LeaseRecord, type LeaseStore } from '../controller/ports.js';
import { microTime } from './events.js';
import { RESOURCES, resourcePath } from './resources.js';
import type { RestClient } from './rest.js';

interface LeaseJson {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class KubeLeaseStore implements LeaseStore {
  constructor(
    private readonly rest: RestClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async get(): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.rest.request<LeaseJson>({
        method: 'GET',
        path: resourcePath(RESOURCES.lease, this.namespace, this.name),
        verb: 'get',
        resource: 'leases',
      });
      return fromJson(lease);
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<LeaseRecord> {
    const lease = await this.rest.request<LeaseJson>({
      method: 'POST',
      path: resourcePath(RESOURCES.lease, this.namespace),
      body: this.toJson(record),
      verb: 'create',
      resource: 'leases',
    });
    return fromJson(lease);
  }

  async update(record: LeaseRecord): Promise<LeaseRecord> {
    const lease = await this.rest.request<LeaseJson>({
      method: 'PUT',
      path: resourcePath(RESOURCES.lease, this.namespace, this.name),
      body: this.toJson(record),
      verb: 'update',
      resource: 'leases',
    });
    return fromJson(lease);
  }

  private toJson(record: LeaseRecord) {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion: record.resourceVersion },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: record.acquireTime === undefined ? undefined : microTime(record.acquireTime),
        renewTime: record.renewTime === undefined ? undefined : microTime(record.renewTime),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }
}

function fromJson(lease: LeaseJson): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity || undefined,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ? Date.parse(spec.acquireTime) : undefined,
    renewTime: spec.renewTime ? Date.parse(spec.renewTime) : undefined,
    leaseTransitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata.resourceVersion,
  };
}
