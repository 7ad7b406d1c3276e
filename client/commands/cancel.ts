import { WorkflowNotFoundError } from '@temporalio/client';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { UsageError } from '../errors';
import { openClient } from '../temporalClient';

export const CANCEL = defineCommand({
  name: 'cancel',
  positionals: 'WORKFLOW_ID',
  summary: "Cancels a run: running copies are stopped, and a move whose copy did not finish goes back to its old location.",
  options: { wait: { type: 'boolean', help: 'wait until the run has ended' } },
});

export async function cancelCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(CANCEL, argv);
  if (help) {
    console.log(commandHelp(CANCEL));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('cancel takes one workflow id: gprecover cancel WORKFLOW_ID [--wait]');
  const [workflowId] = positionals;
  const { client, close } = await openClient();
  try {
    const handle = client.workflow.getHandle(workflowId);
    const desc = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}'`);
      throw err;
    });
    if (desc.status.name !== 'RUNNING') throw new UsageError(`workflow ${workflowId} is not running (${desc.status.name})`);
    await handle.cancel();
    console.log(`cancellation requested for ${workflowId} run ${desc.runId}`);
    if (values.wait) {
      await handle.result().catch(() => undefined);
      console.log(`${workflowId} is ${(await handle.describe()).status.name}`);
    }
    return 0;
  } finally {
    await close();
  }
}
