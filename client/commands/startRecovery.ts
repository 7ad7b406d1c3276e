import { InvalidRequestError } from '../../domain/failures';
import fs from 'node:fs';
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { commandHelp, defineCommand, intOption, numberOption, parseCommand } from '../args';
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

export const START_RECOVERY = defineCommand({
  name: 'start-recovery',
  summary: "Recovers every segment the catalog marks down (status 'd') from its acting primary, like gprecoverseg.",
  options: {
    cluster: { type: 'string', arg: 'C', help: "cluster name from the worker's clusters file (default $GPRECOVER_CLUSTER or 'demo')" },
    i: { type: 'string', arg: 'FILE', help: 'recover-config file: in-place or moved segments, per-line I|/D|/F| types', gprecoverseg: '-i' },
    o: { type: 'string', arg: 'FILE', help: 'write a sample -i file listing the failed segments, then exit', gprecoverseg: '-o' },
    p: { type: 'string', arg: 'HOST[,HOST]', help: "recover the failed hosts' segments onto these spare hosts (full recovery)", gprecoverseg: '-p' },
    F: { type: 'boolean', help: 'full recovery (pg_basebackup); default is incremental (pg_rewind)', gprecoverseg: '-F' },
    differential: { type: 'boolean', help: 'differential recovery (rsync of changed files; Greenplum 7)', gprecoverseg: '--differential' },
    B: { type: 'string', arg: 'N', help: 'hosts recovered in parallel (16)', gprecoverseg: '-B' },
    b: { type: 'string', arg: 'N', help: 'segments per host recovered in parallel (64)', gprecoverseg: '-b' },
    rebalance: { type: 'boolean', short: 'r', help: 'after recovery, return every pair to its preferred role', gprecoverseg: '-r' },
    'replay-lag': { type: 'string', arg: 'GB', help: 'with -r: refuse to rebalance a pair whose mirror replays more than GB behind', gprecoverseg: '--replay-lag' },
    'dry-run': { type: 'boolean', help: 'plan and validate only; nothing is changed' },
    wait: { type: 'boolean', help: 'follow the run with per-segment progress until it ends' },
    'no-progress': { type: 'boolean', short: 's', help: 'with --wait: no progress lines, only the outcome', gprecoverseg: '-s, --no-progress' },
    json: { type: 'boolean', help: 'machine-readable output' },
    a: { type: 'boolean', help: 'accepted for gprecoverseg compatibility: gprecover never prompts', gprecoverseg: '-a' },
    'sync-timeout': { type: 'string', arg: 'MINUTES', help: 'longest wait for FTS to mark a recovered segment up and in sync (1440)' },
    'outage-wait': { type: 'string', arg: 'SECONDS', help: 'how long an unreachable coordinator or host is waited for before the run fails (300)' },
  },
  notes: ['Exit codes: 0 ok, 1 recovery failed, 2 bad arguments or validation.'],
});

export async function startRecoveryCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(START_RECOVERY, argv);
  if (help) {
    console.log(commandHelp(START_RECOVERY));
    return 0;
  }
  if (values.F && values.differential) throw new UsageError('-F (full) and --differential cannot be used together');
  if (values.i && values.p) throw new UsageError('-i and -p cannot be used together');
  if (values['replay-lag'] && !values.rebalance) throw new UsageError('--replay-lag goes with -r (--rebalance)');
  const replayLag = numberOption(values['replay-lag'], '--replay-lag', 'a number of GB');
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
    ...(values['outage-wait'] ? { outageSeconds: intOption(values['outage-wait'], '--outage-wait (seconds)', 1, 7 * 86_400) } : {}),
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
