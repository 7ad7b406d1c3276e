import { InvalidRequestError } from '../../domain/failures';
import fs from 'node:fs';
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { parse, intOption } from '../args';
import { UsageError } from '../errors';
import { clusterWorkflowId, defaultCluster, taskQueue } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';
import { watchRun } from '../watch';
import { noWorkerWarning, workerPolling } from '../workerPresence';
import { formatSampleConfig, parseRecoverConfig, RecoverConfigError } from '../../domain/recoverConfig';
import { recoveryWorkflow } from '../../workflows';
import type { RecoveryInput } from '../../domain/recovery';

export class AlreadyRunningError extends InvalidRequestError {
  override name = 'AlreadyRunningError';
}

const HELP = `usage: gprecover start-recovery [--cluster C] [-i FILE | -p HOST[,HOST]] [-F | --differential]
                               [-B N] [-b N] [-r [--replay-lag GB]] [--dry-run] [-o FILE] [--wait] [--json]
Recovers every segment the catalog marks down (status 'd') from its acting primary, like gprecoverseg.
  --cluster C       cluster name from the worker's clusters file (default $GPRECOVER_CLUSTER or 'demo')
  -i FILE           gprecoverseg recover-config file: in-place or moved segments, per-line I|/D|/F| types
  -o FILE           write a sample -i file listing the failed segments, then exit
  -p HOSTS          recover the failed hosts' segments onto these spare hosts (full recovery)
  -F                full recovery (pg_basebackup); default is incremental (pg_rewind)
  --differential    differential recovery (rsync of changed files)
  -B N / -b N       hosts in parallel (16) / segments per host in parallel (64)
  -r, --rebalance   after recovery, return every pair to its preferred role (--replay-lag GB guard)
  --dry-run         plan and validate only; nothing is changed
  --wait            follow the run with per-segment progress until it ends
  --json            machine-readable output
Exit codes: 0 ok, 1 recovery failed, 2 bad arguments or validation.`;

export async function startRecoveryCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    cluster: { type: 'string' },
    i: { type: 'string', short: 'i' },
    o: { type: 'string', short: 'o' },
    p: { type: 'string', short: 'p' },
    F: { type: 'boolean', short: 'F' },
    differential: { type: 'boolean' },
    B: { type: 'string', short: 'B' },
    b: { type: 'string', short: 'b' },
    rebalance: { type: 'boolean', short: 'r' },
    'replay-lag': { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean', short: 's' },
    a: { type: 'boolean', short: 'a' },
    'sync-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.F && values.differential) throw new UsageError('-F (full) and --differential cannot be used together');
  if (values.i && values.p) throw new UsageError('-i and -p cannot be used together');
  if (values['replay-lag'] && !values.rebalance) throw new UsageError('--replay-lag goes with -r (--rebalance)');
  const replayLag = values['replay-lag'] === undefined ? undefined : Number(values['replay-lag']);
  if (replayLag !== undefined && !(replayLag >= 0)) throw new UsageError(`--replay-lag must be a number of GB, not '${values['replay-lag']}'`);
  const cluster = values.cluster ?? defaultCluster();
  let recoverConfig: string | undefined;
  if (values.i) {
    try {
      recoverConfig = fs.readFileSync(values.i, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read -i file ${values.i}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      parseRecoverConfig(recoverConfig);
    } catch (err) {
      if (err instanceof RecoverConfigError) throw new UsageError(`${values.i} ${err.message}`);
      throw err;
    }
  }
  const input: RecoveryInput = {
    cluster,
    ...(values.F ? { full: true } : {}),
    ...(values.differential ? { differential: true } : {}),
    ...(recoverConfig !== undefined ? { recoverConfig } : {}),
    ...(values.p ? { spareHosts: values.p.split(',').map((h) => h.trim()).filter(Boolean) } : {}),
    ...(values.B ? { hostParallelism: intOption(values.B, '-B', 1, 1024) } : {}),
    ...(values.b ? { segmentParallelism: intOption(values.b, '-b', 1, 1024) } : {}),
    ...(values.rebalance ? { rebalance: true } : {}),
    ...(replayLag !== undefined ? { replayLagGB: replayLag } : {}),
    ...(values['dry-run'] || values.o ? { dryRun: true } : {}),
    ...(values['sync-timeout'] ? { syncTimeoutMinutes: intOption(values['sync-timeout'], '--sync-timeout (minutes)', 1, 100_000) } : {}),
    requestedBy: `${os.userInfo().username}@${os.hostname()}`,
  };
  const { client, close, uiBase } = await openClient();
  try {
    const workflowId = input.dryRun ? `${clusterWorkflowId(cluster)}-dryrun-${Date.now()}` : clusterWorkflowId(cluster);
    let handle;
    try {
      handle = await client.workflow.start(recoveryWorkflow, {
        taskQueue: taskQueue(),
        workflowId,
        args: [input],
        memo: { requestedBy: input.requestedBy, command: `gprecover start-recovery ${argv.join(' ')}`.trim() },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const running = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
        throw new AlreadyRunningError(
          `a recovery or rebalance of cluster '${cluster}' is already running: workflow ${workflowId}${running ? ` run ${running.runId} started ${running.startTime.toISOString()}` : ''}; follow it with 'gprecover status ${workflowId}' or stop it with 'gprecover cancel ${workflowId}'`,
        );
      }
      throw err;
    }
    const url = workflowUrl(uiBase, handle.workflowId, handle.firstExecutionRunId);
    if ((await workerPolling(client, client.options.namespace, taskQueue())) === false) console.error(noWorkerWarning(taskQueue()));
    if (values.o) {
      const result = await handle.result().catch(() => undefined);
      if (!result) return watchRun(client, handle.workflowId, handle.firstExecutionRunId, { progress: false });
      fs.writeFileSync(values.o, formatSampleConfig(result.plan.items.map((i) => i.failed)));
      console.log(`wrote ${result.plan.items.length} failed segment(s) to ${values.o}`);
      return 0;
    }
    if (!values.json || !(values.wait || input.dryRun)) {
      const line = `started ${input.dryRun ? 'dry run' : 'recovery'} of cluster '${cluster}': workflow ${handle.workflowId} run ${handle.firstExecutionRunId}`;
      console.log(values.json ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url }) : `${line}\n${url}`);
    }
    if (values.wait || input.dryRun) {
      return watchRun(client, handle.workflowId, handle.firstExecutionRunId, { json: values.json, progress: !values['no-progress'] });
    }
    return 0;
  } finally {
    await close();
  }
}
