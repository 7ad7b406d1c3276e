import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { UsageError } from '../errors';
import { localRequester } from '../requester';
import { defaultCluster } from '../runIds';
import { openClient } from '../temporalClient';
import { buildDecisionQuery } from '../../domain/visibilityQuery';
import { approveUpdate } from '../../workflows/messages';

export const APPROVE = defineCommand({
  name: 'approve',
  positionals: '[RUN]',
  summary: 'Approves the recovery an automatic check waits for (policy.approval): it starts at once.',
  options: { cluster: { type: 'string', arg: 'C', help: "the cluster's waiting check, when RUN is not given" } },
  notes: [
    'RUN is the check\'s workflow id, as its notification and `gprecover history --auto` give it; who approved is kept in its memo and history.',
  ],
});

export async function approveCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(APPROVE, argv);
  if (help) {
    console.log(commandHelp(APPROVE));
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('usage: gprecover approve [RUN] [--cluster C]');
  const { client, close } = await openClient();
  try {
    let workflowId = positionals[0];
    if (!workflowId) {
      const cluster = values.cluster ?? defaultCluster();
      const waiting: string[] = [];
      for await (const w of client.workflow.list({ query: buildDecisionQuery({ cluster, decision: 'awaiting-approval', status: 'running' }) })) waiting.push(w.workflowId);
      if (!waiting.length) throw new UsageError(`no automatic check of cluster '${cluster}' is waiting for an approval (gprecover auto status --cluster ${cluster})`);
      workflowId = waiting[0];
    }
    const handle = client.workflow.getHandle(workflowId);
    const desc = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}'`);
      throw err;
    });
    if (desc.type !== 'autoRecoveryWorkflow') throw new UsageError(`${workflowId} is a ${desc.type}: only an automatic check (autoRecoveryWorkflow) waits for an approval`);
    if (desc.status.name !== 'RUNNING') throw new UsageError(`workflow ${workflowId} is not running (${desc.status.name})`);
    const approved = await handle.executeUpdate(approveUpdate, { args: [{ requestedBy: localRequester() }] }).catch((err) => {
      if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`${workflowId}: ${err.cause?.message ?? err.message}`);
      throw err;
    });
    console.log(`${workflowId}: approved by ${approved.by}; its recovery starts now (gprecover status)`);
    return 0;
  } finally {
    await close();
  }
}
