import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TemporalFacts } from '../domain/doctor';
import { errorMessage } from '../domain/failures';
import type { RunState } from '../domain/lockPolicy';
import { endpointFromEnv } from '../worker/connection';
import { openClient } from './temporalClient';
import { workerPolling } from './workerPresence';

/** Connecting is bounded by the client (5 s); each call after it by this. */
const ANSWER_WITHIN_MS = 10_000;

function within<T>(p: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(fallback), ANSWER_WITHIN_MS); })]).finally(() => clearTimeout(timer));
}

/** Whether the Temporal service of TEMPORAL_ADDRESS answers and a worker polled the task queue lately. */
export async function temporalFacts(taskQueue: string): Promise<{ facts: TemporalFacts; client?: Client }> {
  let address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  let namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  try {
    ({ address, namespace } = endpointFromEnv());
    const { client } = await openClient();
    // A namespace that does not exist (or a key that may not read it) shows here, not at connect.
    const polling = await within(workerPolling(client, namespace, taskQueue), undefined);
    const known = await within(client.workflowService.describeNamespace({ namespace }).then(() => undefined, (err: unknown) => errorMessage(err)), 'did not answer');
    if (known) return { facts: { address, namespace, taskQueue, error: `namespace ${namespace}: ${known}` } };
    return { facts: { address, namespace, taskQueue, ...(polling !== undefined ? { workerPolling: polling } : {}) }, client };
  } catch (err) {
    return { facts: { address, namespace, taskQueue, error: errorMessage(err) } };
  }
}

/** What Temporal says of the gprecover run (`<workflowId>/<runId>`) that holds gprecoverseg's lock; only a definite answer counts. */
export async function lockOwnerState(client: Client, run: string): Promise<RunState> {
  // The workflow id may hold a '/'; the run id never does.
  const cut = run.lastIndexOf('/');
  const [workflowId, runId] = [run.slice(0, cut), run.slice(cut + 1)];
  const asked = client.workflow.getHandle(workflowId, runId).describe().then(
    (d): RunState => (d.status.name === 'RUNNING' ? 'running' : 'ended'),
    // Past retention a run is gone from Temporal: it has ended.
    (err: unknown): RunState => (err instanceof WorkflowNotFoundError ? 'ended' : 'unknown'),
  );
  return within(asked, 'unknown');
}
