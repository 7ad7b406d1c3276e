import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { UsageError } from '../errors';
import { openClient, workflowUrl } from '../temporalClient';
import { buildRunTimeline, childExecutions, childKey, formatTimeline, type RunTimeline, type TimelineSources } from '../timeline';
import { recoveryStatusQuery } from '../../workflows/messages';

type History = temporal.api.history.v1.IHistory;

export const SHOW = defineCommand({
  name: 'show',
  positionals: 'WORKFLOW_ID',
  summary: "One run's timeline from its event history: who started it and how, the plan, each segment's steps with times, attempts and errors, the catalog rows changed, and the outcome.",
  options: {
    run: { type: 'string', arg: 'RUN_ID', help: 'a particular run (default: the latest with that id)' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  notes: ["Find ids with 'gprecover history'."],
});

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isClosed = (h: History) => {
  const last = h.events?.[h.events.length - 1];
  return !!(last?.workflowExecutionCompletedEventAttributes || last?.workflowExecutionFailedEventAttributes
    || last?.workflowExecutionCanceledEventAttributes || last?.workflowExecutionTerminatedEventAttributes
    || last?.workflowExecutionTimedOutEventAttributes || last?.workflowExecutionContinuedAsNewEventAttributes);
};

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** The run's history, its descendants' histories, and live state for whatever still runs. */
export async function fetchTimeline(client: Client, workflowId: string, runId?: string): Promise<RunTimeline> {
  const desc = await client.workflow.getHandle(workflowId, runId).describe();
  const handle = client.workflow.getHandle(workflowId, desc.runId);
  const history = await handle.fetchHistory();
  const src: Required<Pick<TimelineSources, 'children' | 'pending'>> & TimelineSources = { children: {}, pending: {}, now: new Date() };
  src.pending[childKey(workflowId, desc.runId)] = desc.raw.pendingActivities ?? [];
  let level = childExecutions(history);
  for (let depth = 0; depth < 4 && level.length; depth++) {
    const next: typeof level = [];
    await inBatches(level, 8, async (c) => {
      try {
        const h = client.workflow.getHandle(c.workflowId, c.runId);
        const ch = await h.fetchHistory();
        src.children[childKey(c.workflowId, c.runId)] = ch;
        if (!isClosed(ch)) src.pending[childKey(c.workflowId, c.runId)] = (await h.describe()).raw.pendingActivities ?? [];
        next.push(...childExecutions(ch));
      } catch {
        // Gone with retention or unreadable: the timeline falls back to the parent's events for it.
      }
    });
    level = next;
  }
  if (desc.status.name === 'RUNNING' && desc.type === 'recoveryWorkflow') {
    src.live = await handle.query(recoveryStatusQuery).catch(() => undefined);
  }
  return buildRunTimeline(history, src, { workflowId, runId: desc.runId });
}

export async function showCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(SHOW, argv);
  if (help) {
    console.log(commandHelp(SHOW));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`show takes one workflow id${positionals.length ? `, not ${positionals.length}` : ''} (list them with 'gprecover history')`);
  const workflowId = positionals[0];
  if (values.run !== undefined && !RUN_ID.test(values.run)) throw new UsageError(`--run must be a run id (a UUID, as 'gprecover history' prints), not '${values.run}'`);
  const { client, close, uiBase } = await openClient();
  try {
    const timeline = await fetchTimeline(client, workflowId, values.run).catch((err) => {
      if (err instanceof WorkflowNotFoundError) {
        throw new UsageError(`no run with workflow id '${workflowId}'${values.run ? ` and run id '${values.run}'` : ''}`);
      }
      throw err;
    });
    if (values.json) console.log(JSON.stringify(timeline, null, 2));
    else console.log([...formatTimeline(timeline), '', workflowUrl(uiBase, timeline.workflowId, timeline.runId)].join('\n'));
    return 0;
  } finally {
    await close();
  }
}
