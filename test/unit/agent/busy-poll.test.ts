import { BusyPoller } from '../../../src/agent/busy-poll.js';

const until = async (predicate: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('busy poller', () => {
  it('polls for its window, letting timers and I/O run, then stops by itself and reports how long', async () => {
    const spells: number[] = [];
    const poller = new BusyPoller(300, (ms) => spells.push(ms));
    const started = performance.now();
    poller.start();
    expect(poller.polling).toBe(true);
    // The event loop keeps turning while it polls: a timer still fires.
    const firedAfter = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), 1));
    expect(firedAfter - started).toBeLessThan(300);
    await until(() => !poller.polling);
    expect(poller.polling).toBe(false);
    expect(spells).toHaveLength(1);
    expect(spells[0]).toBeGreaterThanOrEqual(300);
  });

  it('stops when told, and a start while polling extends the spell instead of adding one', async () => {
    const spells: number[] = [];
    const poller = new BusyPoller(10_000, (ms) => spells.push(ms));
    poller.start();
    poller.start();
    await new Promise((r) => setImmediate(r));
    poller.stop();
    poller.stop();
    expect(poller.polling).toBe(false);
    expect(spells).toHaveLength(1);
    expect(spells[0]).toBeLessThan(10_000);
  });

  it('sleeps while held (the process computes) and spins again when released, counting only the spinning', async () => {
    const spells: number[] = [];
    const poller = new BusyPoller(10_000, (ms) => spells.push(ms));
    poller.hold(true);
    poller.start();
    expect(poller.polling).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    poller.hold(false);
    expect(poller.polling).toBe(true);
    await new Promise((r) => setImmediate(r));
    poller.hold(true);
    expect(poller.polling).toBe(false);
    poller.stop();
    expect(spells).toHaveLength(1);
    expect(spells[0]).toBeLessThan(200);
    // Released with no spell on: nothing spins.
    poller.hold(false);
    expect(poller.polling).toBe(false);
  });

  it('never polls with a zero window', () => {
    const spells: number[] = [];
    const poller = new BusyPoller(0, (ms) => spells.push(ms));
    poller.start();
    expect(poller.polling).toBe(false);
    poller.stop();
    expect(spells).toEqual([]);
  });

  it('refuses a window that is negative or not a number', () => {
    expect(() => new BusyPoller(-1)).toThrow('busy-poll window');
    expect(() => new BusyPoller(Number.NaN)).toThrow('busy-poll window');
  });
});
