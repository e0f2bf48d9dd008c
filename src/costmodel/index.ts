// The ConfigSpec cost model: pure functions from inputs (measured or prior) to estimates, selections and fronts.
export * from './types.js';
export * from './acceptance.js';
export * from './estimate.js';
export * from './grid.js';
export * from './feasibility.js';
export * from './ranking.js';
export * from './select.js';
export * from './pareto.js';
export * from './hysteresis.js';
export * from './priors.js';
export * from './correction.js';
export * from './mismatch.js';
export * from './verifier-load.js';
export * from './measured-k.js';
