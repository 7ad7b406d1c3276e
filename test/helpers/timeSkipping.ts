import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { quietRuntime } from '../../worker/quietRuntime';
import { createTimeSkippingEnv } from './timeSkippingServer';

export { createTimeSkippingEnv } from './timeSkippingServer';

/**
 * One time-skipping environment for a describe block, up before its tests and torn down after them; the returned
 * function gives it to the tests.
 */
export function useTimeSkippingEnv(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    quietRuntime();
    env = await createTimeSkippingEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });
  return () => {
    if (!env) throw new Error('the time-skipping environment is not up');
    return env;
  };
}
