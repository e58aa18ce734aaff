import { defineConfig } from 'vitest/config';

/**
 * Two layers: `unit` (pure, fast, no servers) and `integration` (a real Temporal
 * dev server and real databases, started once in a globalSetup).
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
