import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '*.js', '*.mjs', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Layout is Prettier's (`npm run format`); `npm run lint` checks it. No eslint rule argues with it.
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A chain of decisions reads as if/else with early returns, a named function or a lookup table (issue 17).
      'no-nested-ternary': 'error',
    },
  },
  {
    // The dashboard's browser modules: tsc checks them from their JSDoc (libs/dashboard/public/tsconfig.json,
    // lib "dom"), so it, not no-undef, knows the browser's globals (typescript-eslint's advice for typed code).
    files: ['libs/dashboard/public/**/*.js'],
    languageOptions: { sourceType: 'module' },
    rules: { 'no-undef': 'off', 'no-nested-ternary': 'error' },
  },
  {
    // Tests wait for conditions, never for time (issue 21): waitFor in test/support/wait.ts is the one
    // place where time passes; a delay that is itself under test is quietPeriod(ms, why) from there.
    files: ['test/**/*.ts'],
    ignores: ['test/support/wait.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          // new Promise((r) => setTimeout(r, ms))
          "CallExpression[callee.name='setTimeout'][arguments.0.type='Identifier']",
          // new Promise((resolve) => setTimeout(() => resolve(), ms))
          "CallExpression[callee.name='setTimeout'] > ArrowFunctionExpression.arguments:first-child > CallExpression.body[callee.name=/^(r|res|resolve|done|wake|ok)$/]",
          "CallExpression[callee.name='promisify'][arguments.0.name='setTimeout']",
          "CallExpression[callee.property.name='waitForTimeout']",
          "CallExpression[callee.name=/^(spawn|spawnSync|exec|execSync|execFile|execFileSync)$/][arguments.0.value='sleep']",
        ].map((selector) => ({
          selector,
          message:
            'A sleep in a test: wait for the condition with waitFor() (test/support/wait.ts); a delay that is itself under test is quietPeriod(ms, why).',
        })),
      ],
      'no-restricted-imports': [
        'error',
        ...['timers/promises', 'node:timers/promises'].map((name) => ({
          name,
          importNames: ['setTimeout', 'scheduler'],
          message: 'Tests wait for conditions: use waitFor() or quietPeriod() from test/support/wait.ts.',
        })),
      ],
    },
  },
);
