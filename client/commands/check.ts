import type { Duration } from '@temporalio/common';
import { taskQueue } from '../runIds';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { openClient } from '../temporalClient';
import { workerCheckWorkflow } from '../../workflows';

export const CHECK = defineCommand({
  name: 'check',
  summary: 'Runs a tiny workflow through a worker: proves a worker polls, and lists the clusters it knows.',
  options: {
    'task-queue': { type: 'string', arg: 'Q', help: 'task queue (default $GPRECOVER_TASK_QUEUE or gp-recovery)' },
    timeout: { type: 'string', arg: 'DURATION', help: 'give up after this long (30s)' },
  },
});

export async function checkCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(CHECK, argv);
  if (help) {
    console.log(commandHelp(CHECK));
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
