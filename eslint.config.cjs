// @ts-check
/**
 * ESLint for src/, test/ and scripts/ (flat config, the one config of the repo): typescript-eslint's recommended
 * rules without type information (type-aware rules would double `npm run lint`'s time; tsc already checks types),
 * plus `curly`. A disable comment must say why (`// eslint-disable-next-line rule -- reason`) and must still be
 * needed. Layers and import cycles are checked by dependency-cruiser (.dependency-cruiser.cjs).
 */
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');

/** A disable comment without `-- reason` is an error (the local rule below). */
const disableNeedsReason = {
  meta: { type: 'problem', docs: { description: 'eslint-disable comments must give a reason after --' }, schema: [] },
  create(context) {
    return {
      Program() {
        for (const c of context.sourceCode.getAllComments()) {
          if (/^\s*eslint-disable/.test(c.value) && !/\s--\s*\S/.test(c.value)) {
            context.report({ loc: c.loc ?? { line: 1, column: 0 }, message: 'say why: `eslint-disable... -- reason`' });
          }
        }
      },
    };
  },
};

module.exports = defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'src/api/dashboard/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { vigil: { rules: { 'disable-needs-reason': disableNeedsReason } } },
    rules: {
      curly: 'error',
      // A `let` read by a callback made before its one assignment (a constructor's callback) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks a value left unused on purpose (a skipped tuple slot, a required parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'vigil/disable-needs-reason': 'error',
    },
  },
);
