import type { KubeObject } from '../../../src/controller/ports.js';
import { AggregatingEventRecorder, microTime } from '../../../src/k8s/events.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { RecordingRest } from './recording-rest.js';

const sdd: KubeObject = {
  apiVersion: 'configspec.io/v1alpha1',
  kind: 'SpecDecodeDeployment',
  metadata: { name: 'chat', namespace: 'team', uid: 'u1' },
};

function setup() {
  const clock = new ManualClock();
  const rest = new RecordingRest();
  const recorder = new AggregatingEventRecorder(rest, {
    reportingInstance: 'operator-0',
    clock,
    seriesFlushMs: 60_000,
    aggregationWindowMs: 600_000,
  });
  return { clock, rest, recorder };
}

describe('AggregatingEventRecorder', () => {
  it('creates an events.k8s.io/v1 Event about the object', async () => {
    const { rest, recorder } = setup();
    recorder.record(sdd, 'Normal', 'ConfigurationSelected', 'Select', 'Selected qwen Q4_K_M K=4 for pi5');
    await recorder.flush();
    expect(rest.requests).toHaveLength(1);
    expect(rest.requests[0]).toMatchObject({ method: 'POST', path: '/apis/events.k8s.io/v1/namespaces/team/events' });
    expect(rest.requests[0]?.body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      type: 'Normal',
      reason: 'ConfigurationSelected',
      action: 'Select',
      reportingController: 'configspec.io/operator',
      reportingInstance: 'operator-0',
      regarding: { kind: 'SpecDecodeDeployment', name: 'chat', namespace: 'team', uid: 'u1' },
    });
  });

  it('folds repeats into one series update per flush interval', async () => {
    const { clock, rest, recorder } = setup();
    for (let i = 0; i < 5; i += 1) recorder.record(sdd, 'Warning', 'ProfilingFailed', 'Profile', 'Job failed');
    await recorder.flush();
    expect(rest.requests).toHaveLength(1);
    await clock.advance(60_000);
    await recorder.flush();
    expect(rest.requests).toHaveLength(2);
    expect(rest.requests[1]).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json' });
    expect(rest.requests[1]?.body).toMatchObject({ series: { count: 5 } });
    // Nothing new: no further writes.
    await clock.advance(600_000);
    expect(rest.requests).toHaveLength(2);
  });

  it('writes a waiting series count at once on close, and leaves no timer behind', async () => {
    const { clock, rest, recorder } = setup();
    for (let i = 0; i < 3; i += 1) recorder.record(sdd, 'Warning', 'ProfilingFailed', 'Profile', 'Job failed');
    await recorder.close();
    expect(rest.requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
    expect(rest.requests[1]?.body).toMatchObject({ series: { count: 3 } });
    await clock.advance(600_000);
    expect(rest.requests).toHaveLength(2);
  });

  it('starts a new Event for a different note or after the window', async () => {
    const { clock, rest, recorder } = setup();
    recorder.record(sdd, 'Normal', 'Switched', 'Select', 'A');
    recorder.record(sdd, 'Normal', 'Switched', 'Select', 'B');
    await clock.advance(600_001);
    recorder.record(sdd, 'Normal', 'Switched', 'Select', 'A');
    await recorder.flush();
    expect(rest.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('never fails the caller when the apiserver refuses the event', async () => {
    const { rest, recorder } = setup();
    rest.respond = () => {
      throw new Error('forbidden');
    };
    expect(() => recorder.record(sdd, 'Normal', 'X', 'Y', 'z')).not.toThrow();
    await recorder.flush();
  });

  it('formats MicroTime with microseconds', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
