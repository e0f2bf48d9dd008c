import { ApiError } from '../../../src/controller/ports.js';
import { PROFILER_FIELD_MANAGER, writeProfileStatus } from '../../../src/k8s/profile-status.js';
import { RecordingRest } from '../k8s/recording-rest.js';

const status = { acceptanceRate: 0.7, perPosition: [0.7, 0.69], samples: 120, measuredAt: '2026-11-28T00:00:00Z' };

describe('profile status writer', () => {
  it('creates a missing profile, then applies its status as configspec-profiler', async () => {
    const rest = new RecordingRest();
    rest.respond = (req) => {
      if (req.method === 'GET') throw new ApiError('NotFound', 404, 'not found');
      return req.body ?? {};
    };
    await writeProfileStatus(
      {
        kind: 'AlignmentProfile',
        name: 'tiny-q8-vs-target',
        spec: { draft: 'tiny', quantization: 'Q8_0', target: 'target', promptSet: 'builtin' },
        status,
      },
      rest,
    );
    expect(rest.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/configspec.io/v1alpha1/alignmentprofiles/tiny-q8-vs-target',
      'POST /apis/configspec.io/v1alpha1/alignmentprofiles',
      'PATCH /apis/configspec.io/v1alpha1/alignmentprofiles/tiny-q8-vs-target/status',
    ]);
    const apply = rest.requests[2];
    expect(apply?.query).toMatchObject({ fieldManager: PROFILER_FIELD_MANAGER, force: true });
    expect(apply?.contentType).toBe('application/apply-patch+yaml');
    expect(apply?.body).toEqual({
      apiVersion: 'configspec.io/v1alpha1',
      kind: 'AlignmentProfile',
      metadata: { name: 'tiny-q8-vs-target' },
      status,
    });
  });

  it('only applies status when the profile exists', async () => {
    const rest = new RecordingRest();
    await writeProfileStatus({ kind: 'DraftProfile', name: 'pi5-tiny-q8', status: { samples: 32 } }, rest);
    expect(rest.requests.map((r) => r.method)).toEqual(['GET', 'PATCH']);
  });

  it('explains that a missing profile needs its spec', async () => {
    const rest = new RecordingRest();
    rest.respond = () => {
      throw new ApiError('NotFound', 404, 'not found');
    };
    await expect(writeProfileStatus({ kind: 'DraftProfile', name: 'x', status: {} }, rest)).rejects.toThrow(
      'give its spec',
    );
  });
});
