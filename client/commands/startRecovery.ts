import { InvalidRequestError } from '../../domain/failures';
import fs from 'node:fs';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { commandHelp, defineCommand, intOption, numberOption, parseCommand } from '../args';
import { UsageError } from '../errors';
import { clusterWorkflowId, defaultCluster, taskQueue } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';
import { watchRun, type WatchOptions } from '../watch';
import { noWorkerWarning, workerPolling } from '../workerPresence';
import { formatSampleConfig, parseRecoverConfig } from '../../domain/recoverConfig';
import { DEFAULT_REPLAY_LAG_GB, HOST_PARALLELISM, optionProblems, optionWarnings, SEGMENT_PARALLELISM, type OptionSet } from '../../domain/options';
import { recoveryWorkflow } from '../../workflows';
import type { RecoveryInput } from '../../domain/recovery';
import { localRequester } from '../requester';

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
    B: { type: 'string', arg: 'N', help: `hosts recovered in parallel (${HOST_PARALLELISM.default}, at most ${HOST_PARALLELISM.max})`, gprecoverseg: '-B' },
    b: { type: 'string', arg: 'N', help: `segments per host recovered in parallel (${SEGMENT_PARALLELISM.default}, at most ${SEGMENT_PARALLELISM.max})`, gprecoverseg: '-b' },
    rebalance: { type: 'boolean', short: 'r', help: 'after recovery, return every pair to its preferred role', gprecoverseg: '-r' },
    'replay-lag': { type: 'string', arg: 'GB', help: `with -r: abort the rebalance when a mirror replays GB or more behind (${DEFAULT_REPLAY_LAG_GB})`, gprecoverseg: '--replay-lag' },
    'disable-replay-lag': { type: 'boolean', help: 'with -r: no replay-lag guard', gprecoverseg: '--disable-replay-lag' },
    'max-rate': { type: 'string', arg: 'RATE', help: 'throttle full copies: 32k to 1024M per second (kB without a unit)', gprecoverseg: '--max-rate' },
    'hba-hostnames': { type: 'boolean', help: 'pg_hba.conf entries name the new hosts instead of their addresses', gprecoverseg: '--hba-hostnames' },
    d: { type: 'string', arg: 'DIR', help: "the coordinator's data directory, where gprecoverseg.lock lives (default: the catalog's)", gprecoverseg: '-d' },
    l: { type: 'string', arg: 'DIR', help: 'where recovery_progress.file goes on the coordinator host, for gpstate -e (~/gpAdminLogs)', gprecoverseg: '-l' },
    'dry-run': { type: 'boolean', help: 'plan and validate only; nothing is changed' },
    wait: { type: 'boolean', help: 'follow the run with per-segment progress until it ends' },
    s: { type: 'boolean', help: 'with --wait: progress as successive lines instead of redrawn in place', gprecoverseg: '-s' },
    'no-progress': { type: 'boolean', help: 'no progress lines, and no recovery_progress.file', gprecoverseg: '--no-progress' },
    q: { type: 'boolean', help: 'quiet: only errors (implies --no-progress)', gprecoverseg: '-q' },
    v: { type: 'boolean', help: 'verbose: the plan, segment by segment, and every warning', gprecoverseg: '-v' },
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
  const options: OptionSet = {
    full: values.F, differential: values.differential, rebalance: values.rebalance, disableReplayLag: values['disable-replay-lag'],
    maxRate: values['max-rate'], configFile: values.i !== undefined, spareHosts: values.p !== undefined, sampleConfig: values.o !== undefined,
    hostParallelism: intOption(values.B, '-B', 1, 1024), segmentParallelism: intOption(values.b, '-b', 1, 1024),
  };
  const problems = optionProblems(options);
  if (problems.length) throw new UsageError(problems[0]);
  const say = (line: string) => { if (!values.q) console.error(`warning: ${line}`); };
  for (const w of optionWarnings(options)) say(w);
  const replayLag = numberOption(values['replay-lag'], '--replay-lag', 'a number of GB');
  const cluster = values.cluster ?? defaultCluster();
  let recoverConfig: string | undefined;
  if (values.i) {
    try {
      recoverConfig = fs.readFileSync(values.i, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read -i file ${values.i}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // Parsed here too, so a bad line is refused before anything is contacted; an empty file is nothing to do.
    if (parseRecoverConfig(recoverConfig, values.i).length === 0) {
      if (!values.q) console.log('No segments to recover');
      return 0;
    }
  }
  const noProgress = values['no-progress'] || values.q;
  const input: RecoveryInput = {
    cluster,
    ...(values.F ? { full: true } : {}),
    ...(values.differential ? { differential: true } : {}),
    ...(recoverConfig !== undefined ? { recoverConfig } : {}),
    ...(values.p ? { spareHosts: [...new Set(values.p.split(',').map((h) => h.trim()).filter(Boolean))] } : {}),
    ...(options.hostParallelism ? { hostParallelism: options.hostParallelism } : {}),
    ...(options.segmentParallelism ? { segmentParallelism: options.segmentParallelism } : {}),
    ...(values.rebalance ? { rebalance: true } : {}),
    ...(replayLag !== undefined ? { replayLagGB: replayLag } : {}),
    ...(values['disable-replay-lag'] ? { disableReplayLag: true } : {}),
    ...(values['max-rate'] !== undefined && !values.rebalance && !values.o ? { maxRate: values['max-rate'].trim() } : {}),
    ...(values['hba-hostnames'] ? { hbaHostnames: true } : {}),
    ...(values.d ? { coordinatorDataDirectory: values.d } : {}),
    ...(values.l ? { logDirectory: values.l } : {}),
    ...(noProgress ? { progressFile: false } : {}),
    ...(values['dry-run'] || values.o ? { dryRun: true } : {}),
    ...(values['sync-timeout'] ? { syncTimeoutMinutes: intOption(values['sync-timeout'], '--sync-timeout (minutes)', 1, 100_000) } : {}),
    ...(values['outage-wait'] ? { outageSeconds: intOption(values['outage-wait'], '--outage-wait (seconds)', 1, 7 * 86_400) } : {}),
    requestedBy: localRequester(),
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
    const output: WatchOptions = { json: values.json, progress: noProgress ? 'none' : values.s ? 'lines' : 'redraw', quiet: values.q, verbose: values.v };
    if (values.o) {
      const result = await handle.result().catch(() => undefined);
      if (!result) return watchRun(client, handle.workflowId, handle.firstExecutionRunId, { ...output, progress: 'none' });
      fs.writeFileSync(values.o, formatSampleConfig(result.plan.items.map((i) => i.failed)));
      if (!values.q) console.log(`wrote ${result.plan.items.length} failed segment(s) to ${values.o}`);
      return 0;
    }
    if (!values.q && (!values.json || !(values.wait || input.dryRun))) {
      const line = `started ${input.dryRun ? 'dry run' : 'recovery'} of cluster '${cluster}': workflow ${handle.workflowId} run ${handle.firstExecutionRunId}`;
      console.log(values.json ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url }) : `${line}\n${url}`);
    }
    if (values.wait || input.dryRun) return watchRun(client, handle.workflowId, handle.firstExecutionRunId, output);
    return 0;
  } finally {
    await close();
  }
}
