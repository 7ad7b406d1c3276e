import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { commandHelp, defineCommand, intOption, parseCommand, type CommandDef, type OptionDefs } from '../args';
import { UsageError } from '../errors';
import { localRequester } from '../requester';
import { clusterWorkflowId, defaultCluster } from '../runIds';
import { openClient } from '../temporalClient';
import type { RunControls } from '../../domain/liveControls';
import { HOST_PARALLELISM, SEGMENT_PARALLELISM } from '../../domain/options';
import { pauseUpdate, resumeUpdate, setParallelismUpdate, skipSegmentUpdate } from '../../workflows/messages';

const RUN_NOTE = "RUN is a recovery's workflow id (default gprecover-<cluster>, the cluster's run); the change is recorded in the run's history with who asked.";
const cluster = { cluster: { type: 'string', arg: 'C', help: 'the run of this cluster, when RUN is not given' } } as const;

export const SET = defineCommand({
  name: 'set',
  positionals: '[RUN]',
  summary: 'Changes -B / -b of a running recovery, for its segments not yet started.',
  options: {
    hosts: { type: 'string', arg: 'N', help: `hosts recovered at once (-B, ${HOST_PARALLELISM.min}-${HOST_PARALLELISM.max})` },
    'per-host': { type: 'string', arg: 'N', help: `segments per host at once (-b, ${SEGMENT_PARALLELISM.min}-${SEGMENT_PARALLELISM.max})` },
    ...cluster,
  },
  notes: [RUN_NOTE],
});
export const PAUSE = defineCommand({ name: 'pause', positionals: '[RUN]', summary: 'Holds back the start of new segments of a running recovery; running ones go on.', options: cluster, notes: [RUN_NOTE] });
export const RESUME = defineCommand({ name: 'resume', positionals: '[RUN]', summary: 'Lets a paused recovery start its remaining segments.', options: cluster, notes: [RUN_NOTE] });
export const SKIP = defineCommand({
  name: 'skip',
  positionals: '[RUN] DBID',
  summary: 'Leaves a segment the running recovery has not started yet out of it (it stays down).',
  options: cluster,
  notes: [RUN_NOTE],
});

function runOf(positionals: string[], clusterName: string | undefined, extra: number, usage: string): string {
  if (positionals.length > 1 + extra || positionals.length < extra) throw new UsageError(`usage: ${usage}`);
  return positionals.length > extra ? positionals[0] : clusterWorkflowId(clusterName ?? defaultCluster());
}

/** Sends one update to a running recovery; a refusal comes back as the validator's one line. */
async function control(workflowId: string, send: (client: Client) => Promise<RunControls>): Promise<RunControls> {
  const { client, close } = await openClient();
  try {
    const desc = await client.workflow.getHandle(workflowId).describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}'`);
      throw err;
    });
    if (desc.status.name !== 'RUNNING') throw new UsageError(`workflow ${workflowId} is not running (${desc.status.name})`);
    if (desc.type !== 'recoveryWorkflow') throw new UsageError(`${workflowId} is a ${desc.type}: live controls apply to a recovery (recoveryWorkflow)`);
    return await send(client).catch((err) => {
      if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`${workflowId}: ${err.cause?.message ?? err.message}`);
      throw err;
    });
  } finally {
    await close();
  }
}

const summary = (workflowId: string, c: RunControls) => `${workflowId}: ${c.changes.at(-1)?.what ?? 'unchanged'}; now -B ${c.hostParallelism} -b ${c.segmentParallelism}${c.paused ? ', paused' : ''}`;

function helped<O extends OptionDefs>(def: CommandDef<O>, argv: string[]) {
  const parsed = parseCommand(def, argv);
  if (parsed.help) console.log(commandHelp(def));
  return parsed;
}

export async function setCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = helped(SET, argv);
  if (help) return 0;
  const workflowId = runOf(positionals, values.cluster, 0, 'gprecover set [RUN] [--hosts N] [--per-host N]');
  const hostParallelism = intOption(values.hosts, '--hosts', HOST_PARALLELISM.min, HOST_PARALLELISM.max);
  const segmentParallelism = intOption(values['per-host'], '--per-host', SEGMENT_PARALLELISM.min, SEGMENT_PARALLELISM.max);
  if (hostParallelism === undefined && segmentParallelism === undefined) throw new UsageError('set needs --hosts N or --per-host N (or both)');
  const c = await control(workflowId, (client) => client.workflow.getHandle(workflowId).executeUpdate(setParallelismUpdate, {
    args: [{ hostParallelism, segmentParallelism, requestedBy: localRequester() }],
  }));
  console.log(summary(workflowId, c));
  return 0;
}

/** pause and resume: no argument but the run, the same request. */
async function holdCommand(def: typeof PAUSE, usage: string, update: typeof pauseUpdate, argv: string[]): Promise<number> {
  const { values, positionals, help } = helped(def, argv);
  if (help) return 0;
  const workflowId = runOf(positionals, values.cluster, 0, usage);
  const c = await control(workflowId, (client) => client.workflow.getHandle(workflowId).executeUpdate(update, { args: [{ requestedBy: localRequester() }] }));
  console.log(summary(workflowId, c));
  return 0;
}

export const pauseCommand = (argv: string[]) => holdCommand(PAUSE, 'gprecover pause [RUN]', pauseUpdate, argv);
export const resumeCommand = (argv: string[]) => holdCommand(RESUME, 'gprecover resume [RUN]', resumeUpdate, argv);

export async function skipCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = helped(SKIP, argv);
  if (help) return 0;
  const workflowId = runOf(positionals, values.cluster, 1, 'gprecover skip [RUN] DBID');
  const dbid = intOption(positionals.at(-1), 'DBID', 1, 2 ** 15);
  const c = await control(workflowId, (client) => client.workflow.getHandle(workflowId).executeUpdate(skipSegmentUpdate, { args: [{ dbid: dbid!, requestedBy: localRequester() }] }));
  console.log(summary(workflowId, c));
  return 0;
}
