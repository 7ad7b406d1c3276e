import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/globalSetup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    // Two cores: suites that each run PostgreSQL clusters would starve each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
