import { randomUUID } from 'node:crypto';
import { TEST_RUN_ENV, waitForNoProcesses } from '../helpers/leftovers';

/**
 * The production tier brings its own Temporal server (scripts/temporal-server.sh, in its test file), so it needs
 * none of test/globalSetup.ts's dev server: only the run's marker, and the same check that nothing it started
 * outlives it.
 */
export default function setup() {
  const runId = randomUUID();
  process.env[TEST_RUN_ENV] = runId;
  return async () => {
    const left = await waitForNoProcesses(runId, 20_000);
    if (left.length) {
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      throw new Error(`${left.length} process(es) started by this test run were still alive at its end (now killed): ${left.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    }
  };
}
