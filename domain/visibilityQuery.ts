// Pure: `gprecover history` options -> a Temporal visibility query. No client, so it is unit-tested on its own; the
// automatic check's activity asks the same queries.
import { InvalidRequestError } from './failures';
import { AUTO_DECISIONS, RECOVERY_TYPES } from './searchAttributes';

export { AUTO_DECISIONS, RECOVERY_TYPES } from './searchAttributes';

export const TOP_LEVEL_WORKFLOW_TYPES = ['recoveryWorkflow', 'rebalanceWorkflow'] as const;
export const SEGMENT_WORKFLOW_TYPE = 'segmentRecoveryWorkflow';
export const AUTO_WORKFLOW_TYPE = 'autoRecoveryWorkflow';


/** CLI spelling -> ExecutionStatus value in the visibility store. */
export const STATUS_VALUES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
};


export interface HistoryFilter {
  cluster?: string;
  since?: Date;
  /** A key of STATUS_VALUES. */
  status?: string;
  type?: string;
  /** Dry runs too (segment children are fetched separately, by their root run). */
  all?: boolean;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** '30m', '24h', '7d', '2w', or a date ('2024-05-01', '2024-05-01T10:00:00Z'); returns the instant to list from. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const rel = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (rel) {
    const n = Number(rel[1]);
    if (n > 0) return new Date(now.getTime() - n * UNIT_MS[rel[2]]);
  } else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const d = new Date(value.trim());
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new InvalidRequestError(`--since must be a duration like 30m, 24h, 7d or 2w, or a date like 2024-05-01, not '${value}'`);
}

export function checkStatus(value: string): string {
  if (!(value in STATUS_VALUES)) throw new InvalidRequestError(`--status must be one of ${Object.keys(STATUS_VALUES).join(', ')}, not '${value}'`);
  return value;
}

export function checkType(value: string): string {
  if (!(RECOVERY_TYPES as readonly string[]).includes(value)) throw new InvalidRequestError(`--type must be one of ${RECOVERY_TYPES.join(', ')}, not '${value}'`);
  return value;
}

/**
 * A string literal of the visibility query language (a SQL dialect): backslash and quote are escaped, so a
 * cluster named `o'brien` is matched exactly instead of ending the literal.
 */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const inList = (values: readonly string[]) => `(${values.map(quote).join(', ')})`;

/**
 * The dev server's SQLite visibility store never matches a Keyword holding `"` or `\` with `=`, however the
 * literal is escaped; such a name is narrowed with STARTS_WITH on its plain prefix and matched exactly by the caller.
 */
export function clusterNeedsExactCheck(cluster: string): boolean {
  return /["\\]/.test(cluster);
}

export function clusterCondition(cluster: string): string {
  if (!clusterNeedsExactCheck(cluster)) return `ClusterName = ${quote(cluster)}`;
  const prefix = cluster.slice(0, cluster.search(/["\\]/));
  return prefix ? `ClusterName STARTS_WITH ${quote(prefix)}` : 'ClusterName IS NOT NULL';
}

export function buildHistoryQuery(f: HistoryFilter): string {
  const parts = [`WorkflowType IN ${inList(TOP_LEVEL_WORKFLOW_TYPES)}`];
  // A rebalance started by `start-recovery -r` is a child of that run: it belongs under it, not beside it. A recovery
  // never runs under another one: one with a parent was started by an automatic run, and is a run of its own.
  parts.push(`(ParentWorkflowId IS NULL OR WorkflowType = 'recoveryWorkflow')`);
  if (f.cluster !== undefined) parts.push(clusterCondition(f.cluster));
  if (f.since) parts.push(`StartTime > ${quote(f.since.toISOString())}`);
  if (f.status) parts.push(`ExecutionStatus = ${quote(STATUS_VALUES[checkStatus(f.status)])}`);
  if (f.type) parts.push(`RecoveryType = ${quote(checkType(f.type))}`);
  // A running run has no outcome yet; IS NULL keeps it (a bare != would drop it in SQL visibility stores).
  if (!f.all) parts.push(`(RecoveryOutcome IS NULL OR RecoveryOutcome != 'dry-run')`);
  return parts.join(' AND ');
}

/** The segment children of the given runs (by root run id), for `history --all`. */
export function buildChildrenQuery(rootRunIds: readonly string[]): string {
  return `WorkflowType = ${quote(SEGMENT_WORKFLOW_TYPE)} AND RootRunId IN ${inList(rootRunIds)}`;
}

export interface DecisionFilter {
  cluster?: string;
  since?: Date;
  /** A value of AUTO_DECISIONS. */
  decision?: string;
  status?: string;
}

/** The automatic runs (autoRecoveryWorkflow): each one's decision, for `history --auto`, `auto status` and the workflow. */
export function buildDecisionQuery(f: DecisionFilter): string {
  const parts = [`WorkflowType = ${quote(AUTO_WORKFLOW_TYPE)}`];
  if (f.cluster !== undefined) parts.push(clusterCondition(f.cluster));
  if (f.since) parts.push(`StartTime > ${quote(f.since.toISOString())}`);
  if (f.decision) {
    if (!(AUTO_DECISIONS as readonly string[]).includes(f.decision)) throw new InvalidRequestError(`decision must be one of ${AUTO_DECISIONS.join(', ')}, not '${f.decision}'`);
    parts.push(`AutoDecision = ${quote(f.decision)}`);
  }
  if (f.status) parts.push(`ExecutionStatus = ${quote(STATUS_VALUES[checkStatus(f.status)])}`);
  return parts.join(' AND ');
}
