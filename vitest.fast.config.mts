import { defineConfig } from 'vitest/config';

// The fast tier (`npm run test:fast`): pure tests and workflow tests on Temporal's time-skipping server, no dev
// server, no PostgreSQL.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/pure/**/*.test.ts', 'test/workflow/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Three forks on two cores: the time-skipping tests wait on their test server part of the time (measured
    // 2026-12-07: 60 s with two, 50 s with three).
    maxWorkers: 3,
    fileParallelism: true,
  },
});
