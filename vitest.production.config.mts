import { defineConfig } from 'vitest/config';

// The production tier (test/production/): Temporal's own server on PostgreSQL, built and started by
// scripts/temporal-server.sh, instead of the dev server of vitest.config.mts. `npm run test:production`.
export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/production/globalSetup.ts'],
    include: ['test/production/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    maxWorkers: 1,
  },
});
