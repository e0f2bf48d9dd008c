import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The decision core (cost model, planner) and the plan report must stay pure: no client, clock, file or network access.
const impureModules = [
  { name: '@kubernetes/client-node', message: 'Only src/k8s may import the Kubernetes client.' },
  { name: 'express', message: 'The decision core is pure.' },
  { name: 'prom-client', message: 'The decision core is pure.' },
  { name: 'node-llama-cpp', message: 'The decision core is pure.' },
];
const nodeIo = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'http',
  'node:http',
  'https',
  'node:https',
  'net',
  'node:net',
  'child_process',
  'node:child_process',
].map((name) => ({ name, message: 'The decision core is pure: no I/O.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'charts/**', '.cache/**', '.run/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/k8s/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [impureModules[0]] }] },
  },
  {
    files: ['src/costmodel/**/*.ts', 'src/planner/**/*.ts', 'src/report/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...impureModules, ...nodeIo] }],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Pass time in; the decision core has no clock.' },
        { name: 'fetch', message: 'No network in the decision core.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Deterministic: pass a seed.' },
      ],
    },
  },
);
