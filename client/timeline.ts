// Pure: event histories of a run and its child workflows -> a timeline (what started it, the plan, each segment's
// steps, catalog changes, errors, outcome), and that timeline as text. `gprecover show` fetches; this only reads.
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { SegmentRow } from '../domain/segment';
import type { Location, RebalanceResult, RecoveryStatus, SkippedContent } from '../domain/recovery';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
type Payload = temporal.api.common.v1.IPayload;
type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** 'abandoned': still open when its workflow closed (terminated, or cancelled without waiting for it). */
export type StepOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'running' | 'abandoned';

export interface ActivityStep {
  activity: string;
  activityId: string;
  scheduledAt: string;
  /** Start of the last attempt (the server records only that one). */
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  attempts: number;
  outcome: StepOutcome;
  /** The attempt before the last one failed with this (retries are not separate events). */
  lastFailure?: string;
  failure?: string;
  input?: unknown;
  result?: unknown;
  /** Running only: latest heartbeat (copy progress, WAL left). */
  heartbeat?: unknown;
  cancelRequestedAt?: string;
}

export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'continued-as-new';

export interface ExecutionTimeline {
  workflowId: string;
  runId: string;
  workflowType: string;
  status: ExecutionStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  input?: unknown;
  result?: unknown;
  failure?: string;
  steps: ActivityStep[];
  children: ExecutionTimeline[];
  /** A child whose history was not supplied (deleted by retention, or not readable). */
  missingHistory?: boolean;
}

export interface PlanItemView {
  dbid: number;
  content: number;
  type: string;
  failed?: string;
  target: Location;
  moved: boolean;
  sourceDbid?: number;
}

export interface PlanView {
  /** Where the plan was read from: the run's result, its failure details, a live query, or the children's inputs. */
  from: 'result' | 'failure details' | 'live status' | 'child inputs';
  items: PlanItemView[];
  skipped: SkippedContent[];
  warnings: string[];
}

export interface CatalogChange {
  at: string;
  activity: 'updateCatalog' | 'backOutCatalog';
  dbid: number;
  workflowId: string;
  outcome: StepOutcome;
  before?: SegmentRow;
  after?: SegmentRow;
  rewritten?: boolean;
  /** backOutCatalog: whether the row was put back. */
  restored?: boolean;
  reason?: string;
}

export interface RunError {
  at?: string;
  workflowId: string;
  where: string;
  message: string;
}

export interface RunTimeline extends ExecutionTimeline {
  requestedBy?: string;
  command?: string;
  /** The client identity that started the run (pid@host for the SDK, the UI's identity for the Web UI). */
  identity?: string;
  searchAttributes: Record<string, unknown>;
  outcome: string;
  plan?: PlanView;
  rebalance?: RebalanceResult;
  catalogChanges: CatalogChange[];
  errors: RunError[];
}

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

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);

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

