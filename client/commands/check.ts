import type { Duration } from '@temporalio/common';
import { taskQueue } from '../runIds';
import { parse } from '../args';
import { openClient } from '../temporalClient';
import { workerCheckWorkflow } from '../../workflows';

export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'task-queue': { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log('usage: gprecover check [--task-queue Q] [--timeout 30s]\nRuns a tiny workflow through a worker and prints what it reports.');
    return 0;
  }
  const { client, close } = await openClient();
  try {
    const info = await client.workflow.execute(workerCheckWorkflow, {
      taskQueue: values['task-queue'] ?? taskQueue(),
      workflowId: `gprecover-check-${Date.now()}`,
      workflowExecutionTimeout: (values.timeout ?? '30s') as Duration,
    });
    console.log(`worker ${info.hostname} pid ${info.pid} (node ${info.node}) knows clusters: ${info.clusters.join(', ') || '(none)'}`);
    return 0;
  } finally {
    await close();
  }
}
