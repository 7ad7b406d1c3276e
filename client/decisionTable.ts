// Pure: visibility records of automatic runs (autoRecoveryWorkflow) -> their decisions, and those as a table.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { formatTable } from '../cluster/format/table';
import type { AutoRunMemo } from '../domain/autoPolicy';
import { AutoDecisionKey, ClusterNameKey, ContentIdsKey, RecoveryOutcomeKey, RecoveryTypeKey } from '../domain/searchAttributes';
import { requesterLabel, statusName } from './historyTable';

export interface DecisionRow {
  workflowId: string;
  runId: string;
  cluster?: string;
  /** started, skipped or failed; `deciding` while a run has not decided yet. */
  decision: string;
  /** Why, in one word (domain/autoPolicy.ts AutoReasonCode). */
  code?: string;
  reason?: string;
  actionable?: boolean;
  /** The recovery type it started (or rebalance). */
  type?: string;
  contents: string[];
  /** The started recovery's outcome, `running` while it runs. */
  outcome?: string;
  recovery?: { workflowId: string; runId: string };
  /** Who started the automatic run: `schedule gprecover-auto-<cluster>`, or `auto run <id>` by hand. */
  by?: string;
  status: string;
  startTime: string;
}

export function toDecisionRow(info: WorkflowExecutionInfo): DecisionRow {
  const sa = info.typedSearchAttributes;
  const memo = (info.memo ?? {}) as AutoRunMemo;
  const status = statusName(info.status.name);
  const decision = sa.get(AutoDecisionKey) ?? (status === 'running' ? 'deciding' : 'failed');
  const outcome = decision === 'started' ? sa.get(RecoveryOutcomeKey) ?? (status === 'running' ? 'running' : status) : undefined;
  const row: DecisionRow = {
    workflowId: info.workflowId,
    runId: info.runId,
    cluster: sa.get(ClusterNameKey),
    decision,
    code: memo.code,
    reason: memo.reason ?? (decision === 'failed' ? `the automatic run ${status}${memo.error ? `: ${memo.error}` : ''}` : undefined),
    actionable: memo.actionable,
    type: sa.get(RecoveryTypeKey),
    contents: sa.get(ContentIdsKey) ?? [],
    outcome,
    recovery: memo.recovery,
    by: requesterLabel(memo.requestedBy),
    status,
    startTime: info.startTime.toISOString(),
  };
  if (outcome && outcome !== 'succeeded' && memo.error) row.reason = `${row.reason ?? ''} -> ${memo.error}`;
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as unknown as DecisionRow;
}

const when = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')}Z`;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function formatDecisionTable(rows: DecisionRow[], opts: { showCluster?: boolean; reasonWidth?: number } = {}): string[] {
  const header = ['START (UTC)', ...(opts.showCluster ? ['CLUSTER'] : []), 'DECISION', 'TYPE', 'CONTENTS', 'OUTCOME', 'BY', 'REASON'];
  return formatTable(header, rows.map((r) => [
    when(r.startTime),
    ...(opts.showCluster ? [r.cluster ?? '-'] : []),
    r.code && r.decision !== 'started' ? `${r.decision} (${r.code})` : r.decision,
    r.type ?? '-',
    r.contents.join(',') || '-',
    r.outcome ?? '-',
    r.by ?? '-',
    cut(r.reason ?? '', opts.reasonWidth ?? 140),
  ]));
}
