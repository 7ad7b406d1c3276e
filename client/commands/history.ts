import type { Client } from '@temporalio/client';
import { commandHelp, defineCommand, intOption, parseCommand } from '../args';
import { UsageError } from '../errors';
import {
  buildChildrenQuery, buildDecisionQuery, buildHistoryQuery, checkStatus, checkType, parseSince, type DecisionFilter, type HistoryFilter,
} from '../../domain/visibilityQuery';
import { formatHistoryTable, toHistoryRow, type HistoryRow } from '../historyTable';
import { formatDecisionTable, toDecisionRow, type DecisionRow } from '../decisionTable';
import { openClient } from '../temporalClient';

export const HISTORY = defineCommand({
  name: 'history',
  summary: "Past and running recoveries and rebalances, newest first, from Temporal's visibility store, with the root cause of each failure.",
  options: {
    cluster: { type: 'string', arg: 'C', help: 'only runs of this cluster' },
    since: { type: 'string', arg: 'D', help: 'started within the last D (30m, 24h, 7d, 2w) or after a date (2024-05-01)' },
    status: { type: 'string', arg: 'S', help: 'running, completed, failed, cancelled, terminated or timed-out' },
    type: { type: 'string', arg: 'T', help: 'full, incremental, differential, rebalance or mixed' },
    limit: { type: 'string', arg: 'N', help: 'at most N runs (default 20)' },
    all: { type: 'boolean', help: "also dry runs, and each run's per-segment child workflows" },
    auto: { type: 'boolean', help: "the automatic runs' decisions instead (gprecover auto): started or skipped, and why" },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  notes: [
    "BY is who started a run: user@host, or the schedule 'schedule gprecover-auto-<cluster>' for an automatic one.",
    "'gprecover show WORKFLOW_ID --run RUN_ID' gives one run's timeline.",
  ],
});

const CHILD_CHUNK = 50;

/** Newest `limit` runs matching the filter (plus their segment children with `all`). */
export async function listRuns(client: Client, filter: HistoryFilter, limit: number, now = new Date()): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  // A recovery an automatic run started has that run as its root: its segments are found under the root's run id.
  const rootOf = new Map<HistoryRow, string>();
  for await (const info of client.workflow.list({ query: buildHistoryQuery(filter), pageSize: Math.min(limit, 100) })) {
    const row = toHistoryRow(info, now);
    // The query can only narrow some names (see clusterNeedsExactCheck); the exact match is here.
    if (filter.cluster !== undefined && row.cluster !== filter.cluster) continue;
    rows.push(row);
    rootOf.set(row, info.rootExecution?.runId ?? info.runId);
    if (rows.length >= limit) break;
  }
  rows.sort((a, b) => b.startTime.localeCompare(a.startTime));
  if (filter.all && rows.length) {
    const byRun = new Map(rows.map((r) => [rootOf.get(r)!, r]));
    for (let i = 0; i < rows.length; i += CHILD_CHUNK) {
      const runIds = rows.slice(i, i + CHILD_CHUNK).map((r) => rootOf.get(r)!);
      for await (const info of client.workflow.list({ query: buildChildrenQuery(runIds) })) {
        const parent = byRun.get(info.rootExecution?.runId ?? '');
        if (parent) (parent.children ??= []).push(toHistoryRow(info, now));
      }
    }
    const dbid = (r: HistoryRow) => Number(/-dbid(\d+)$/.exec(r.workflowId)?.[1] ?? Infinity);
    for (const r of rows) r.children?.sort((a, b) => dbid(a) - dbid(b) || a.workflowId.localeCompare(b.workflowId));
  }
  return rows;
}

/** Newest `limit` automatic runs (autoRecoveryWorkflow) matching the filter, each with its decision and reason. */
export async function listDecisions(client: Client, filter: DecisionFilter, limit: number): Promise<DecisionRow[]> {
  const rows: DecisionRow[] = [];
  for await (const info of client.workflow.list({ query: buildDecisionQuery(filter), pageSize: Math.min(limit, 100) })) {
    const row = toDecisionRow(info);
    if (filter.cluster !== undefined && row.cluster !== filter.cluster) continue;
    rows.push(row);
    if (rows.length >= limit) break;
  }
  return rows.sort((a, b) => b.startTime.localeCompare(a.startTime));
}

async function decisionsCommand(filter: DecisionFilter, limit: number, json: boolean | undefined): Promise<number> {
  const { client, close } = await openClient();
  try {
    const rows = await listDecisions(client, filter, limit);
    if (json) console.log(JSON.stringify(rows, null, 2));
    else if (!rows.length) console.log("no automatic runs match ('gprecover auto enable' starts them)");
    else console.log(formatDecisionTable(rows, { showCluster: filter.cluster === undefined }).join('\n'));
    return 0;
  } finally {
    await close();
  }
}

export async function historyCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(HISTORY, argv);
  if (help) {
    console.log(commandHelp(HISTORY));
    return 0;
  }
  if (values.cluster === '') throw new UsageError('--cluster needs a cluster name');
  const filter: HistoryFilter = {
    cluster: values.cluster,
    since: values.since !== undefined ? parseSince(values.since) : undefined,
    status: values.status !== undefined ? checkStatus(values.status) : undefined,
    type: values.type !== undefined ? checkType(values.type) : undefined,
    all: values.all,
  };
  const limit = intOption(values.limit, '--limit', 1, 10_000) ?? 20;
  if (values.auto) {
    if (values.type !== undefined || values.all) throw new UsageError('--type and --all list runs; they do not apply with --auto');
    return decisionsCommand({ cluster: filter.cluster, since: filter.since, status: filter.status }, limit, values.json);
  }
  const { client, close } = await openClient();
  try {
    const rows = await listRuns(client, filter, limit);
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
    } else if (!rows.length) {
      console.log('no runs match (dry runs and segment workflows are shown with --all)');
    } else {
      console.log(formatHistoryTable(rows, { showCluster: filter.cluster === undefined }).join('\n'));
    }
    return 0;
  } finally {
    await close();
  }
}