function activitySteps(events: HistoryEvent[], conv: PayloadConverter, pending: PendingActivity[] = []): ActivityStep[] {
  const byScheduled = new Map<number, ActivityStep>();
  const steps: ActivityStep[] = [];
  for (const e of events) {
    const at = timeOf(e.eventTime);
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

function descendants(t: ExecutionTimeline): ExecutionTimeline[] {
  return t.children.flatMap((c) => [c, ...descendants(c)]);
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
      if (s.activity === 'updateCatalog') {
        const change = asObject(input?.change);
        const r = asObject(s.result);
        out.push({
          at: s.endedAt ?? s.scheduledAt, activity: 'updateCatalog', dbid: Number(change?.dbid), workflowId: ex.workflowId, outcome: s.outcome,
          before: r?.before as SegmentRow | undefined, after: r?.after as SegmentRow | undefined, rewritten: r?.rewritten as boolean | undefined,
        });
      } else if (s.activity === 'backOutCatalog') {
        const before = input?.before as SegmentRow | undefined;
        out.push({
          at: s.endedAt ?? s.scheduledAt, activity: 'backOutCatalog', dbid: Number(before?.dbid), workflowId: ex.workflowId, outcome: s.outcome,
          after: before, restored: typeof s.result === 'boolean' ? s.result : undefined, reason: input?.reason as string | undefined,
        });
      }
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
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

// ---- text ----

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

const clock = (iso?: string) => (iso ? iso.slice(11, 23) : '?'.padEnd(12));
const rowText = (r?: SegmentRow) => (r ? `${r.role}/${r.mode}/${r.status} ${r.hostname}:${r.port}:${r.datadir}` : '?');
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

function compactJson(v: unknown, max = 400): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars; --json for all)` : s;
}

function stepLine(s: ActivityStep, indent: string): string {
  const attempts = s.attempts > 1 ? `  ${s.attempts} attempts` : '';
  const dur = s.outcome === 'running' ? 'running' : formatDuration(s.durationMs);
  const tail = s.failure ? `  ${oneLine(s.failure)}` : s.heartbeat !== undefined ? `  ${oneLine(String(s.heartbeat))}` : '';
  const earlier = s.lastFailure ? `\n${indent}                  earlier attempt failed: ${oneLine(s.lastFailure)}` : '';
  return `${indent}${clock(s.scheduledAt)}  ${s.activity.padEnd(24)} ${s.outcome.padEnd(9)} ${dur.padStart(8)}${attempts}${tail}${earlier}`;
}

function executionLines(ex: ExecutionTimeline, indent: string): string[] {
  const input = asObject(ex.input);
  const item = asObject(input?.item);
  const label = item ? `segment dbid ${item.dbid} (content ${item.content}, ${item.type}${item.moved ? ', moved' : ''})` : ex.workflowType;
  const lines = [`${indent}${label}  ${ex.workflowId}  run ${ex.runId.slice(0, 8)}  ${ex.status}  ${clock(ex.startedAt)} -> ${ex.endedAt ? clock(ex.endedAt) : 'now'}  ${formatDuration(ex.durationMs)}`];
  if (ex.missingHistory) lines.push(`${indent}  (its history could not be read; status from the parent's events)`);
  for (const s of ex.steps) lines.push(stepLine(s, `${indent}  `));
  const lastStepFailure = ex.steps.filter((s) => s.failure).at(-1)?.failure;
  if (ex.failure && ex.status !== 'completed' && ex.failure !== lastStepFailure) lines.push(`${indent}  ${ex.status}: ${oneLine(ex.failure)}`);
  for (const c of ex.children) lines.push(...executionLines(c, `${indent}  `));
  return lines;
}

export function formatTimeline(t: RunTimeline): string[] {
  const lines = [
    `${t.workflowId}  run ${t.runId}  ${t.workflowType}  ${t.status.toUpperCase()}  outcome ${t.outcome}`,
    `  started  ${t.startedAt ?? '?'}${t.requestedBy ? `  by ${t.requestedBy}` : ''}${t.identity ? `  (client ${t.identity})` : ''}`,
  ];
  if (t.command) lines.push(`  command  ${t.command}`);
  lines.push(`  input    ${compactJson(t.input)}`);
  lines.push(t.endedAt ? `  ended    ${t.endedAt}  after ${formatDuration(t.durationMs)}` : `  running  for ${formatDuration(t.durationMs)}`);
  const attrs = Object.entries(t.searchAttributes).filter(([k]) => !k.startsWith('Temporal'));
  if (attrs.length) lines.push(`  search   ${attrs.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ')}`);

  lines.push('', t.plan ? `Plan (from ${t.plan.from}): ${t.plan.items.length} segment(s) to recover` : 'Plan: none recorded (the run ended before planning finished)');
  for (const i of t.plan?.items ?? []) {
    const to = `${i.target.hostname}:${i.target.port}:${i.target.datadir}`;
    lines.push(`  dbid ${String(i.dbid).padEnd(4)} content ${String(i.content).padEnd(4)} ${i.type.padEnd(12)} ${i.moved && i.failed ? `${i.failed} -> ` : ''}${to}${i.sourceDbid !== undefined ? `  from dbid ${i.sourceDbid}` : ''}`);
  }
  for (const s of t.plan?.skipped ?? []) lines.push(`  dbid ${String(s.dbid).padEnd(4)} content ${String(s.content).padEnd(4)} skipped: ${s.reason}`);
  for (const w of t.plan?.warnings ?? []) lines.push(`  warning: ${w}`);
  if (t.rebalance) lines.push(`  rebalance: swapped contents [${t.rebalance.swapped.join(', ')}], recovered dbids [${t.rebalance.recovered.join(', ')}]${t.rebalance.skipped.length ? `, skipped ${t.rebalance.skipped.map((s) => `content ${s.content} (${s.reason})`).join('; ')}` : ''}`);

  lines.push('', 'Timeline (UTC):');
  for (const s of t.steps) lines.push(stepLine(s, '  '));
  for (const c of t.children) lines.push(...executionLines(c, '  '));

  lines.push('', t.catalogChanges.length ? 'Catalog changes:' : 'Catalog changes: none');
  for (const c of t.catalogChanges) {
    if (c.activity === 'updateCatalog') {
      lines.push(`  ${clock(c.at)}  dbid ${c.dbid} updated (${c.outcome}): ${rowText(c.before)} -> ${rowText(c.after)}${c.rewritten ? ' (row re-added)' : ''}`);
    } else {
      lines.push(`  ${clock(c.at)}  dbid ${c.dbid} backed out (${c.outcome}${c.restored === false ? ', nothing to restore' : ''}): restored ${rowText(c.after)}${c.reason ? `  reason: ${oneLine(c.reason)}` : ''}`);
    }
  }
  if (t.errors.length) {
    lines.push('', 'Errors:');
    for (const e of t.errors) lines.push(`  ${clock(e.at)}  ${e.workflowId === t.workflowId ? '' : `${e.workflowId}  `}${e.where}: ${oneLine(e.message)}`);
  }
  const segs = descendants(t).filter((c) => c.workflowType === 'segmentRecoveryWorkflow');
  const done = segs.filter((c) => c.status === 'completed').length;
  lines.push('', `Outcome: ${t.outcome}${segs.length ? ` (${done} of ${segs.length} segment workflow(s) completed)` : ''}${t.failure && t.status !== 'completed' ? `: ${oneLine(t.failure)}` : ''}`);
  return lines;
}
