import { defineConfig } from 'vitest/config';

// The fast tier (`npm run test:fast`): pure tests and workflow tests on Temporal's time-skipping server, no dev
// server, no PostgreSQL.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/pure/**/*.test.ts', 'test/workflow/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
