import {
  ConditionReason,
  ConditionType,
  conditionsEqual,
  findCondition,
  isConditionTrue,
  isValidConditionReason,
  isValidConditionType,
  removeCondition,
  setCondition,
} from '../../../src/api/conditions.js';
import { loadCrds } from '../../../src/api/crds.js';
import type { Condition } from '../../../src/api/types.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

describe('setCondition', () => {
  it('adds a condition with the time, generation, reason and message given', () => {
    const conditions = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'starting' },
      3,
      T0,
    );
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 3,
        lastTransitionTime: T0,
        reason: 'Reconciling',
        message: 'starting',
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, but refreshes reason, message and generation', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'a' }, 1, T0);
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'VerifierUnavailable', message: 'b' },
      2,
      T1,
    );
    expect(second[0]).toEqual({
      type: 'Ready',
      status: 'False',
      observedGeneration: 2,
      lastTransitionTime: T0,
      reason: 'VerifierUnavailable',
      message: 'b',
    });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Reconciling', message: '' }, 1, T0);
    const second = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'Ready', message: '' },
      1,
      new Date(T1),
    );
    expect(second[0]!.lastTransitionTime).toBe(T1);
  });

  it('keeps the position of an updated condition and appends new ones, without mutating its input', () => {
    let conditions: Condition[] = [];
    for (const type of [ConditionType.Ready, ConditionType.VerifierAvailable, ConditionType.Profiled]) {
      conditions = setCondition(conditions, { type, status: 'Unknown', reason: 'Reconciling', message: '' }, 1, T0);
    }
    const before = structuredClone(conditions);
    const after = setCondition(
      conditions,
      { type: 'VerifierAvailable', status: 'True', reason: 'MinimumReplicasAvailable', message: '1/1' },
      1,
      T1,
    );
    expect(after.map((c) => c.type)).toEqual(['Ready', 'VerifierAvailable', 'Profiled']);
    expect(conditions).toEqual(before);
  });

  it('omits observedGeneration when none is given, and writes seconds-precision RFC 3339 times', () => {
    const [condition] = setCondition(
      [],
      { type: 'Ready', status: 'True', reason: 'Ready', message: '' },
      undefined,
      new Date('2026-01-01T00:00:00.123Z'),
    );
    expect(condition).not.toHaveProperty('observedGeneration');
    expect(condition!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('rejects reasons and types the apiserver would reject', () => {
    expect(() =>
      setCondition([], { type: 'Ready', status: 'True', reason: 'not camel case', message: '' }, 1, T0),
    ).toThrow(/reason/);
    expect(() => setCondition([], { type: 'ready!', status: 'True', reason: 'Ready', message: '' }, 1, T0)).toThrow(
      /type/,
    );
  });

  it('truncates messages to the schema limit', () => {
    const [condition] = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'x'.repeat(40000) },
      1,
      T0,
    );
    expect(condition!.message).toHaveLength(32768);
  });
});

describe('condition queries', () => {
  const conditions = setCondition([], { type: 'Ready', status: 'True', reason: 'Ready', message: '' }, 1, T0);

  it('finds, tests and removes by type; absent counts as not true', () => {
    expect(findCondition(conditions, 'Ready')?.reason).toBe('Ready');
    expect(isConditionTrue(conditions, 'Ready')).toBe(true);
    expect(isConditionTrue(conditions, 'Profiled')).toBe(false);
    expect(removeCondition(conditions, 'Ready')).toEqual([]);
  });

  it('sees an unchanged set as equal whatever the order, and any field change as a change', () => {
    const two = setCondition(
      conditions,
      { type: 'Profiled', status: 'False', reason: 'Profiling', message: '1/4' },
      1,
      T0,
    );
    expect(conditionsEqual(two, [...two].reverse())).toBe(true);
    expect(
      conditionsEqual(
        two,
        setCondition(two, { type: 'Profiled', status: 'False', reason: 'Profiling', message: '2/4' }, 1, T1),
      ),
    ).toBe(false);
    expect(conditionsEqual(two, conditions)).toBe(false);
  });
});

describe('condition constants', () => {
  it('are valid metav1.Condition types and CamelCase reasons', () => {
    expect(Object.values(ConditionType).filter((type) => !isValidConditionType(type))).toEqual([]);
    expect(
      Object.values(ConditionReason).filter(
        (reason) => !/^[A-Z][A-Za-z]*$/.test(reason) || !isValidConditionReason(reason),
      ),
    ).toEqual([]);
  });

  it('match the condition types the SpecDecodeDeployment CRD documents', () => {
    const description =
      loadCrds().get('SpecDecodeDeployment')!.schema.properties!.status!.properties!.conditions!.description!;
    for (const type of Object.values(ConditionType)) expect(description).toContain(type);
  });
});
