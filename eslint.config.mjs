// @ts-check
// Lint runs in `npm test`: workflows stay inside their sandbox, and no promise is left floating.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    // The local executor's spawner (cluster/exec/spawnHelper.cjs) is plain CommonJS run by node alone.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The demo is a tool beside the product: the product never imports it (the CLI's `demo` and `dev` commands may).
    files: ['domain/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'cluster/**/*.ts', 'worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)demo(/|$)', message: 'the product does not import the demo (demo/ is a tool beside it)' }],
      }],
    },
  },
  {
    // Workflow code is replayed in Temporal's sandbox: it imports the domain module, its own files and Temporal,
    // and from activities only their types (for proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^(?!@temporalio/(workflow|common)$|\\./[^/]+$|\\.\\./domain/[^/]+$|\\.\\./activities$)',
            message: 'workflows import only ../domain/*, their own files and @temporalio/workflow|common',
          },
          { group: ['../activities'], allowTypeImports: true, message: 'workflows import only the types of activities' },
        ],
      }],
    },
  },
);
