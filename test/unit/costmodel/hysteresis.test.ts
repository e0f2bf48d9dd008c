import fc from 'fast-check';
import { decideSwitch, improvementPercent } from '../../../src/costmodel/index.js';

const figures = (goodput: number, cost = 1, energy = 1) => ({
  goodputTokensPerSecond: goodput,
  usdPerMillionTokens: cost,
  joulesPerToken: energy,
});
const policy = { minImprovementPercent: 10, cooldownSeconds: 600 };

describe('hysteresis', () => {
  it('never switches inside the cooldown', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 599.9, noNaN: true }),
        (gain, since) => {
          const d = decideSwitch(
            'Goodput',
            figures(10 * (1 + gain / 100)),
            { figures: figures(10), sameAsBest: false, valid: true },
            since,
            policy,
          );
          return !d.switchToBest;
        },
      ),
    );
  });

  it('never switches at or under the threshold, however long ago the last change', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 9.99, noNaN: true }),
        fc.double({ min: 600, max: 1e7, noNaN: true }),
        (gain, since) => {
          const d = decideSwitch(
            'Goodput',
            figures(10 * (1 + gain / 100)),
            { figures: figures(10), sameAsBest: false, valid: true },
            since,
            policy,
          );
          return !d.switchToBest && d.reason === 'BelowThreshold';
        },
      ),
    );
  });

  it('switches when both the threshold and the cooldown are exceeded', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 10.01, max: 1000, noNaN: true }),
        fc.double({ min: 600, max: 1e7, noNaN: true }),
        (gain, since) => {
          const d = decideSwitch(
            'Goodput',
            figures(10 * (1 + gain / 100)),
            { figures: figures(10), sameAsBest: false, valid: true },
            since,
            policy,
          );
          return d.switchToBest && d.reason === 'Improved';
        },
      ),
    );
  });

  it('replaces an invalid current configuration at once, cooldown or not', () => {
    const d = decideSwitch(
      'Goodput',
      figures(10),
      { figures: figures(10), sameAsBest: false, valid: false },
      1,
      policy,
    );
    expect(d).toMatchObject({ switchToBest: true, reason: 'CurrentInvalid' });
  });

  it('takes the best when nothing is selected yet, and keeps the best when it runs', () => {
    expect(decideSwitch('Goodput', figures(10), undefined, 0, policy).reason).toBe('NoCurrent');
    expect(
      decideSwitch('Goodput', figures(10), { figures: figures(10), sameAsBest: true, valid: true }, 0, policy)
        .switchToBest,
    ).toBe(false);
  });

  it('measures cost and energy gains as efficiency ratios', () => {
    expect(improvementPercent('CostEfficiency', figures(1, 1), figures(1, 2))).toBeCloseTo(100, 9);
    expect(improvementPercent('EnergyEfficiency', figures(1, 1, 0.5), figures(1, 1, 0.6))).toBeCloseTo(20, 9);
    expect(improvementPercent('Goodput', figures(12), figures(10))).toBeCloseTo(20, 9);
  });
});
