import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

/** The Gemini stand-in is test and demo infrastructure: the product never reaches it but over HTTP. */
const noStandin = {
  group: ['**/standin', '**/standin/*'],
  message: 'Product code must not import the Gemini stand-in; it is test and demo infrastructure.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'dist/**', 'coverage/**', 'jest.config.js', 'tests/**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A floating promise in a workflow or activity is a lost error or a non-deterministic race.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noStandin] }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node I/O, no activity implementations.
    files: ['src/workflows/**/*.ts'],
    rules: {
      // A reader holds a workflow in their head: state and rules live in named units, not in one long function.
      'max-lines-per-function': ['error', { max: 80 }],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((name) => [
            { name, message: 'Workflow code must not use Node built-ins; do I/O in an activity.' },
            { name: `node:${name}`, message: 'Workflow code must not use Node built-ins; do I/O in an activity.' },
          ]),
          patterns: [
            noStandin,
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Import activities into workflows with `import type` only.',
            },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflows may only import @temporalio/workflow and @temporalio/common.',
            },
          ],
        },
      ],
    },
  },
  // Layout is the formatter's business (its check is part of `npm run lint`).
  prettier,
);
