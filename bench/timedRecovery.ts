import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { buildRunTimeline, childExecutions, childKey, type ActivityStep, type ExecutionTimeline } from '../client/timeline';
import { recoveryWorkflow } from '../workflows';
import type { RecoveryInput, RecoveryResult } from '../domain/recovery';

export interface SegmentTiming {
  dbid: number;
  type: string;
  /** Child workflow start to close. */
  childMs: number;
  /** Activity name -> scheduled-to-closed milliseconds (the sum when an activity ran more than once). */
  steps: Record<string, number>;
  copyMethod?: string;
  childEvents: number;
  /** Epoch milliseconds of the child's start and close, and of each activity's schedule and close (the last run of it). */
  startMs?: number;
  endMs?: number;
  at?: Record<string, { scheduledMs: number; startedMs?: number; endedMs?: number }>;
}

export interface TimedRecovery {
  /** Client's start call to the result arriving: what an operator waits. */
  wallMs: number;
  /** Epoch milliseconds of the client's start call and of the result arriving. */
  startedAtMs?: number;
  endedAtMs?: number;
  /** Epoch milliseconds of the parent's first and last child start, and its last child close. */
  firstChildStartMs?: number;
  lastChildStartMs?: number;
  lastChildEndMs?: number;
  result: RecoveryResult;
  /** Parent's readCluster + probeTargets. */
  planningMs: number;
  /** Parent's activities: name -> scheduled-to-closed milliseconds. */
  parentSteps: Record<string, number>;
  /** Parent start to its first child's start, and last child's close to the parent's close. */
  beforeChildrenMs?: number;
  afterChildrenMs?: number;
  parentEvents: number;
  parentHistoryBytes?: number;
  children: number;
  segments: SegmentTiming[];
}

const stepsOf = (steps: ActivityStep[]) => {
  const out: Record<string, number> = {};
  for (const s of steps) out[s.activity] = (out[s.activity] ?? 0) + (s.durationMs ?? 0);
  return out;
};

/**
 * Runs one recoveryWorkflow to its end and reads the phase timings back from the event histories (activity
 * scheduled -> closed, as the server recorded them), so the split is the one Temporal saw, not a client-side guess.
 * `childHistories`: 'all' for real runs; 'sample' reads one child only (a thousand simulated ones add nothing).
 */
export async function timedRecovery(
  client: Client, taskQueue: string, workflowId: string, input: RecoveryInput, childHistories: 'all' | 'sample' = 'all',
): Promise<TimedRecovery> {
  const startedAtMs = Date.now();
  const t0 = performance.now();
  const handle = await client.workflow.start(recoveryWorkflow, { taskQueue, workflowId, args: [input] });
  const result = await handle.result();
  const wallMs = performance.now() - t0;
  const endedAtMs = startedAtMs + wallMs;

  const history = await handle.fetchHistory();
  const desc = await handle.describe();
  const kids = childExecutions(history);
  const wanted = childHistories === 'all' ? kids : kids.slice(0, 1);
  const childMap: Record<string, Awaited<ReturnType<typeof handle.fetchHistory>>> = {};
  for (let i = 0; i < wanted.length; i += 20) {
    await Promise.all(wanted.slice(i, i + 20).map(async (k) => {
      childMap[childKey(k.workflowId, k.runId)] = await client.workflow.getHandle(k.workflowId, k.runId).fetchHistory();
    }));
  }
  const tl = buildRunTimeline(history, { children: childMap });
  const parentSteps = stepsOf(tl.steps);
  const segments = tl.children.filter((c: ExecutionTimeline) => !c.missingHistory).map((c) => {
    const item = (c.input as { item?: { dbid: number; type: string } } | undefined)?.item;
    const copy = c.steps.find((s) => s.activity === 'copySegment');
    return {
      dbid: item?.dbid ?? -1,
      type: item?.type ?? '?',
      childMs: c.durationMs ?? 0,
      steps: stepsOf(c.steps),
      copyMethod: (copy?.result as { method?: string } | undefined)?.method,
      childEvents: childMap[childKey(c.workflowId, c.runId)]?.events?.length ?? 0,
      ...(c.startedAt ? { startMs: Date.parse(c.startedAt) } : {}),
      ...(c.endedAt ? { endMs: Date.parse(c.endedAt) } : {}),
      at: Object.fromEntries(c.steps.map((x) => [x.activity, {
        scheduledMs: Date.parse(x.scheduledAt),
        ...(x.startedAt ? { startedMs: Date.parse(x.startedAt) } : {}),
        ...(x.endedAt ? { endedMs: Date.parse(x.endedAt) } : {}),
      }])),
    };
  });
  const starts = tl.children.map((c) => (c.startedAt ? Date.parse(c.startedAt) : NaN)).filter((v) => !Number.isNaN(v));
  const ends = tl.children.map((c) => (c.endedAt ? Date.parse(c.endedAt) : NaN)).filter((v) => !Number.isNaN(v));
  return {
    wallMs,
    startedAtMs,
    endedAtMs,
    ...(starts.length ? { firstChildStartMs: Math.min(...starts), lastChildStartMs: Math.max(...starts) } : {}),
    ...(ends.length ? { lastChildEndMs: Math.max(...ends) } : {}),
    result,
    planningMs: (parentSteps.readCluster ?? 0) + (parentSteps.probeTargets ?? 0),
    parentSteps,
    ...edges(tl),
    parentEvents: history.events?.length ?? desc.historyLength,
    parentHistoryBytes: desc.historySize,
    children: kids.length,
    segments,
  };
}

/** Where the parent spends time around its children: before the first starts, after the last ends. */
function edges(tl: ExecutionTimeline): { beforeChildrenMs?: number; afterChildrenMs?: number } {
  const t = (s?: string) => (s ? Date.parse(s) : undefined);
  const starts = tl.children.map((c) => t(c.startedAt)).filter((x): x is number => x !== undefined);
  const ends = tl.children.map((c) => t(c.endedAt)).filter((x): x is number => x !== undefined);
  const start = t(tl.startedAt);
  const close = t(tl.endedAt);
  return {
    ...(start !== undefined && starts.length ? { beforeChildrenMs: Math.min(...starts) - start } : {}),
    ...(close !== undefined && ends.length ? { afterChildrenMs: close - Math.max(...ends) } : {}),
  };
}

/** gprecoverseg's steps grouped the way the report talks about them. */
export function phaseSplit(s: SegmentTiming) {
  const st = s.steps;
  const copy = st.copySegment ?? 0;
  const sync = st.waitForSync ?? 0;
  const other = (st.stopFailedSegment ?? 0) + (st.verifySegmentDown ?? 0) + (st.updateCatalog ?? 0) + (st.wipeTarget ?? 0) + (st.startRecoveredSegment ?? 0);
  return { copy, sync, other, childGaps: Math.max(0, s.childMs - copy - sync - other) };
}
