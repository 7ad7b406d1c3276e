import { defaultPayloadConverter, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { FailureType, type UnavailableDetails } from '../domain/failures';
import type { RecoveryStatus, SegmentStatus } from '../domain/recovery';
import { where } from '../domain/segment';
import { recoveryStatusQuery, segmentProgressQuery } from '../workflows/messages';
import { formatProgress } from './progressText';
import { etaSegmentsOf, formatEta, runEta } from '../domain/eta';
import { HOST_PARALLELISM, SEGMENT_PARALLELISM } from '../domain/options';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

export interface SegmentView extends SegmentStatus {
  phase?: string;
  /** Heartbeat of the running activity: copy progress, or WAL bytes left while syncing. */
  detail?: string;
  /** What the running step has left, by its heartbeat's rate (domain/eta.ts). */
  etaSeconds?: number;
}

export interface RunView {
  workflowId: string;
  runId: string;
  status: string;
  startTime?: Date;
  closeTime?: Date;
  run?: RecoveryStatus;
  segments: SegmentView[];
  /** What the run itself waits for (the coordinator during planning), with the attempt and the last error. */
  waiting?: string;
  /** While it recovers segments: when it should be done, and on what basis. */
  eta?: { seconds?: number; basis: string; at?: string };
}

function decode<T>(payload: unknown): T | undefined {
  try {
    return defaultPayloadConverter.fromPayload(payload as never) as T;
  } catch {
    return undefined;
  }
}

/** 'waiting for the coordinator at cdw:5432 (attempt 4, last error ECONNREFUSED)' while an outage is waited out. */
export function waitingLine(pa: PendingActivity): string | undefined {
  const failure = pa.lastFailure;
  if (failure?.applicationFailureInfo?.type !== FailureType.Unavailable) return undefined;
  const details = decode<UnavailableDetails>(failure.applicationFailureInfo.details?.payloads?.[0]);
  const what = details?.waitingFor ?? 'an unreachable host';
  return `waiting for ${what} (attempt ${pa.attempt ?? '?'}, last error ${details?.lastError ?? failure.message})`;
}

function etaOf(desc: WorkflowExecutionDescription): number | undefined {
  for (const pa of desc.raw.pendingActivities ?? []) {
    const beat = decode<{ etaSeconds?: unknown }>(pa.heartbeatDetails?.payloads?.[0]);
    if (beat && typeof beat === 'object' && typeof beat.etaSeconds === 'number') return beat.etaSeconds;
  }
  return undefined;
}

function heartbeatOf(desc: WorkflowExecutionDescription): string | undefined {
  for (const pa of desc.raw.pendingActivities ?? []) {
    const waiting = waitingLine(pa);
    if (waiting) return waiting;
    const payload = pa.heartbeatDetails?.payloads?.[0];
    const activity = pa.activityType?.name ?? 'activity';
    const failure = pa.lastFailure?.message ? ` (attempt ${pa.attempt}, last error: ${pa.lastFailure.message})` : '';
    const beat = payload ? formatProgress(decode<unknown>(payload)) : undefined;
    return `${beat ?? activity}${failure}`;
  }
  return undefined;
}

/** Parent status from its query, plus phase and heartbeat of each running child: small history, live progress. */
export async function fetchRunView(client: Client, workflowId: string, runId?: string): Promise<RunView> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const desc = await handle.describe();
  let run: RecoveryStatus | undefined;
  try {
    run = await handle.query(recoveryStatusQuery);
  } catch {
    run = undefined;
  }
  const segments: SegmentView[] = await Promise.all((run?.segments ?? []).map(async (s) => {
    if (s.state !== 'running') return { ...s };
    try {
      const child = client.workflow.getHandle(s.childWorkflowId);
      const [progress, childDesc] = await Promise.all([child.query(segmentProgressQuery), child.describe()]);
      return { ...s, phase: progress.phase, detail: heartbeatOf(childDesc), etaSeconds: etaOf(childDesc) };
    } catch {
      return { ...s };
    }
  }));
  const waiting = (desc.raw.pendingActivities ?? []).map(waitingLine).find(Boolean);
  const view: RunView = { workflowId, runId: desc.runId, status: desc.status.name, startTime: desc.startTime, closeTime: desc.closeTime, run, segments, waiting };
  const eta = runEtaOf(view);
  return eta ? { ...view, eta } : view;
}

