import { busyPollWindow, positiveInteger } from '../../../src/cli/commands/verify.js';

describe('serving command flags', () => {
  it('takes a busy-poll window from 0 (off) to 100 ms, fractions included', () => {
    expect(busyPollWindow('0')).toBe(0);
    expect(busyPollWindow('2.5')).toBe(2.5);
    expect(busyPollWindow('100')).toBe(100);
  });

  it('refuses a busy-poll window that is negative, too long or not a number, naming the flag', () => {
    for (const bad of ['-1', '101', 'soon', '']) {
      expect(() => busyPollWindow(bad)).toThrow(/--busy-poll-ms must be a number of ms from 0 \(off\) to 100/);
    }
  });

  it('takes positive integers only where a count is asked for', () => {
    expect(positiveInteger('--port')('8081')).toBe(8081);
    expect(() => positiveInteger('--port')('0')).toThrow('--port must be a positive integer, got "0"');
    expect(() => positiveInteger('--port')('1.5')).toThrow('--port must be a positive integer');
  });
});
