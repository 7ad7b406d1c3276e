// Pure: event histories of a run and its child workflows -> a timeline (what started it, the plan, each segment's
// steps, catalog changes, errors, outcome). `gprecover show` fetches the histories; this only reads them.
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { SegmentRow } from '../../domain/segment';
import type { RebalanceResult, RecoveryStatus, SkippedContent } from '../../domain/recovery';
import type { Location } from '../../domain/segment';
import {
  asObject,
  descendants,
  type ActivityStep,
  type CatalogChange,
  type ControlView,
  type EvidenceView,
  type ExecutionStatus,
  type ExecutionTimeline,
  type PlanItemView,
  type PlanView,
  type RunError,
  type RunTimeline,
} from './model';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
type Payload = temporal.api.common.v1.IPayload;
type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

export interface TimelineSources {
  /** Histories of child workflows, keyed by childKey(workflowId, runId). */
  children?: Record<string, History>;
  /** Pending activities of running executions (from describe), keyed by childKey. */
  pending?: Record<string, PendingActivity[]>;
  /** recoveryStatus query of a running run. */
  live?: RecoveryStatus;
  converter?: PayloadConverter;
  now?: Date;
}

export const childKey = (workflowId: string, runId: string) => `${workflowId}/${runId}`;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

function timeOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts) return undefined;
  return new Date(num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

const msBetween = (a?: string, b?: string) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);

function decode(conv: PayloadConverter, p: Payload | null | undefined): unknown {
  if (!p) return undefined;
  try {
    return conv.fromPayload(p as never);
  } catch {
    return '<payload not decodable by the default converter>';
  }
}

const first = (conv: PayloadConverter, ps: { payloads?: Payload[] | null } | null | undefined) => decode(conv, ps?.payloads?.[0]);

/** Innermost message with its error type: the SDK's wrappers ("Activity task failed") say nothing by themselves. */
export function failureText(f: Failure | null | undefined): string | undefined {
  if (!f) return undefined;
  let root: Failure = f;
  while (root.cause) root = root.cause;
  const type = root.applicationFailureInfo?.type;
  return `${type ? `${type}: ` : ''}${root.message ?? '(no message)'}`;
}

function closeStatus(e: HistoryEvent): { status: ExecutionStatus; failure?: Failure | null } | undefined {
  if (e.workflowExecutionCompletedEventAttributes) return { status: 'completed' };
  if (e.workflowExecutionFailedEventAttributes) return { status: 'failed', failure: e.workflowExecutionFailedEventAttributes.failure };
  if (e.workflowExecutionCanceledEventAttributes) return { status: 'cancelled' };
  if (e.workflowExecutionTerminatedEventAttributes) return { status: 'terminated' };
  if (e.workflowExecutionTimedOutEventAttributes) return { status: 'timed-out' };
  if (e.workflowExecutionContinuedAsNewEventAttributes) return { status: 'continued-as-new' };
  return undefined;
}

/** The SDK's record of a local activity (sdk-core's LocalActivityMarkerData, as JSON in the marker's `data`). */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
interface LocalActivityMarkerData {
  attempt?: number;
  activity_id?: string;
  activity_type?: string;
  complete_time?: { seconds?: number; nanos?: number } | null;
  /** Set on an attempt that failed and is tried again after a timer: not the step's end. */
  backoff?: unknown;
  original_schedule_time?: { seconds?: number; nanos?: number } | null;
}

