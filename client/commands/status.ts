import { WorkflowNotFoundError } from '@temporalio/client';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { UsageError } from '../errors';
import { fetchRunView, runSummary } from '../progress';
import { clusterWorkflowId, defaultCluster } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';

export const STATUS = defineCommand({
  name: 'status',
  positionals: '[WORKFLOW_ID]',
  summary: "Phase and per-segment progress of a run (default: the cluster's latest), what it waits for, and why it failed.",
  options: {
    cluster: { type: 'string', arg: 'C', help: "the cluster whose run to show (default $GPRECOVER_CLUSTER or 'demo')" },
    run: { type: 'string', arg: 'RUN_ID', help: 'a particular run of the workflow id' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
});

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(STATUS, argv);
  if (help) {
    console.log(commandHelp(STATUS));
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('status takes at most one workflow id');
  const workflowId = positionals[0] ?? clusterWorkflowId(values.cluster ?? defaultCluster());
  const { client, close, uiBase } = await openClient();
  try {
    const view = await fetchRunView(client, workflowId, values.run).catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}'`);
      throw err;
    });
    if (values.json) console.log(JSON.stringify(view, null, 2));
    else console.log([...runSummary(view), `  ${workflowUrl(uiBase, view.workflowId, view.runId)}`].join('\n'));
    return 0;
  } finally {
    await close();
  }
}
