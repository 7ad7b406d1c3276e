import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/globalSetup.ts'],
    include: ['test/**/*.test.ts'],
    // Its own command (npm run test:production, vitest.production.config.mts): it needs a Temporal server built from
    // Go, minutes on a fresh clone, which would take npm test past its time budget (README, Production topology).
    exclude: [...configDefaults.exclude, 'test/production/**'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    // Two cores: suites that each run PostgreSQL clusters would starve each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