/** A local activity's marker as a step; undefined for any other marker. `retried` carries a failure to its next attempt. */
function localActivityStep(e: HistoryEvent, conv: PayloadConverter, retried: Map<string, string>): ActivityStep | undefined {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = asObject(first(conv, m.details?.data)) as LocalActivityMarkerData | undefined;
  const activity = data?.activity_type ?? '?';
  const failure = failureText(m.failure);
  if (data?.backoff && failure) {
    retried.set(activity, failure);
    return undefined;
  }
  // The marker's complete_time is the workflow's clock, not when the step ended (it can read before its schedule): the
  // end is taken from what follows (localEnds), the marker's own time (its workflow task's completion) at the latest.
  const scheduledAt = timeOf(data?.original_schedule_time) ?? timeOf(e.eventTime) ?? '';
  const endedAt = timeOf(e.eventTime);
  const step: ActivityStep = {
    activity, activityId: `local-${data?.activity_id ?? String(e.eventId)}`, scheduledAt, endedAt, durationMs: msBetween(scheduledAt, endedAt),
    attempts: data?.attempt ?? 1, outcome: failure ? 'failed' : 'completed', local: true,
    ...(failure ? { failure } : { result: first(conv, m.details?.result) }),
    ...(retried.has(activity) ? { lastFailure: retried.get(activity) } : {}),
  };
  retried.delete(activity);
  return step;
}

/**
 * A local step ends at the latest when the workflow's next step was scheduled (the workflow goes on as soon as it
 * has the result), and no later than its marker was recorded.
 */
function localEnds(steps: ActivityStep[]): void {
  steps.forEach((s, i) => {
    const next = steps[i + 1]?.scheduledAt;
    if (!s.local || !next || !s.endedAt || next < s.scheduledAt || next >= s.endedAt) return;
    s.endedAt = next;
    s.durationMs = msBetween(s.scheduledAt, next);
  });
}

function activitySteps(events: HistoryEvent[], conv: PayloadConverter, pending: PendingActivity[] = []): ActivityStep[] {
  const byScheduled = new Map<number, ActivityStep>();
  const steps: ActivityStep[] = [];
  const retried = new Map<string, string>();
  for (const e of events) {
    const at = timeOf(e.eventTime);
    const local = localActivityStep(e, conv, retried);
    if (local) {
      steps.push(local);
      continue;
    }
    const sch = e.activityTaskScheduledEventAttributes;
    if (sch) {
      const step: ActivityStep = {
        activity: sch.activityType?.name ?? '?', activityId: sch.activityId ?? '', scheduledAt: at ?? '', attempts: 1,
        outcome: 'running', input: first(conv, sch.input),
      };
      byScheduled.set(num(e.eventId), step);
      steps.push(step);
      continue;
    }
    const cancelReq = e.activityTaskCancelRequestedEventAttributes;
    if (cancelReq) {
      const step = byScheduled.get(num(cancelReq.scheduledEventId));
      if (step) step.cancelRequestedAt = at;
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const step = byScheduled.get(num(started.scheduledEventId));
      if (step) {
        step.startedAt = at;
        step.attempts = started.attempt ?? 1;
        step.lastFailure = failureText(started.lastFailure);
      }
      continue;
    }
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes
      ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (!closed) continue;
    const step = byScheduled.get(num(closed.scheduledEventId));
    if (!step) continue;
    step.endedAt = at;
    step.durationMs = msBetween(step.scheduledAt, at);
    if (e.activityTaskCompletedEventAttributes) {
      step.outcome = 'completed';
      step.result = first(conv, e.activityTaskCompletedEventAttributes.result);
    } else if (e.activityTaskFailedEventAttributes) {
      step.outcome = 'failed';
      step.failure = failureText(e.activityTaskFailedEventAttributes.failure);
    } else if (e.activityTaskTimedOutEventAttributes) {
      step.outcome = 'timed-out';
      step.failure = failureText(e.activityTaskTimedOutEventAttributes.failure) ?? 'timed out';
    } else {
      step.outcome = 'cancelled';
    }
  }
  localEnds(steps);
  for (const p of pending) {
    const step = steps.find((s) => s.outcome === 'running' && s.activityId === p.activityId);
    if (!step) continue;
    step.attempts = p.attempt ?? step.attempts;
    step.startedAt = timeOf(p.lastStartedTime) ?? step.startedAt;
    step.lastFailure = failureText(p.lastFailure) ?? step.lastFailure;
    step.heartbeat = first(conv, p.heartbeatDetails);
  }
  return steps;
}

