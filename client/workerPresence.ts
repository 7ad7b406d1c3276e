import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Whether any worker polled the task queue lately. A run started with no worker waits (durably) until one comes;
 * a DBA should hear that instead of watching 'planning' for ever.
 */
export async function workerPolling(client: Client, namespace: string, taskQueue: string): Promise<boolean | undefined> {
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (res.pollers ?? []).length > 0;
  } catch {
    return undefined;
  }
}

export function noWorkerWarning(taskQueue: string): string {
  return `gprecover: warning: no worker is polling task queue '${taskQueue}'; the run waits until one does (start one with 'bin/gprecover worker', or 'npm start' for the local setup)`;
}
