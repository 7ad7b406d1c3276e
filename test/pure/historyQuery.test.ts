import { describe, expect, it } from 'vitest';
import {
  buildChildrenQuery, buildHistoryQuery, checkStatus, checkType, clusterNeedsExactCheck, parseSince, quote,
} from '../../domain/visibilityQuery';
import { InvalidRequestError } from '../../domain/failures';
import { formatHistoryTable, statusName, type HistoryRow } from '../../client/historyTable';

const now = new Date('2024-05-10T12:00:00.000Z');

describe('parseSince', () => {
  it('reads minutes, hours, days and weeks back from now', () => {
    expect(parseSince('30m', now).toISOString()).toBe('2024-05-10T11:30:00.000Z');
    expect(parseSince('24h', now).toISOString()).toBe('2024-05-09T12:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2024-05-03T12:00:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2024-04-26T12:00:00.000Z');
  });
  it('reads dates', () => {
    expect(parseSince('2024-05-01', now).toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(parseSince('2024-05-01T10:30:00Z', now).toISOString()).toBe('2024-05-01T10:30:00.000Z');
  });
  it.each(['7', 'd', '7x', '-1d', '0h', 'yesterday', '2024-13-45', '7d;DROP'])('refuses %j with a one-line usage error', (bad) => {
    expect(() => parseSince(bad, now)).toThrow(InvalidRequestError);
    expect(() => parseSince(bad, now)).toThrow(/^--since must be a duration like 30m, 24h, 7d or 2w, or a date like 2024-05-01, not '.*'$/);
  });
});

describe('checkStatus / checkType', () => {
  it('accepts the documented values', () => {
    for (const s of ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out']) expect(checkStatus(s)).toBe(s);
    for (const t of ['full', 'incremental', 'differential', 'rebalance', 'mixed']) expect(checkType(t)).toBe(t);
  });
  it('refuses others with a one-line usage error listing the choices', () => {
    expect(() => checkStatus('Failed')).toThrow("--status must be one of running, completed, failed, cancelled, terminated, timed-out, not 'Failed'");
    expect(() => checkStatus('canceled')).toThrow(InvalidRequestError);
    expect(() => checkType('fast')).toThrow("--type must be one of full, incremental, differential, rebalance, mixed, not 'fast'");
  });
});

describe('quote', () => {
  it('escapes quotes and backslashes so a value cannot end the literal', () => {
    expect(quote('demo')).toBe("'demo'");
    expect(quote("o'brien")).toBe("'o\\'brien'");
    expect(quote("x' OR 'a'='a")).toBe("'x\\' OR \\'a\\'=\\'a'");
    expect(quote('a\\')).toBe("'a\\\\'");
    // A trailing backslash must not escape the closing quote.
    expect(quote("a\\'")).toBe("'a\\\\\\''");
  });
});

describe('buildHistoryQuery', () => {
  it('without filters lists top-level recoveries and rebalances (and recoveries automatic runs started), dry runs excluded', () => {
    expect(buildHistoryQuery({})).toBe(
      "WorkflowType IN ('recoveryWorkflow', 'rebalanceWorkflow') AND (ParentWorkflowId IS NULL OR WorkflowType = 'recoveryWorkflow')"
      + " AND (RecoveryOutcome IS NULL OR RecoveryOutcome != 'dry-run')",
    );
  });
  it('combines every filter with AND', () => {
    const q = buildHistoryQuery({ cluster: 'prod', since: parseSince('24h', now), status: 'timed-out', type: 'full' });
    expect(q).toBe(
      "WorkflowType IN ('recoveryWorkflow', 'rebalanceWorkflow') AND (ParentWorkflowId IS NULL OR WorkflowType = 'recoveryWorkflow') AND ClusterName = 'prod'"
      + " AND StartTime > '2024-05-09T12:00:00.000Z' AND ExecutionStatus = 'TimedOut' AND RecoveryType = 'full'"
      + " AND (RecoveryOutcome IS NULL OR RecoveryOutcome != 'dry-run')",
    );
  });
  it('maps cancelled to the store spelling Canceled', () => {
    expect(buildHistoryQuery({ status: 'cancelled' })).toContain("ExecutionStatus = 'Canceled'");
  });
  it('--all keeps dry runs', () => {
    expect(buildHistoryQuery({ all: true })).not.toContain('dry-run');
  });
  it('quotes the cluster name', () => {
    expect(buildHistoryQuery({ cluster: "o'brien" })).toContain("ClusterName = 'o\\'brien'");
  });
  it('narrows names the SQLite store cannot match exactly with their plain prefix', () => {
    expect(clusterNeedsExactCheck('a"b')).toBe(true);
    expect(clusterNeedsExactCheck('a\\b')).toBe(true);
    expect(clusterNeedsExactCheck("o'b")).toBe(false);
    expect(buildHistoryQuery({ cluster: 'we"ird' })).toContain("ClusterName STARTS_WITH 'we'");
    expect(buildHistoryQuery({ cluster: '"x' })).toContain('ClusterName IS NOT NULL');
  });
  it('validates status and type even when called directly', () => {
    expect(() => buildHistoryQuery({ status: "x' OR '1'='1" })).toThrow(InvalidRequestError);
    expect(() => buildHistoryQuery({ type: 'nope' })).toThrow(InvalidRequestError);
  });
});

describe('buildChildrenQuery', () => {
  it('selects segment workflows under the given root runs', () => {
    expect(buildChildrenQuery(['r1', 'r2'])).toBe("WorkflowType = 'segmentRecoveryWorkflow' AND RootRunId IN ('r1', 'r2')");
  });
});

describe('history table', () => {
  const row = (over: Partial<HistoryRow>): HistoryRow => ({
    workflowId: 'gprecover-prod', runId: '0123456789abcdef', workflowType: 'recoveryWorkflow', cluster: 'prod',
    recoveryType: 'incremental', contents: ['0', '3'], outcome: 'succeeded', status: 'completed',
    startTime: '2024-05-10T11:00:00.000Z', closeTime: '2024-05-10T11:03:12.000Z', durationMs: 192_000, ...over,
  });
  it('spells statuses as the --status values', () => {
    expect(statusName('TIMED_OUT')).toBe('timed-out');
    expect(statusName('CANCELLED')).toBe('cancelled');
    expect(statusName('CONTINUED_AS_NEW')).toBe('continued-as-new');
  });
  it('prints the columns, short run ids, children indented', () => {
    const lines = formatHistoryTable([
      row({ children: [row({ workflowId: 'gprecover-prod-01234567-dbid5', workflowType: 'segmentRecoveryWorkflow', runId: 'fedcba9876543210', contents: [], durationMs: 61_000 })] }),
      row({ workflowId: 'gprecover-prod', runId: 'aaaaaaaabbbb', status: 'running', outcome: 'running', contents: Array.from({ length: 40 }, (_, i) => String(i)), durationMs: 5_000, recoveryType: 'full' }),
    ]);
    expect(lines[0]).toMatch(/^START \(UTC\)\s+WORKFLOW ID\s+RUN\s+TYPE\s+CONTENTS\s+OUTCOME\s+DURATION\s+BY\s+ERROR$/);
    expect(lines[1]).toMatch(/^2024-05-10 11:00:00Z\s+gprecover-prod\s+01234567\s+incremental\s+0,3\s+succeeded\s+3m12s$/);
    expect(lines[2]).toMatch(/└ gprecover-prod-01234567-dbid5\s+fedcba98\s+segment\s+dbid 5\s+succeeded\s+1m01s$/);
    expect(lines[3]).toMatch(/aaaaaaaa\s+full\s+0,1,2,\S*… \(\d+ more\)\s+running\s+5\.0s\+$/);
    expect(formatHistoryTable([row({})], { showCluster: true })[0]).toContain('CLUSTER');
    expect(formatHistoryTable([row({ by: 'schedule gprecover-auto-prod' })])[1]).toMatch(/succeeded\s+3m12s\s+schedule gprecover-auto-prod$/);
  });
});
