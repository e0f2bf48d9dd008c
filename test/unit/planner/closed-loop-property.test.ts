// Property: random noise around a stable truth (timing noise, binomial acceptance, profile error, any seed) never
// makes the closed loop switch more than once per cooldown. Runs the seeded simulator of bench/closed-loop-sim.ts
// (real planner, hysteresis, correction, shift detection, verifier fit) over two simulated hours, 10 runs.
import fc from 'fast-check';
import { DEFAULT_SIMULATION, simulate } from '../../../bench/closed-loop-sim.js';

describe('closed loop under noise', () => {
  it('never switches more than once per cooldown around a stable truth', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.integer({ min: 1, max: 16 }),
        (seed, timingNoise, profileError, sampledDrafters) => {
          const result = simulate({
            ...DEFAULT_SIMULATION,
            seed,
            scenario: 'stable',
            durationSeconds: 2 * 3600,
            timingNoise,
            profileError,
            sampledDrafters,
          });
          return result.maxSwitchesPerCooldown <= 1;
        },
      ),
      { numRuns: 10 },
    );
  });
});
