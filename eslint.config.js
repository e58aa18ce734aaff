import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerConfigs, WORKFLOW_PATTERNS } from './eslint.layers.js';

export default tseslint.config(
  // test/lint/fixtures/ break the layering on purpose: test/unit/lint/layers.test.ts lints them itself.
  { ignores: ['node_modules/**', '.braise/**', 'dist/**', 'infra/db/migrations/**', 'test/lint/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  // Which folder may import which, workflows' determinism, and no cycles: eslint.layers.js.
  ...layerConfigs(),
  // Lineage is written in one place: outside infra/db/, the store's writes go through the recorder (infra/db/recorder.ts).
  {
    files: ['infra/**/*.ts', 'api/**/*.ts', 'cli/**/*.ts'],
    ignores: ['infra/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.property.name='lineage'][callee.property.name=/^(upsertRun|setRunStatus|beginStep|recordArtifact|finishStep|recordMetrics|replaceTrainingOrder|recordTrainingOrder)$/]",
          message: 'Lineage is written only through the recorder (lineageRecorder in infra/db/recorder.ts), not the store.',
        },
      ],
    },
  },
  // The bench's baseline workflow is bundled and replayed like workflows/: the same determinism rules.
  { files: ['bench/workflows.ts'], rules: { 'no-restricted-imports': ['error', { patterns: WORKFLOW_PATTERNS }] } },
);