/** `[########------------]` for the first percentage in a heartbeat detail. */
export function progressBar(detail: string | undefined, width = 20): string {
  const m = /(\d{1,3})%/.exec(detail ?? '');
  if (!m) return '';
  const filled = Math.round((Math.min(100, Number(m[1])) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
}

export function segmentLine(s: SegmentView): string {
  const what = s.state === 'running' ? `${s.phase ?? 'running'}  ${progressBar(s.detail)}${s.detail ?? ''}`.trimEnd() : s.state;
  const err = s.error ? `  ${s.error}` : '';
  return `  dbid ${String(s.dbid).padEnd(4)} content ${String(s.content).padEnd(4)} ${s.type.padEnd(12)} ${s.moved ? 'move -> ' : ''}${where(s.target)}  ${what}${err}`;
}

export function runSummary(v: RunView): string[] {
  const lines = [`${v.workflowId}  ${v.status}${v.run ? `  phase ${v.run.phase}` : ''}${v.startTime ? `  started ${v.startTime.toISOString()}` : ''}`];
  if (v.waiting) lines.push(`  ${v.waiting}`);
  if (v.run?.error) lines.push(`  error: ${v.run.error}`);
  for (const s of v.segments) lines.push(segmentLine(s));
  for (const s of v.run?.skipped ?? []) lines.push(`  dbid ${String(s.dbid).padEnd(4)} content ${String(s.content).padEnd(4)} skipped: ${s.reason}`);
  for (const w of v.run?.warnings ?? []) lines.push(`  warning: ${w}`);
  lines.push(...controlLines(v));
  const eta = etaLine(v);
  if (eta) lines.push(eta);
  const finishedClean = v.run?.phase === 'done';
  if (v.run && finishedClean && v.run.segments.length === 0 && v.run.skipped.length === 0) lines.push('  No segments to recover');
  return lines;
}

/** The run's ETA while it recovers segments: from the running ones' rates and what the finished ones took. */
export function runEtaOf(v: RunView, now = new Date()): { seconds?: number; basis: string; at?: string } | undefined {
  if (v.status !== 'RUNNING' || v.run?.phase !== 'recovering') return undefined;
  const e = runEta(etaSegmentsOf(v.segments, now.getTime()), {
    hostParallelism: v.run.controls?.hostParallelism ?? HOST_PARALLELISM.default,
    segmentParallelism: v.run.controls?.segmentParallelism ?? SEGMENT_PARALLELISM.default,
  });
  return { ...e, ...(e.seconds !== undefined ? { at: new Date(now.getTime() + e.seconds * 1000).toISOString() } : {}) };
}

function etaLine(v: RunView): string | undefined {
  const e = v.eta ?? runEtaOf(v);
  if (!e) return undefined;
  return e.seconds !== undefined ? `  ETA: about ${formatEta(e.seconds)} (${e.at!.slice(11, 19)}Z): ${e.basis}` : `  ETA: not known yet (${e.basis})`;
}

/** The live controls in force and every change made to them, with who asked (gprecover set / pause / skip). */
export function controlLines(v: RunView): string[] {
  const c = v.run?.controls;
  if (!c || !c.changes.length) return [];
  const lines = [`  controls: -B ${c.hostParallelism} -b ${c.segmentParallelism}${c.paused ? `, paused (gprecover resume ${v.workflowId})` : ''}`];
  for (const ch of c.changes) lines.push(`    ${ch.at}  ${ch.what}  (by ${ch.by})`);
  return lines;
}

/** -v: what the run decided, segment by segment (gprecoverseg prints its recovery plan the same way). */
export function planLines(v: RunView): string[] {
  const lines = [`plan of ${v.workflowId}: ${v.segments.length} segment(s) to recover`];
  for (const s of v.segments) {
    lines.push(`  dbid ${s.dbid} content ${s.content}: ${s.type}${s.moved ? ' move' : ''} to ${s.target.hostname}|${s.target.address}|${s.target.port}|${s.target.datadir}`);
  }
  for (const s of v.run?.skipped ?? []) lines.push(`  dbid ${s.dbid} content ${s.content}: skipped: ${s.reason}`);
  for (const w of v.run?.warnings ?? []) lines.push(`  warning: ${w}`);
  return lines;
}
