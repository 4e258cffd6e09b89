// ESLint flat config. typescript-eslint's type-checked rules are why ESLint was chosen (README, Design):
// the async rules below catch promises that are dropped, awaited twice or passed where void is expected.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'config/schema-validator.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A `default:` branch is a decision, not an omission; only switches without one must be complete.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `_name` marks a binding kept on purpose (an omitted key in a rest pattern, a contract's unused argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // cli/run.ts builds a closure that reads `program` before the one assignment: it cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Noise here: the code passes closures from factories, not class methods that read `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Noise here: an async function without await is how fakes and small adapters meet a Promise contract;
      // the real hazard (a dropped or misplaced promise) is what the three rules above catch.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON from the servers under test and drive a browser page: `any` is their input, and
    // the assertions are what check it.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Fakes replay what a recording holds, and a recorded rejection is a plain object.
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'vitest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
