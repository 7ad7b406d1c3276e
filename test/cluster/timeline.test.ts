import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchTimeline } from '../../client/commands/show';
import { main } from '../../client/main';
import { buildRunTimeline, formatDuration, formatTimeline, type RunTimeline } from '../../client/timeline';
import type { TemporalHarness } from '../helpers/temporal';
import { eventually, useScenarios, type Scenarios } from '../helpers/stubRuns';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const names = (t: { steps: Array<{ activity: string }> }) => t.steps.map((s) => s.activity);
const LOCAL_STEPS = ['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'startRecoveredSegment'];
const asItem = (input: unknown) => (input as { item: { dbid: number } }).item;
const SEGMENT_STEPS = ['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'copySegment', 'startRecoveredSegment', 'waitForSync'];

describe('gprecover show: timelines from real event histories', () => {
  const ctx = useScenarios('timeline');
  let h: TemporalHarness;
  let s: Scenarios;
  beforeAll(() => ({ h, s } = ctx()));

  it('a succeeded recovery: who, plan, every step of each segment, the retried copy, catalog rows, outcome', async () => {
    const t = await fetchTimeline(h.client, s.succeeded.workflowId, s.succeeded.runId);
    const a = s.clusters.a.name;
    expect(t).toMatchObject({
      workflowId: `gprecover-${a}`, runId: s.succeeded.runId, workflowType: 'recoveryWorkflow', status: 'completed', outcome: 'succeeded',
      requestedBy: 'alice@ops-1', command: `gprecover start-recovery --cluster ${a}`, input: { cluster: a, requestedBy: 'alice@ops-1' },
      searchAttributes: { ClusterName: a, RecoveryType: 'incremental', ContentIds: ['0', '1'], RecoveryOutcome: 'succeeded' },
    });
    expect(t.identity).toMatch(/@/);
    expect(t.plan).toMatchObject({ from: 'result', items: [{ dbid: 4, content: 0, type: 'incremental', sourceDbid: 2 }, { dbid: 5, content: 1, type: 'incremental', sourceDbid: 3 }] });
    expect(names(t)).toEqual(['readCluster', 'acquireRecoveryLock', 'probeTargets', 'trustRecoveryHosts', 'writeRecoveryProgress', 'releaseRecoveryLock']);
    expect(t.children.map((c) => c.workflowId)).toEqual([4, 5].map((d) => `gprecover-${a}-${s.succeeded.runId.slice(0, 8)}-dbid${d}`));
    for (const c of t.children) {
      expect(names(c)).toEqual(SEGMENT_STEPS);
      expect(c.steps.filter((st) => !(st.outcome === 'completed' && st.durationMs! >= 0 && st.endedAt! >= st.scheduledAt)).map((st) => [st.activity, st.scheduledAt, st.endedAt, st.durationMs])).toEqual([]);
      // The short steps ran as local activities: their markers, with the segment's own item as their input.
      expect(c.steps.filter((st) => st.local).map((st) => st.activity)).toEqual(LOCAL_STEPS);
      expect(c.steps.find((st) => st.activity === 'stopFailedSegment')!.input).toMatchObject({ item: { dbid: asItem(c.input).dbid } });
    }
    const copy4 = t.children[0].steps.find((st) => st.activity === 'copySegment')!;
    expect(copy4).toMatchObject({ attempts: 2, lastFailure: 'Error: pg_rewind exited 1 for dbid 4: connection reset by peer', result: { method: 'pg_rewind' } });
    expect(copy4.durationMs).toBeGreaterThanOrEqual(1900);
    expect(t.children[1].steps.find((st) => st.activity === 'copySegment')!.attempts).toBe(1);
    expect(t.catalogChanges.map((c) => [c.activity, c.dbid, c.before?.status, c.after?.mode, c.rewritten])).toEqual([
      ['updateCatalog', 4, 'd', 'n', false], ['updateCatalog', 5, 'd', 'n', false],
    ].sort((x, y) => (t.catalogChanges.findIndex((c) => c.dbid === x[1]) - t.catalogChanges.findIndex((c) => c.dbid === y[1]))));
    expect(t.errors).toEqual([expect.objectContaining({ where: 'copySegment attempt 1 (retried)', message: 'Error: pg_rewind exited 1 for dbid 4: connection reset by peer' })]);

    const text = formatTimeline(t).join('\n');
    expect(text).toContain(`gprecover-${a}  run ${s.succeeded.runId}  recoveryWorkflow  COMPLETED  outcome succeeded`);
    expect(text).toContain('by alice@ops-1');
    expect(text).toContain(`command  gprecover start-recovery --cluster ${a}`);
    expect(text).toContain('Plan (from result): 2 segment(s) to recover');
    expect(text).toMatch(/segment dbid 4 \(content 0, incremental\)\s+\S+dbid4\s+run \w{8}\s+completed/);
    expect(text).toMatch(/copySegment\s+completed\s+\d+\.\ds\s+2 attempts\n\s+earlier attempt failed: Error: pg_rewind exited 1/);
    expect(text).toMatch(/updateCatalog\s+completed\s+\S+\s+\(local\)/);
    expect(text).toMatch(/dbid 4 updated \(completed\): m\/n\/d sdw2:7000:\/data\/mirror\/gpseg0 -> m\/n\/d sdw2:7000/);
    expect(text).toContain('Outcome: succeeded (2 of 2 segment workflow(s) completed)');
  });

  it('a failed move to spare hosts: the failing copy, the back-out with its reason, errors, plan from the failure details', async () => {
    const t = await fetchTimeline(h.client, s.failed.workflowId, s.failed.runId);
    expect(t).toMatchObject({ status: 'failed', outcome: 'failed', input: { spareHosts: ['sdw3', 'sdw4'] } });
    expect(t.failure).toMatch(/^RecoveryFailed: 1 of 2 segment\(s\) failed: dbid 5: pg_basebackup exited 1/);
    expect(t.plan).toMatchObject({ from: 'failure details', items: [
      { dbid: 4, type: 'full', moved: true, failed: 'sdw2:7000:/data/mirror/gpseg0', target: { hostname: 'sdw3', port: 7000 } },
      { dbid: 5, type: 'full', moved: true, failed: 'sdw1:7000:/data/mirror/gpseg1', target: { hostname: 'sdw4', port: 7000 } },
    ] });
    const [c4, c5] = t.children;
    expect(names(c4)).toEqual(['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'wipeTarget', 'copySegment', 'startRecoveredSegment', 'waitForSync', 'removeOldLocation']);
    expect(names(c5)).toEqual(['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'wipeTarget', 'copySegment', 'backOutCatalog']);
    expect(c5.status).toBe('failed');
    expect(c5.steps[5]).toMatchObject({ outcome: 'failed', attempts: 1, failure: 'PermanentFailure: pg_basebackup exited 1 for dbid 5: could not connect to the source' });
    const backOut = t.catalogChanges.find((c) => c.activity === 'backOutCatalog')!;
    expect(backOut).toMatchObject({ dbid: 5, restored: true, outcome: 'completed', after: { dbid: 5, status: 'd' } });
    // The reason is what segmentRecoveryWorkflow passed: today the SDK wrapper's message, not the copy's error.
    expect(backOut.reason).toMatch(/Activity task failed|pg_basebackup exited 1/);
    expect(t.catalogChanges.filter((c) => c.activity === 'updateCatalog').map((c) => c.rewritten)).toEqual([true, true]);
    expect(t.errors.map((e) => e.where)).toEqual(expect.arrayContaining(['copySegment (failed after 1 attempt)', 'segmentRecoveryWorkflow', 'recoveryWorkflow']));

    const text = formatTimeline(t).join('\n');
    expect(text).toMatch(/dbid 5 backed out \(completed\): restored m\/n\/d sdw1:7000:\/data\/mirror\/gpseg1\s+reason: (Activity task failed|.*pg_basebackup exited 1)/);
    expect(text).toMatch(/dbid 4 updated \(completed\): m\/n\/d sdw2:7000:\/data\/mirror\/gpseg0 -> m\/n\/d sdw3:7000:\/data\/mirror\/gpseg0 \(row re-added\)/);
    expect(text).toContain('dbid 5    content 1    full         sdw1:7000:/data/mirror/gpseg1 -> sdw4:7000:/data/mirror/gpseg1  from dbid 3');
    expect(text).toMatch(/copySegment\s+failed\s+\S+\s+PermanentFailure: pg_basebackup exited 1/);
    expect(text).toContain('Errors:');
    expect(text).toMatch(/Outcome: failed \(1 of 2 segment workflow\(s\) completed\): RecoveryFailed: 1 of 2/);
  });

  it('a running recovery shows live state; cancelled, it says so', async () => {
    const { workflowId, runId } = s.running;
    const live = await eventually(async () => {
      const t = await fetchTimeline(h.client, workflowId, runId);
      expect(t.children[0]?.steps.find((st) => st.activity === 'waitForSync')?.heartbeat).toMatchObject({ walBytesBehind: 4096 });
      return t;
    });
    expect(live).toMatchObject({ status: 'running', outcome: 'running', plan: { from: 'live status', items: [{ dbid: 4 }] } });
    expect(live.endedAt).toBeUndefined();
    expect(live.children[0].steps.at(-1)).toMatchObject({ activity: 'waitForSync', outcome: 'running', heartbeat: { phase: 'status d mode n', walBytesBehind: 4096 } });
    expect(formatTimeline(live).join('\n')).toMatch(/waitForSync\s+running\s+running\s+status d mode n, 4096 WAL bytes behind/);

    const handle = h.client.workflow.getHandle(workflowId, runId);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const t = await eventually(async () => {
      const x = await fetchTimeline(h.client, workflowId, runId);
      expect(x.children[0].status).toBe('cancelled');
      return x;
    });
    expect(t).toMatchObject({ status: 'cancelled', outcome: 'cancelled', plan: { from: 'child inputs' } });
    expect(t.children[0].steps.at(-1)).toMatchObject({ activity: 'waitForSync', outcome: 'cancelled' });
  });

  it('a rebalance: its own steps, the swapped contents, the demoted primary recovered', async () => {
    const t = await fetchTimeline(h.client, s.rebalanced.workflowId, s.rebalanced.runId);
    expect(t).toMatchObject({ workflowType: 'rebalanceWorkflow', outcome: 'succeeded', rebalance: { swapped: [0], recovered: [4] } });
    expect(names(t)).toEqual(['readCluster', 'acquireRecoveryLock', 'replayLagBytes', 'stopPrimaryForRebalance', 'waitForPromotion', 'readCluster', 'trustRecoveryHosts', 'releaseRecoveryLock']);
    expect(t.children).toHaveLength(1);
    expect(names(t.children[0])).toEqual(SEGMENT_STEPS);
    expect(formatTimeline(t).join('\n')).toContain('rebalance: swapped contents [0], recovered dbids [4]');
  });

  it('without the children\'s histories (expired or unreadable), falls back to the parent\'s events for them', async () => {
    const history = await h.client.workflow.getHandle(s.failed.workflowId, s.failed.runId).fetchHistory();
    const t: RunTimeline = buildRunTimeline(history);
    expect(t).toMatchObject({ workflowId: s.failed.workflowId, runId: s.failed.runId, outcome: 'failed', plan: { from: 'failure details' } });
    expect(t.children.map((c) => [c.missingHistory, c.status])).toEqual([[true, 'completed'], [true, 'failed']]);
    expect(t.children[1].failure).toMatch(/^PermanentFailure: pg_basebackup exited 1/);
    expect(formatTimeline(t).join('\n')).toContain("(its history could not be read; status from the parent's events)");
  });

  it('the CLI prints the timeline, --json the object, and refuses unknown ids with one line', async () => {
    const r = await cli(['show', s.succeeded.workflowId, '--run', s.succeeded.runId]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Timeline (UTC):');
    expect(r.out).toContain(`/workflows/${encodeURIComponent(s.succeeded.workflowId)}/${s.succeeded.runId}`);
    const latest = await cli(['show', s.succeeded.workflowId, '--json']);
    // Without --run: the latest run with that id, the failed move (the dry run has an id of its own).
    expect(JSON.parse(latest.out)).toMatchObject({ runId: s.failed.runId, outcome: 'failed' });
    for (const [args, msg] of [
      [['show'], "gprecover show: show takes one workflow id (list them with 'gprecover history')"],
      [['show', 'no-such-run-xyz'], "gprecover show: no run with workflow id 'no-such-run-xyz'"],
      [['show', s.succeeded.workflowId, '--run', 'not-a-uuid'], "gprecover show: --run must be a run id (a UUID, as 'gprecover history' prints), not 'not-a-uuid'"],
      [['show', s.succeeded.workflowId, '--run', '00000000-0000-4000-8000-000000000000'], `gprecover show: no run with workflow id '${s.succeeded.workflowId}' and run id '00000000-0000-4000-8000-000000000000'`],
    ] as const) {
      const x = await cli([...args]);
      expect(x.code, args.join(' ')).toBe(2);
      expect(x.err).toBe(msg);
    }
  });

  it('shows a segment workflow on its own, its input as the plan', async () => {
    const id = `${s.failed.workflowId}-${s.failed.runId.slice(0, 8)}-dbid5`;
    const t = await fetchTimeline(h.client, id);
    expect(t).toMatchObject({ workflowType: 'segmentRecoveryWorkflow', status: 'failed', plan: { from: 'child inputs', items: [{ dbid: 5, moved: true }] } });
    expect(t.catalogChanges.map((c) => c.activity)).toEqual(['updateCatalog', 'backOutCatalog']);
  });

  it('formats durations compactly', () => {
    expect([450, 1500, 59_940, 61_000, 3_725_000, undefined].map(formatDuration)).toEqual(['450ms', '1.5s', '59.9s', '1m01s', '1h02m', '-']);
  });
});
