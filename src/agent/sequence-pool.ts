// A fixed set of llama sequences (one context, so concurrent evaluations batch together) lent to sessions.
// A session keeps its sequence — and with it its KV cache — until another session needs a free one and it is
// the least recently used; then the cache is lost and rebuilt from the session's tokens on its next request.
// Waiting is bounded: past `maxWaiting` queued requests, acquire fails fast with Overloaded.
import type { LlamaContextSequence } from 'node-llama-cpp';
import { ProtocolError } from './protocol.js';

export interface Slot {
  readonly sequence: LlamaContextSequence;
  sessionId: string | undefined;
  busy: boolean;
  lastUsed: number;
}

interface Waiter {
  sessionId: string;
  resolve: (slot: Slot) => void;
}

export class SequencePool {
  private readonly slots: Slot[];
  private readonly waiters: Waiter[] = [];
  private useCounter = 0;
  evictions = 0;

  constructor(
    sequences: LlamaContextSequence[],
    private readonly maxWaiting: number,
  ) {
    this.slots = sequences.map((sequence) => ({ sequence, sessionId: undefined, busy: false, lastUsed: 0 }));
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get busy(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  acquire(sessionId: string): Promise<Slot> {
    const slot = this.pick(sessionId);
    if (slot) return Promise.resolve(this.take(slot, sessionId));
    if (this.waiters.length >= this.maxWaiting) {
      return Promise.reject(
        new ProtocolError('Overloaded', `verifier overloaded: ${this.waiters.length} requests already waiting`),
      );
    }
    return new Promise((resolve) => this.waiters.push({ sessionId, resolve }));
  }

  release(slot: Slot): void {
    slot.busy = false;
    // Serve waiters in arrival order, skipping those whose session is still busy elsewhere.
    for (let i = 0; i < this.waiters.length;) {
      const waiter = this.waiters[i] as Waiter;
      const free = this.pick(waiter.sessionId);
      if (!free) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      waiter.resolve(this.take(free, waiter.sessionId));
    }
  }

  /** The session's own idle slot; none while it is busy (requests of one session run one at a time); else LRU. */
  private pick(sessionId: string): Slot | undefined {
    const own = this.slots.find((slot) => slot.sessionId === sessionId);
    if (own) return own.busy ? undefined : own;
    const idle = this.slots.filter((slot) => !slot.busy);
    return idle.find((slot) => slot.sessionId === undefined) ?? idle.sort((a, b) => a.lastUsed - b.lastUsed)[0];
  }

  private take(slot: Slot, sessionId: string): Slot {
    if (slot.sessionId !== undefined && slot.sessionId !== sessionId) this.evictions++;
    slot.sessionId = sessionId;
    slot.busy = true;
    slot.lastUsed = ++this.useCounter;
    return slot;
  }
}
