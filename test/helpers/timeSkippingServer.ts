import path from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../cluster/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';

/** scripts/test-server/run.sh runs Temporal's Java time-skipping test server, installed by scripts/setup.sh. */
const TEST_SERVER = path.join(PROJECT_ROOT, 'scripts', 'test-server', 'run.sh');

const INDEXED: Partial<Record<string, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/**
 * A time-skipping test environment with gprecover's search attributes: timers and retry backoffs of workflows pass
 * instantly. The SDK gives the server 5 s to come up; a JVM on a busy 2-core machine may need longer, so it gets one
 * more try.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const start = () => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER } } });
  const env = await start().catch(start);
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, INDEXED[k.type]!])),
  });
  return env;
}
