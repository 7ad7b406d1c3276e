import { WorkflowNotFoundError } from '@temporalio/client';
import { parse } from '../args';
import { UsageError } from '../errors';
import { fetchRunView, runSummary } from '../progress';
import { clusterWorkflowId, defaultCluster } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { cluster: { type: 'string' }, run: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log('usage: gprecover status [WORKFLOW_ID] [--run RUN_ID] [--cluster C] [--json]\nPhase and per-segment progress of a run (default: the latest run for the cluster).');
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
