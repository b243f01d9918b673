import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', 'dist/', '.local/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise nobody awaits, a promise where a callback is expected, a
    // switch that forgets a member of a union.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      // esbuild keeps all of zod (its 250 KiB of locales too) behind `import { z }`; a
      // namespace import lets it drop what is unused (Lambda bundles ~350 KiB smaller).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier",
          message: "Write `import * as z from 'zod'`: esbuild cannot shake the `z` re-export.",
        },
      ],
    },
  },
  {
    // The domain is pure: no AWS, no Slack, no environment, no wall clock.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@aws-sdk/*', '@slack/*', 'node:*', '!node:crypto', '../adapters/*', '../usecases/*'] },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a Clock instead.' },
        { object: 'process', property: 'env', message: 'The domain reads no environment.' },
      ],
    },
  },
  {
    // The bin shims are plain Node.js ESM.
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    // Adapters implement ports; they never drive the use cases (front doors under functions/ do).
    files: ['shared/adapters/**/*.ts', 'shared/targets/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/usecases/*', '**/functions/*'] }],
    },
  },
  {
    // Handlers are thin: they wire adapters, they never talk to AWS directly; and no Lambda
    // depends on the auditors' CLI.
    files: ['functions/**/*.ts'],
    ignores: ['functions/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', '**/cli/*'] }],
    },
  },
  {
    files: ['functions/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*'] }],
    },
  },
  {
    // The local demo (no Lambda) ends by running the auditors' CLI in-process on its own trail.
    files: ['functions/local/demo-evidence.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*'] }],
    },
  },
);
