import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** The ML unit tests, which `native` reruns on the native TensorFlow backend. */
const ML_TESTS = ['test/unit/ml/**/*.test.ts', 'test/unit/ml-mixing/**/*.test.ts'];

/**
 * `native` runs where the native backend is set up (`braise setup tensorflow`) and always in CI, where
 * BRAISE_TF_BACKEND=tensorflow makes a missing one fail every test instead of skipping it.
 */
const native = process.env.CI === 'true' || existsSync('node_modules/@tensorflow/tfjs-node/braise-native.json');

/**
 * Layers: `unit` (pure, fast, no servers), `native` (the ML unit tests again, forced onto the native
 * TensorFlow backend) and `integration` (a real Temporal dev server and real databases, started once
 * in a globalSetup).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      ...(native
        ? [
            {
              test: {
                name: 'native',
                include: ML_TESTS,
                // backends.test.ts compares every backend itself; native-setup.test.ts tests no backend;
                // attention-matmul.test.ts tests WASM's own per-slice path (other backends keep tf.matMul).
                exclude: ['test/unit/ml/backends.test.ts', 'test/unit/ml/native-setup.test.ts', 'test/unit/ml/attention-matmul.test.ts'],
                env: { BRAISE_TF_BACKEND: 'tensorflow' },
                testTimeout: 60_000,
              },
            },
          ]
        : []),
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          // Integration suites share one Temporal server and a machine of 2 cores: one file at a time.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
