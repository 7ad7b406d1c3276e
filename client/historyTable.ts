// Pure: visibility records -> rows of `gprecover history`, and those rows as a table.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { ClusterNameKey, ContentIdsKey, RecoveryOutcomeKey, RecoveryTypeKey } from '../domain/searchAttributes';
import { formatTable } from '../cluster/format/table';
import { SCHEDULE_REQUESTER_PREFIX } from '../domain/autoPolicy';
import { formatDuration } from './timeline';

export interface HistoryRow {
  workflowId: string;
  runId: string;
  workflowType: string;
  cluster?: string;
  /** RecoveryType search attribute: full, incremental, differential, mixed, rebalance. */
  recoveryType?: string;
  contents: string[];
  /** RecoveryOutcome when the run closed normally, else the execution status. */
  outcome: string;
  status: string;
  startTime: string;
  closeTime?: string;
  durationMs?: number;
  /** Segment children (history --all). */
  children?: HistoryRow[];
  /** Root cause of a failed run (from its memo). */
  error?: string;
  /** Who started the run: `user@host`, or `schedule gprecover-auto-<cluster>` (from its memo's requestedBy). */
  by?: string;
}

/** `schedule:gprecover-auto-demo` -> `schedule gprecover-auto-demo`; `alice@ops-1` stays. */
export function requesterLabel(requestedBy: unknown): string | undefined {
  if (typeof requestedBy !== 'string' || !requestedBy) return undefined;
  if (requestedBy.startsWith(SCHEDULE_REQUESTER_PREFIX)) return `schedule ${requestedBy.slice(SCHEDULE_REQUESTER_PREFIX.length)}`;
  if (requestedBy.startsWith('auto:')) return `auto run ${requestedBy.slice('auto:'.length)}`;
  return requestedBy;
}

/** 'TIMED_OUT' -> 'timed-out', as the --status values are spelled. */
export const statusName = (name: string) => (name === 'CANCELLED' ? 'cancelled' : name.toLowerCase().replace(/_/g, '-'));

export function toHistoryRow(info: WorkflowExecutionInfo, now: Date = new Date()): HistoryRow {
  const sa = info.typedSearchAttributes;
  const status = statusName(info.status.name);
  const outcomeAttr = sa.get(RecoveryOutcomeKey);
  // A terminated or timed-out run never wrote its outcome; a running one has none yet.
  const outcome = (status === 'completed' || status === 'failed') && outcomeAttr ? outcomeAttr : status;
  const end = info.closeTime ?? (status === 'running' ? now : undefined);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    cluster: sa.get(ClusterNameKey),
    recoveryType: sa.get(RecoveryTypeKey) ?? (info.type === 'rebalanceWorkflow' ? 'rebalance' : undefined),
    contents: sa.get(ContentIdsKey) ?? [],
    outcome,
    status,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
    durationMs: end ? end.getTime() - info.startTime.getTime() : undefined,
    ...(typeof info.memo?.error === 'string' && status !== 'completed' ? { error: info.memo.error } : {}),
    ...(requesterLabel(info.memo?.requestedBy) ? { by: requesterLabel(info.memo?.requestedBy) } : {}),
  };
}

function contentsText(r: HistoryRow, max = 28): string {
  const dbid = /-dbid(\d+)$/.exec(r.workflowId);
  if (r.workflowType === 'segmentRecoveryWorkflow' && dbid) return `dbid ${dbid[1]}`;
  const all = r.contents.join(',');
  if (all.length <= max) return all || '-';
  let shown = '';
  let n = 0;
  for (const c of r.contents) {
    if (`${shown},${c}`.length > max - 8) break;
    shown = shown ? `${shown},${c}` : c;
    n++;
  }
  return `${shown},… (${r.contents.length - n} more)`;
}

const when = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')}Z`;

export function formatHistoryTable(rows: HistoryRow[], opts: { showCluster?: boolean } = {}): string[] {
  const header = ['START (UTC)', ...(opts.showCluster ? ['CLUSTER'] : []), 'WORKFLOW ID', 'RUN', 'TYPE', 'CONTENTS', 'OUTCOME', 'DURATION', 'BY', 'ERROR'];
  const cells = (r: HistoryRow, child: boolean) => [
    when(r.startTime),
    ...(opts.showCluster ? [r.cluster ?? '-'] : []),
    `${child ? '  └ ' : ''}${r.workflowId}`,
    r.runId.slice(0, 8),
    child ? 'segment' : r.recoveryType ?? '-',
    contentsText(r),
    r.outcome,
    `${formatDuration(r.durationMs)}${r.status === 'running' ? '+' : ''}`,
    child ? '' : r.by ?? '',
    r.error ? (r.error.length > 100 ? `${r.error.slice(0, 99)}…` : r.error) : '',
  ];
  return formatTable(header, rows.flatMap((r) => [cells(r, false), ...(r.children ?? []).map((c) => cells(c, true))]));
}
