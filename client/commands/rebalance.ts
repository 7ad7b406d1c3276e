import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { commandHelp, defineCommand, intOption, numberOption, parseCommand } from '../args';
import { clusterWorkflowId, defaultCluster, taskQueue } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';
import { reportRunFailure } from '../watch';
import { AlreadyRunningError } from './startRecovery';
import { rebalanceWorkflow } from '../../workflows';
import { localRequester } from '../requester';

export const REBALANCE = defineCommand({
  name: 'rebalance',
  summary: 'Returns pairs that are up, synchronized and out of preferred role to their preferred roles (gprecoverseg -r).',
  options: {
    cluster: { type: 'string', arg: 'C', help: "cluster name from the worker's clusters file (default $GPRECOVER_CLUSTER or 'demo')" },
    'replay-lag': { type: 'string', arg: 'GB', help: 'refuse to rebalance while a mirror has GB or more of WAL to replay (10)', gprecoverseg: '--replay-lag' },
    'disable-replay-lag': { type: 'boolean', help: 'rebalance whatever the mirrors have left to replay', gprecoverseg: '--disable-replay-lag' },
    d: { type: 'string', arg: 'DIR', help: "the coordinator's data directory, where gprecoverseg.lock lives (default: the catalog's)", gprecoverseg: '-d' },
    'dry-run': { type: 'boolean', help: 'say what would be swapped; nothing is changed' },
    wait: { type: 'boolean', help: 'wait for the outcome' },
    json: { type: 'boolean', help: 'machine-readable output' },
    'outage-wait': { type: 'string', arg: 'SECONDS', help: 'how long an unreachable coordinator or host is waited for (300)' },
  },
});

export async function rebalanceCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(REBALANCE, argv);
  if (help) {
    console.log(commandHelp(REBALANCE));
    return 0;
  }
  const replayLagGB = numberOption(values['replay-lag'], '--replay-lag', 'a number of GB');
  const outageSeconds = intOption(values['outage-wait'], '--outage-wait (seconds)', 1, 7 * 86_400);
  const cluster = values.cluster ?? defaultCluster();
  const { client, close, uiBase } = await openClient();
  try {
    const workflowId = values['dry-run'] ? `${clusterWorkflowId(cluster)}-rebalance-dryrun-${Date.now()}` : clusterWorkflowId(cluster);
    const handle = await client.workflow.start(rebalanceWorkflow, {
      taskQueue: taskQueue(),
      workflowId,
      args: [{
        cluster, replayLagGB, disableReplayLag: values['disable-replay-lag'], coordinatorDataDirectory: values.d, dryRun: values['dry-run'], requestedBy: localRequester(), ...(outageSeconds ? { outageSeconds } : {}),
      }],
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
      return reportRunFailure(err, 'rebalance');
    }
  } finally {
    await close();
  }
}