function executionTimeline(history: History, src: TimelineSources, depth: number, ids?: { workflowId: string; runId: string }): ExecutionTimeline {
  const conv = src.converter ?? defaultPayloadConverter;
  const events = history.events ?? [];
  const startEvent = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const start = startEvent?.workflowExecutionStartedEventAttributes;
  const runId = ids?.runId ?? start?.originalExecutionRunId ?? start?.firstExecutionRunId ?? '';
  const workflowId = ids?.workflowId ?? start?.workflowId ?? '';
  const t: ExecutionTimeline = {
    workflowId,
    runId,
    workflowType: start?.workflowType?.name ?? '?',
    status: 'running',
    startedAt: timeOf(startEvent?.eventTime),
    input: first(conv, start?.input),
    steps: activitySteps(events, conv, src.pending?.[childKey(workflowId, runId)]),
    children: [],
  };
  // A local step's input is not in the history; a segment's steps all take the segment's own cluster and item, and a
  // local wipe (0.6.0) only its checks.
  const own = asObject(t.input);
  for (const s of t.steps) if (s.local && own?.item) s.input = { cluster: own.cluster, item: own.item, ...(s.activity === 'wipeTarget' ? { checkOnly: true } : {}) };
  const last = events[events.length - 1];
  const close = last && closeStatus(last);
  if (close) {
    t.status = close.status;
    t.endedAt = timeOf(last.eventTime);
    t.failure = failureText(close.failure);
    if (last.workflowExecutionCompletedEventAttributes) t.result = first(conv, last.workflowExecutionCompletedEventAttributes.result);
    if (last.workflowExecutionTerminatedEventAttributes) t.failure = `terminated: ${last.workflowExecutionTerminatedEventAttributes.reason || 'no reason given'}`;
    if (last.workflowExecutionCanceledEventAttributes) t.failure = 'cancelled';
  }
  t.durationMs = msBetween(t.startedAt, t.endedAt ?? src.now?.toISOString());
  if (close) {
    // The workflow did not wait for these: a cancel request was their last word, or nothing was.
    for (const st of t.steps.filter((x) => x.outcome === 'running')) {
      st.outcome = st.cancelRequestedAt ? 'cancelled' : 'abandoned';
      st.endedAt = st.cancelRequestedAt ?? t.endedAt;
      st.durationMs = msBetween(st.scheduledAt, st.endedAt);
    }
  }

  for (const e of events) {
    const started = e.childWorkflowExecutionStartedEventAttributes;
    const exec = started?.workflowExecution;
    if (!exec?.workflowId || !exec.runId) continue;
    const childHistory = src.children?.[childKey(exec.workflowId, exec.runId)];
    if (childHistory && depth < 4) {
      t.children.push(executionTimeline(childHistory, src, depth + 1, { workflowId: exec.workflowId, runId: exec.runId }));
      continue;
    }
    // Without its history, the parent's own events still tell how the child ended.
    const closing = events.find((c) => {
      const a = c.childWorkflowExecutionCompletedEventAttributes ?? c.childWorkflowExecutionFailedEventAttributes
        ?? c.childWorkflowExecutionCanceledEventAttributes ?? c.childWorkflowExecutionTerminatedEventAttributes
        ?? c.childWorkflowExecutionTimedOutEventAttributes;
      return a?.workflowExecution?.runId === exec.runId;
    });
    const initiated = events.find((c) => num(c.eventId) === num(started!.initiatedEventId))?.startChildWorkflowExecutionInitiatedEventAttributes;
    t.children.push({
      workflowId: exec.workflowId, runId: exec.runId, workflowType: started!.workflowType?.name ?? '?', missingHistory: true,
      status: !closing ? 'running' : closing.childWorkflowExecutionCompletedEventAttributes ? 'completed'
        : closing.childWorkflowExecutionFailedEventAttributes ? 'failed' : closing.childWorkflowExecutionCanceledEventAttributes ? 'cancelled'
        : closing.childWorkflowExecutionTerminatedEventAttributes ? 'terminated' : 'timed-out',
      startedAt: timeOf(e.eventTime), endedAt: timeOf(closing?.eventTime),
      durationMs: msBetween(timeOf(e.eventTime), timeOf(closing?.eventTime)),
      failure: failureText(closing?.childWorkflowExecutionFailedEventAttributes?.failure),
      input: first(conv, initiated?.input),
      steps: [], children: [],
    });
  }
  const dbidOf = (c: ExecutionTimeline) => Number(asObject(asObject(c.input)?.item)?.dbid ?? Infinity);
  t.children.sort((a, b) => dbidOf(a) - dbidOf(b));
  return t;
}

