import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { autoScheduleId, SCHEDULE_REQUESTER_PREFIX, withPolicyDefaults, type AutoPolicy, type AutoRecoveryInput } from '../../domain/autoPolicy';
import { autoRecoveryWorkflow } from '../../workflows';
import { ClusterNameKey } from '../../domain/searchAttributes';
import { commandHelp, defineCommand, intOption, parseCommand } from '../args';
import { loadPolicyFile } from '../autoPolicyFile';
import { describePolicy, EVERY_MS, formatEvery, parseEvery } from '../autoText';
import { formatDecisionTable, type DecisionRow } from '../decisionTable';
import { UsageError } from '../errors';
import { defaultCluster, taskQueue } from '../runIds';
import { openClient } from '../temporalClient';
import { noWorkerWarning, workerPolling } from '../workerPresence';
import { listDecisions } from './history';
import { localRequester } from '../requester';

export const AUTO = defineCommand({
  name: 'auto',
  positionals: 'enable|disable|status',
  summary: [
    'Auto-recovery by policy: a Temporal Schedule (gprecover-auto-<cluster>, in the Web UI under Schedules) starts a',
    'check every period; when the policy allows, the check starts the normal recovery (workflow gprecover-<cluster>)',
    'and notifies the policy\'s hook when it starts, ends, or is skipped for a reason a DBA must act on.',
  ].join('\n'),
  options: {
    cluster: { type: 'string', arg: 'C', help: "the cluster (default $GPRECOVER_CLUSTER or 'demo')" },
    every: { type: 'string', arg: 'PERIOD', help: `enable: how often to check, 30s, 5m, 1h (${EVERY_MS.default})` },
    policy: { type: 'string', arg: 'FILE', help: 'enable: JSON policy file (README, Auto-recovery); default: incremental only, down 5 min first, 6 runs a day' },
    limit: { type: 'string', arg: 'N', help: 'status: decisions shown (10)' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  notes: [
    'enable creates the schedule, or updates it (period, policy) when it exists; disable deletes it (a check or recovery',
    "running at that moment finishes); status prints the schedule, its policy, its next checks and the recent decisions.",
    "'gprecover history --auto' lists every decision; 'gprecover history' shows who started each run (BY).",
  ],
});

interface ScheduleView {
  scheduleId: string;
  every?: string;
  paused: boolean;
  note?: string;
  taskQueue?: string;
  policy?: AutoPolicy;
  nextRuns: string[];
  actionsTaken: number;
  skippedWhileRunning: number;
  running: string[];
}

function scheduleView(d: ScheduleDescription): ScheduleView {
  const every = d.spec.intervals?.[0]?.every;
  const input = d.action.args?.[0] as AutoRecoveryInput | undefined;
  return {
    scheduleId: d.scheduleId,
    ...(typeof every === 'number' ? { every: formatEvery(every) } : {}),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    taskQueue: d.action.taskQueue,
    ...(input?.policy ? { policy: withPolicyDefaults(input.policy) } : {}),
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    actionsTaken: d.info.numActionsTaken,
    skippedWhileRunning: d.info.numActionsSkippedOverlap,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

async function describeSchedule(client: Client, cluster: string): Promise<ScheduleView | null> {
  try {
    return scheduleView(await client.schedule.getHandle(autoScheduleId(cluster)).describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

async function enable(client: Client, cluster: string, everyMs: number, policy: AutoPolicy, uiBase: string): Promise<void> {
  const scheduleId = autoScheduleId(cluster);
  const input: AutoRecoveryInput = { cluster, policy };
  const action: ScheduleOptionsStartWorkflowAction<typeof autoRecoveryWorkflow> = {
    type: 'startWorkflow',
    workflowType: autoRecoveryWorkflow,
    taskQueue: taskQueue(),
    // Temporal adds each start's time to it: gprecover-auto-<cluster>-<time>.
    workflowId: scheduleId,
    args: [input],
    memo: { requestedBy: `${SCHEDULE_REQUESTER_PREFIX}${scheduleId}` },
    typedSearchAttributes: [{ key: ClusterNameKey, value: cluster }],
  };
  const spec = { intervals: [{ every: everyMs }] };
  // A check still deciding, or waiting for the recovery it started, is never doubled; checks missed while Temporal
  // was down are not made up for (the next one looks at the cluster as it is then).
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(everyMs, 60_000) };
  const note = `gprecover auto enable by ${localRequester()}`;
  let verb = 'enabled';
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state: { note } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update(() => ({ spec, action, policies, state: { paused: false, note } }));
    verb = 'updated';
  }
  console.log(`auto-recovery of cluster '${cluster}' ${verb}: schedule ${scheduleId} checks every ${formatEvery(everyMs)} on task queue ${taskQueue()}`);
  console.log(`policy: ${describePolicy(policy)}`);
  console.log(`${uiBase}/schedules/${encodeURIComponent(scheduleId)}`);
  if ((await workerPolling(client, client.options.namespace, taskQueue())) === false) console.error(noWorkerWarning(taskQueue()));
}

async function disable(client: Client, cluster: string): Promise<void> {
  const scheduleId = autoScheduleId(cluster);
  try {
    await client.schedule.getHandle(scheduleId).delete();
    console.log(`auto-recovery of cluster '${cluster}' disabled: schedule ${scheduleId} deleted (a check or recovery running now finishes)`);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    console.log(`auto-recovery of cluster '${cluster}' is not enabled (no schedule ${scheduleId})`);
  }
}

function statusLines(cluster: string, s: ScheduleView | null, decisions: DecisionRow[], uiBase: string): string[] {
  const lines: string[] = [];
  if (!s) {
    lines.push(`auto-recovery of cluster '${cluster}': not enabled (no schedule ${autoScheduleId(cluster)}; 'gprecover auto enable' creates it)`);
  } else {
    lines.push(`auto-recovery of cluster '${cluster}': ${s.paused ? 'PAUSED' : 'enabled'}, schedule ${s.scheduleId} every ${s.every ?? '?'} on task queue ${s.taskQueue ?? '?'}`);
    if (s.policy) lines.push(`policy: ${describePolicy(s.policy)}`);
    lines.push(`next checks: ${s.nextRuns.map((t) => `${t.slice(11, 19)}Z`).join(', ') || 'none'}; checks so far: ${s.actionsTaken}`
      + `${s.skippedWhileRunning ? `, ${s.skippedWhileRunning} skipped while one ran` : ''}${s.running.length ? `; running: ${s.running.join(', ')}` : ''}`);
    if (s.note) lines.push(`note: ${s.note}`);
    lines.push(`${uiBase}/schedules/${encodeURIComponent(s.scheduleId)}`);
  }
  lines.push('');
  if (!decisions.length) lines.push('no decisions recorded yet');
  else lines.push('decisions, newest first:', ...formatDecisionTable(decisions));
  return lines;
}

export async function autoCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(AUTO, argv);
  if (help) {
    console.log(commandHelp(AUTO));
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (!sub || !['enable', 'disable', 'status'].includes(sub)) throw new UsageError(`say what to do: gprecover auto enable|disable|status${sub ? `, not '${sub}'` : ''}`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (sub !== 'enable' && (values.every !== undefined || values.policy !== undefined)) throw new UsageError(`--every and --policy go with 'auto enable', not 'auto ${sub}'`);
  if (values.cluster === '') throw new UsageError('--cluster needs a cluster name');
  const cluster = values.cluster ?? defaultCluster();
  // Checked before Temporal is contacted: a bad period or policy changes nothing.
  const everyMs = sub === 'enable' ? parseEvery(values.every ?? EVERY_MS.default) : 0;
  const policy = sub === 'enable' ? loadPolicyFile(values.policy) : undefined;
  const limit = intOption(values.limit, '--limit', 1, 1000) ?? 10;
  const { client, close, uiBase } = await openClient();
  try {
    if (sub === 'enable') await enable(client, cluster, everyMs, policy!, uiBase);
    else if (sub === 'disable') await disable(client, cluster);
    else {
      const [schedule, decisions] = await Promise.all([describeSchedule(client, cluster), listDecisions(client, { cluster }, limit)]);
      if (values.json) console.log(JSON.stringify({ cluster, schedule, decisions }, null, 2));
      else console.log(statusLines(cluster, schedule, decisions, uiBase).join('\n'));
    }
    return 0;
  } finally {
    await close();
  }
}
