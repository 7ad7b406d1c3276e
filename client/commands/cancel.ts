import { WorkflowNotFoundError } from '@temporalio/client';
import { parse } from '../args';
import { UsageError } from '../errors';
import { openClient } from '../temporalClient';

export async function cancelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { wait: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help || positionals.length !== 1) {
    if (!values.help) throw new UsageError('usage: gprecover cancel WORKFLOW_ID [--wait]');
    console.log('usage: gprecover cancel WORKFLOW_ID [--wait]\nCancels a run: running copies are stopped and catalog changes of unfinished full recoveries are backed out.');
    return 0;
  }
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
