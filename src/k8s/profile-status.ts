// Writes measured DraftProfile / AlignmentProfile status for the profiler: creates the (cluster-scoped) object
// when it is missing, then server-side applies its status subresource under the field manager
// configspec-profiler, so the profiler owns exactly the status fields it measured.
import { API_VERSION, type AlignmentProfileSpec, type AlignmentProfileStatus } from '../api/types.js';
import type { DraftProfileSpec, DraftProfileStatus } from '../api/types.js';
import { isApiError } from '../controller/ports.js';
import { ServerSideApplier } from './apply.js';
import { connect, type ConnectionOptions } from './client.js';
import { resourcePath, resourceTypeOf } from './resources.js';
import type { RestClient } from './rest.js';

export const PROFILER_FIELD_MANAGER = 'configspec-profiler';

export type ProfileWrite =
  | { kind: 'DraftProfile'; name: string; spec?: DraftProfileSpec; status: DraftProfileStatus }
  | { kind: 'AlignmentProfile'; name: string; spec?: AlignmentProfileSpec; status: AlignmentProfileStatus };

export async function writeProfileStatus(write: ProfileWrite, rest: RestClient): Promise<void> {
  const type = resourceTypeOf({ apiVersion: API_VERSION, kind: write.kind });
  const path = resourcePath(type, undefined, write.name);
  try {
    await rest.request({ method: 'GET', path, verb: 'get', resource: type.plural });
  } catch (err) {
    if (!isApiError(err, 'NotFound')) throw err;
    if (!write.spec) {
      throw new Error(
        `${write.kind} ${write.name} does not exist; give its spec (flags) so the profiler can create it`,
      );
    }
    try {
      await rest.request({
        method: 'POST',
        path: resourcePath(type),
        body: { apiVersion: API_VERSION, kind: write.kind, metadata: { name: write.name }, spec: write.spec },
        verb: 'create',
        resource: type.plural,
      });
    } catch (createErr) {
      if (!isApiError(createErr, 'AlreadyExists')) throw createErr;
    }
  }
  await new ServerSideApplier(rest, PROFILER_FIELD_MANAGER).applyStatus({
    apiVersion: API_VERSION,
    kind: write.kind,
    metadata: { name: write.name },
    status: write.status,
  });
}

export async function writeProfileStatuses(writes: ProfileWrite[], connection: ConnectionOptions = {}): Promise<void> {
  const rest = connect(connection);
  for (const write of writes) await writeProfileStatus(write, rest);
}