function searchAttributes(events: HistoryEvent[], conv: PayloadConverter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of events) {
    const fields = e.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields
      ?? e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    for (const [k, v] of Object.entries(fields ?? {})) out[k] = decode(conv, v);
  }
  return out;
}

interface PlanLike { items?: Array<{ dbid: number; content: number; type: string; failed?: SegmentRow; source?: SegmentRow; target: Location; moved: boolean }>; skipped?: SkippedContent[]; warnings?: string[] }

function planItem(i: NonNullable<PlanLike['items']>[number]): PlanItemView {
  return {
    dbid: i.dbid, content: i.content, type: i.type, target: i.target, moved: i.moved, sourceDbid: i.source?.dbid,
    failed: i.failed ? `${i.failed.hostname}:${i.failed.port}:${i.failed.datadir}` : undefined,
  };
}

function planOf(t: ExecutionTimeline, failureDetails: unknown, live: RecoveryStatus | undefined): PlanView | undefined {
  const fromResult = asObject(asObject(t.result)?.plan) as PlanLike | undefined;
  const fromFailure = asObject(asObject(failureDetails)?.plan) as PlanLike | undefined;
  const found = fromResult ? { p: fromResult, from: 'result' as const } : fromFailure ? { p: fromFailure, from: 'failure details' as const } : undefined;
  if (found) return { from: found.from, items: (found.p.items ?? []).map(planItem), skipped: found.p.skipped ?? [], warnings: found.p.warnings ?? [] };
  if (live && live.phase !== 'planning') {
    return {
      from: 'live status',
      items: live.segments.map((s) => ({ dbid: s.dbid, content: s.content, type: s.type, target: s.target, moved: s.moved })),
      skipped: live.skipped, warnings: live.warnings,
    };
  }
  // `show` of a segment workflow itself: its own input is its plan.
  const segs = [t, ...descendants(t)].filter((c) => c.workflowType === 'segmentRecoveryWorkflow');
  const items = segs.map((c) => asObject(asObject(c.input)?.item)).filter((i): i is Record<string, unknown> => !!i);
  if (items.length) return { from: 'child inputs', items: items.map((i) => planItem(i as never)), skipped: [], warnings: [] };
  return undefined;
}

