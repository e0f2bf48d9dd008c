import type { LlamaContextSequence } from 'node-llama-cpp';
import { parseK } from '../../../src/agent/drafter/k-source.js';
import { ProtocolError } from '../../../src/agent/protocol.js';
import { SequencePool } from '../../../src/agent/sequence-pool.js';
import { SessionStore } from '../../../src/agent/verifier/session-store.js';

// The pool only hands sequences around; opaque stand-ins are enough to test its bookkeeping.
const sequences = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }) as unknown as LlamaContextSequence);

describe('sequence pool', () => {
  it('keeps a session on its sequence and evicts the least recently used one for a new session', async () => {
    const pool = new SequencePool(sequences(2), 4);
    const a = await pool.acquire('a');
    pool.release(a);
    const b = await pool.acquire('b');
    pool.release(b);
    expect(await pool.acquire('a')).toBe(a);
    pool.release(a);
    const c = await pool.acquire('c');
    expect(c).toBe(b);
    expect(pool.evictions).toBe(1);
  });

  it('queues when all sequences are busy and fails fast with Overloaded past the bound', async () => {
    const pool = new SequencePool(sequences(1), 1);
    const held = await pool.acquire('a');
    const waiting = pool.acquire('b');
    await expect(pool.acquire('c')).rejects.toThrow(ProtocolError);
    await expect(pool.acquire('c')).rejects.toMatchObject({ code: 'Overloaded' });
    pool.release(held);
    expect(await waiting).toBe(held);
  });

  it('runs the requests of one session one at a time', async () => {
    const pool = new SequencePool(sequences(2), 4);
    const first = await pool.acquire('a');
    let secondGranted = false;
    const second = pool.acquire('a').then((slot) => ((secondGranted = true), slot));
    await Promise.resolve();
    expect(secondGranted).toBe(false);
    pool.release(first);
    expect(await second).toBe(first);
  });
});

describe('session store', () => {
  it('drops the least recently used sessions past its session and token bounds', () => {
    const store = new SessionStore(2, 10);
    store.set('a', [1, 2]);
    store.set('b', [1, 2]);
    store.get('a');
    store.set('c', [1]);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toEqual([1, 2]);
    store.set('d', new Array(9).fill(1));
    expect(store.size).toBe(1);
    expect(store.evictions).toBe(3);
  });
});

describe('K file content', () => {
  it('accepts integers 0..32 and rejects anything else', () => {
    expect(parseK(' 4\n')).toBe(4);
    expect(parseK('0')).toBe(0);
    expect(() => parseK('33')).toThrow('limit');
    expect(() => parseK('four')).toThrow('non-negative integer');
    expect(() => parseK('-1')).toThrow();
    expect(() => parseK('')).toThrow();
  });
});
