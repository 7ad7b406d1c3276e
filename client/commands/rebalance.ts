import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { parse } from '../args';
import { UsageError } from '../errors';
import { clusterWorkflowId, defaultCluster, taskQueue } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';
import { AlreadyRunningError } from './startRecovery';
import { rebalanceWorkflow } from '../../workflows';

export async function rebalanceCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    cluster: { type: 'string' }, 'replay-lag': { type: 'string' }, 'dry-run': { type: 'boolean' }, wait: { type: 'boolean' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log('usage: gprecover rebalance [--cluster C] [--replay-lag GB] [--dry-run] [--wait] [--json]\nReturns pairs that are up, synchronized and out of preferred role to their preferred roles (gprecoverseg -r).');
    return 0;
  }
  const replayLagGB = values['replay-lag'] === undefined ? undefined : Number(values['replay-lag']);
  if (replayLagGB !== undefined && !(replayLagGB >= 0)) throw new UsageError(`--replay-lag must be a number of GB, not '${values['replay-lag']}'`);
  const cluster = values.cluster ?? defaultCluster();
  const { client, close, uiBase } = await openClient();
  try {
    const workflowId = values['dry-run'] ? `${clusterWorkflowId(cluster)}-rebalance-dryrun-${Date.now()}` : clusterWorkflowId(cluster);
    const handle = await client.workflow.start(rebalanceWorkflow, {
      taskQueue: taskQueue(),
      workflowId,
      args: [{ cluster, replayLagGB, dryRun: values['dry-run'], requestedBy: `${os.userInfo().username}@${os.hostname()}` }],
    }).catch((err) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new AlreadyRunningError(`a recovery or rebalance of cluster '${cluster}' is already running: workflow ${workflowId}; see 'gprecover status ${workflowId}'`);
      }
      throw err;
    });
    if (!values.json) console.log(`started rebalance of cluster '${cluster}': workflow ${workflowId}\n${workflowUrl(uiBase, workflowId, handle.firstExecutionRunId)}`);
    if (!values.wait && !values['dry-run']) return 0;
    try {
      const result = await handle.result();
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`swapped contents: ${result.swapped.join(', ') || '(none)'}; recovered dbids: ${result.recovered.join(', ') || '(none)'}`);
        for (const s of result.skipped) console.log(`  content ${s.content} skipped: ${s.reason}`);
      }
      return 0;
    } catch (err) {
      console.error(`gprecover: rebalance failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
      return 1;
    }
  } finally {
    await close();
  }
}