function catalogChanges(all: ExecutionTimeline[]): CatalogChange[] {
  const out: CatalogChange[] = [];
  for (const ex of all) {
    for (const s of ex.steps) {
      const input = asObject(s.input);
      // The segment's plan item since activities take one (domain/activities.ts); histories of older runs carry `change`.
      const item = asObject(input?.item);
      if (s.activity === 'updateCatalog') {
        const change = item ?? asObject(input?.change);
        const r = asObject(s.result);
        out.push({
          at: s.endedAt ?? s.scheduledAt, activity: 'updateCatalog', dbid: Number(change?.dbid), workflowId: ex.workflowId, outcome: s.outcome,
          before: r?.before as SegmentRow | undefined, after: r?.after as SegmentRow | undefined, rewritten: r?.rewritten as boolean | undefined,
        });
      } else if (s.activity === 'backOutCatalog') {
        const before = (item?.failed ?? input?.before) as SegmentRow | undefined;
        out.push({
          at: s.endedAt ?? s.scheduledAt, activity: 'backOutCatalog', dbid: Number(before?.dbid), workflowId: ex.workflowId, outcome: s.outcome,
          after: before, restored: typeof s.result === 'boolean' ? s.result : undefined, reason: input?.reason as string | undefined,
        });
      }
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

function evidenceOf(all: ExecutionTimeline[]): EvidenceView[] {
  const out: EvidenceView[] = [];
  for (const ex of all) {
    for (const s of ex.steps) {
      if (s.activity !== 'keepEvidence' || s.outcome !== 'completed') continue;
      const item = asObject(asObject(s.input)?.item);
      const r = asObject(s.result);
      out.push({
        at: s.endedAt ?? s.scheduledAt, dbid: Number(item?.dbid), workflowId: ex.workflowId, kept: r?.kept === true,
        where: r?.directory ? `${String(r.host)}:${String(r.directory)}` : undefined,
        kilobytes: typeof r?.kilobytes === 'number' ? r.kilobytes : undefined,
        files: Array.isArray(r?.files) ? r.files.length : undefined,
        note: typeof r?.note === 'string' ? r.note : undefined,
      });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Updates the run accepted: each change recorded in its history with who asked (validators keep refusals out). */
function controlsOf(events: History['events'], conv: PayloadConverter): ControlView[] {
  return (events ?? []).flatMap((e) => {
    const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (!input?.name) return [];
    const args = asObject(first(conv, input.args));
    return [{ at: timeOf(e.eventTime) ?? '', name: input.name, by: typeof args?.requestedBy === 'string' ? args.requestedBy : undefined, args }];
  });
}

function errorsOf(all: ExecutionTimeline[]): RunError[] {
  const out: RunError[] = [];
  for (const ex of all) {
    for (const s of ex.steps) {
      if (s.lastFailure) out.push({ at: s.startedAt ?? s.scheduledAt, workflowId: ex.workflowId, where: `${s.activity} attempt ${s.attempts - 1} (retried)`, message: s.lastFailure });
      if (s.failure) out.push({ at: s.endedAt, workflowId: ex.workflowId, where: `${s.activity} (${s.outcome} after ${s.attempts} attempt${s.attempts === 1 ? '' : 's'})`, message: s.failure });
    }
    if (ex.failure && ex.status !== 'cancelled') out.push({ at: ex.endedAt, workflowId: ex.workflowId, where: ex.workflowType, message: ex.failure });
  }
  return out.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

/** The whole run: parent history plus whatever child histories and live state the caller could fetch. */
export function buildRunTimeline(history: History, src: TimelineSources = {}, ids?: { workflowId: string; runId: string }): RunTimeline {
  const conv = src.converter ?? defaultPayloadConverter;
  const events = history.events ?? [];
  const t = executionTimeline(history, src, 0, ids);
  const start = events.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
  const memo = Object.fromEntries(Object.entries(start?.memo?.fields ?? {}).map(([k, v]) => [k, decode(conv, v)]));
  const attrs = searchAttributes(events, conv);
  const failed = events[events.length - 1]?.workflowExecutionFailedEventAttributes?.failure;
  const failureDetails = first(conv, failed?.applicationFailureInfo?.details);
  const all = [t, ...descendants(t)];
  const input = asObject(t.input);
  const rebalance = t.workflowType === 'rebalanceWorkflow' ? t.result : asObject(t.result)?.rebalance;
  const outcomeAttr = attrs.RecoveryOutcome;
  return {
    ...t,
    requestedBy: (memo.requestedBy ?? input?.requestedBy) as string | undefined,
    command: memo.command as string | undefined,
    identity: start?.identity ?? undefined,
    searchAttributes: attrs,
    outcome: t.status === 'running' ? 'running' : typeof outcomeAttr === 'string' && (t.status === 'completed' || t.status === 'failed') ? outcomeAttr : t.status,
    plan: planOf(t, failureDetails, src.live),
    rebalance: rebalance as RebalanceResult | undefined,
    catalogChanges: catalogChanges(all),
    evidence: evidenceOf(all),
    controls: controlsOf(events, conv),
    errors: errorsOf(all),
  };
}

/** Workflow id and run id of every child started in this history, to fetch their own histories. */
export function childExecutions(history: History): Array<{ workflowId: string; runId: string }> {
  return (history.events ?? []).flatMap((e) => {
    const x = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    return x?.workflowId && x.runId ? [{ workflowId: x.workflowId, runId: x.runId }] : [];
  });
}
