// Jest runs our TypeScript as native ESM (the Kubernetes client is ESM-only): ts-jest's ESM preset plus
// `node --experimental-vm-modules` (see package.json scripts). Imports use `.js` suffixes as NodeNext
// requires; the mapper points them back at the `.ts` sources.
const esm = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', isolatedModules: true }],
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...esm, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Real llama.cpp on generated models: slower than unit tests, no cluster needed.
    { ...esm, displayName: 'dataplane', testMatch: ['<rootDir>/test/dataplane/**/*.test.ts'] },
    {
      ...esm,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    // Destructive: kills apiservers, cuts leaders off, takes nodes away. Its own cluster in .run/faults.
    {
      ...esm,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/faults/global-setup.ts',
      globalTeardown: '<rootDir>/test/faults/global-teardown.ts',
    },
    // `make demo` run end to end by hack/demo.sh on its own cluster in .run/e2e (minutes: real profiling).
    { ...esm, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
