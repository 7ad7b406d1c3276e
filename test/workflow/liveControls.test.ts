// Live controls of a running recovery (Temporal updates with validators) on the time-skipping server with faked
// activities: -B / -b changed for segments not yet started, pause and resume, skip a pending segment; a request that
// does not apply is refused in one line and leaves nothing in the history.
import { describe, expect, it } from 'vitest';
import { sleep } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { failureTypeInterceptor } from '../../activities/failureInterceptor';
import type { RecoveryActivities } from '../../domain/activities';
import type { RecoveryResult, RecoveryStatus, SegmentStatus } from '../../domain/recovery';
import { parallelismRefusal, pauseRefusal, resumeRefusal, skipRefusal, type RunControls } from '../../domain/liveControls';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import { recoveryWorkflow } from '../../workflows';
import { pauseUpdate, recoveryStatusQuery, resumeUpdate, setParallelismUpdate, skipSegmentUpdate } from '../../workflows/messages';
import { workflowBundle } from '../helpers/temporal';
import { useTimeSkippingEnv } from '../helpers/timeSkipping';
import { until } from '../helpers/until';
import { buildRunTimeline, formatTimeline } from '../../client/timeline';

/** Four mirrors down on two hosts (dbid 6, 7 on sdw2; 8, 9 on sdw1); each copy waits until the test lets it end. */
function world() {
  const gates = new Map<number, () => void>();
  const waiting = new Map<number, Promise<void>>();
  const started: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const gateOf = (dbid: number) => {
    if (!waiting.has(dbid)) waiting.set(dbid, new Promise<void>((r) => gates.set(dbid, r)));
    return waiting.get(dbid)!;
  };
  const activities: RecoveryActivities = fakeActivities({
    snapshot: (cluster) => fakeSnapshot(cluster, { contents: 4, perHost: 2, down: [6, 7, 8, 9] }),
    progress: 'returns',
    overrides: {
      async copySegment({ item }) {
        started.push(item.dbid);
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Real time passes while the activity waits: the time-skipping server does not skip past a running activity.
        while (!(await Promise.race([gateOf(item.dbid).then(() => true), sleep(50).then(() => false)])));
        running--;
        return { method: 'pg_rewind', attached: false };
      },
    },
  });
  return {
    activities, started,
    maxRunning: () => maxRunning,
    release: (dbid: number) => {
      void gateOf(dbid);
      gates.get(dbid)!();
    },
  };
}

const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: unknown) => {
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error).message;
});

describe('live controls of a running recovery (updates, time-skipping server)', () => {
  const env = useTimeSkippingEnv();
  let seq = 0;

  async function withRun(w: ReturnType<typeof world>, input: Record<string, unknown>, during: (h: WorkflowHandle<typeof recoveryWorkflow>) => Promise<void>) {
    const taskQueue = `controls-${++seq}`;
    const worker = await Worker.create({
      connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: w.activities,
      interceptors: { activity: [failureTypeInterceptor] },
    });
    return worker.runUntil(async () => {
      const handle = await env().client.workflow.start(recoveryWorkflow, { taskQueue, workflowId: `controls-${seq}`, args: [{ cluster: 'c', ...input }] });
      await during(handle);
      return { result: await handle.result() as RecoveryResult, history: await handle.fetchHistory() };
    });
  }

  it('-B 1 -b 1 raised to -B 2 -b 2 while running: the segments not yet started run two hosts and two per host at once', async () => {
    const w = world();
    const { result } = await withRun(w, { hostParallelism: 1, segmentParallelism: 1 }, async (h) => {
      await until('the first copy', () => w.started.length === 1);
      const controls = await h.executeUpdate(setParallelismUpdate, { args: [{ hostParallelism: 2, segmentParallelism: 2, requestedBy: 'dba@cdw' }] });
      expect(controls).toMatchObject({ hostParallelism: 2, segmentParallelism: 2, paused: false });
      expect(controls.changes).toEqual([{ at: expect.any(String), by: 'dba@cdw', what: '-B 2 -b 2 for copies not yet started (was -B 1 -b 1)' }]);
      await until('three more copies at once', () => w.started.length === 4);
      for (const d of [6, 7, 8, 9]) w.release(d);
    });
    expect(w.maxRunning()).toBe(4);
    expect(result).toMatchObject({ succeeded: 4, controls: { hostParallelism: 2, segmentParallelism: 2 } });
  });

  it('pause holds back new segments while the running one finishes; resume lets them start; who asked is in the history', async () => {
    const w = world();
    const { result, history } = await withRun(w, { hostParallelism: 1, segmentParallelism: 1 }, async (h) => {
      await until('the first copy', () => w.started.length === 1);
      await h.executeUpdate(pauseUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
      expect(await refusal(h.executeUpdate(pauseUpdate, { args: [{ requestedBy: 'dba@cdw' }] }))).toBe('the run is paused already (by dba@cdw)');
      w.release(w.started[0]);
      await until('the first segment done', async () => (await h.query(recoveryStatusQuery)).segments.some((s) => s.state === 'succeeded'));
      await new Promise((r) => setTimeout(r, 500));
      expect(w.started).toHaveLength(1);
      expect((await h.query(recoveryStatusQuery)).controls).toMatchObject({ paused: true });
      await h.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'ops@cdw' }] });
      for (const d of [6, 7, 8, 9]) w.release(d);
    });
    expect(result.succeeded).toBe(4);
    expect(result.controls?.changes.map((c) => [c.by, c.what.split(':')[0]])).toEqual([['dba@cdw', 'paused'], ['ops@cdw', 'resumed']]);
    // `gprecover show` reads them back from the history, with who asked.
    const shown = buildRunTimeline(history);
    expect(shown.controls.map((c) => [c.name, c.by])).toEqual([['pause', 'dba@cdw'], ['resume', 'ops@cdw']]);
    expect(formatTimeline(shown).join('\n')).toMatch(/Live controls:\n {2}\S+ {2}pause {2}by dba@cdw\n {2}\S+ {2}resume {2}by ops@cdw/);
  });

  it('a pending segment is skipped and never touched; a running one, an unknown dbid and a bad -B are refused in one line', async () => {
    const w = world();
    const { result, history } = await withRun(w, { hostParallelism: 1, segmentParallelism: 1 }, async (h) => {
      await until('the first copy', () => w.started.length === 1);
      const status = await h.query(recoveryStatusQuery);
      const running = status.segments.find((s) => s.state === 'running')!.dbid;
      const pending = status.segments.find((s) => s.state === 'pending')!.dbid;
      expect(await refusal(h.executeUpdate(skipSegmentUpdate, { args: [{ dbid: running }] }))).toBe(`dbid ${running} is running: only a segment not yet started can be skipped (cancel the run to stop a running one)`);
      expect(await refusal(h.executeUpdate(skipSegmentUpdate, { args: [{ dbid: 42 }] }))).toBe("dbid 42 is not in this run's plan (6, 7, 8, 9)");
      expect(await refusal(h.executeUpdate(setParallelismUpdate, { args: [{ hostParallelism: 0 }] }))).toBe('hostParallelism (-B) must be a whole number from 1 to 64, not 0');
      expect(await refusal(h.executeUpdate(resumeUpdate, { args: [{}] }))).toBe('the run is not paused');
      await h.executeUpdate(skipSegmentUpdate, { args: [{ dbid: pending, requestedBy: 'dba@cdw' }] });
      for (const d of [6, 7, 8, 9]) w.release(d);
    });
    const skipped = result.segments.filter((s) => s.state === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0].error).toBe('skipped by dba@cdw before it started');
    expect(w.started).not.toContain(skipped[0].dbid);
    expect(result).toMatchObject({ phase: 'done', succeeded: 3, failed: 0 });
    // Refused requests leave no trace; the accepted one does.
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates).toHaveLength(1);
  });

  it('a run past its segments, or a dry run, refuses every control in one line (the validators themselves)', () => {
    const status = (phase: RecoveryStatus['phase'], dryRun = false): RecoveryStatus => ({ cluster: 'c', phase, dryRun, segments: [], skipped: [], warnings: [] });
    const controls: RunControls = { hostParallelism: 16, segmentParallelism: 64, paused: false, changes: [] };
    for (const phase of ['rebalancing', 'done', 'failed'] as const) {
      const why = `the run is ${phase}: only a run that is planning or recovering segments takes live controls`;
      expect(pauseRefusal(status(phase), controls, {})).toBe(why);
      expect(resumeRefusal(status(phase), { ...controls, paused: true }, {})).toBe(why);
      expect(parallelismRefusal(status(phase), { hostParallelism: 2 })).toBe(why);
      expect(skipRefusal(status(phase), { dbid: 6 })).toBe(why);
    }
    expect(pauseRefusal(status('recovering', true), controls, {})).toBe('a dry run starts no segment');
  });

  it('a segment waiting for its copy slot still takes -B/-b and pause, but cannot be skipped: its steps before the copy are done', () => {
    const seg = (dbid: number, state: SegmentStatus['state'], waitingForSlot?: boolean): SegmentStatus => ({
      dbid, content: dbid - 6, type: 'full', target: { hostname: 'sdw2', address: 'sdw2', port: 7000, datadir: `/d/${dbid}` }, moved: false, state,
      childWorkflowId: `c-${dbid}`, ...(waitingForSlot ? { waitingForSlot } : {}),
    });
    const status = (segments: SegmentStatus[]): RecoveryStatus => ({ cluster: 'c', phase: 'recovering', dryRun: false, segments, skipped: [], warnings: [] });
    const controls: RunControls = { hostParallelism: 1, segmentParallelism: 1, paused: false, changes: [] };
    const waiting = status([seg(6, 'running'), seg(7, 'running', true)]);
    expect(parallelismRefusal(waiting, { hostParallelism: 2 })).toBeUndefined();
    expect(pauseRefusal(waiting, controls, {})).toBeUndefined();
    expect(skipRefusal(waiting, { dbid: 7 })).toMatch(/^dbid 7 started ahead of a free slot .* waits for a slot for its copy: only a segment not yet started can be skipped/);
    const copying = status([seg(6, 'running'), seg(7, 'running')]);
    expect(parallelismRefusal(copying, { hostParallelism: 2 })).toBe('every segment of the run has started its copy: a new -B / -b applies to none');
    expect(pauseRefusal(copying, controls, {})).toBe('every segment of the run has started its copy: there is nothing left to hold back');
  });

  it('a run that is over: the server takes no update at all', async () => {
    const w = world();
    for (const d of [6, 7, 8, 9]) w.release(d);
    const taskQueue = `controls-${++seq}`;
    const worker = await Worker.create({ connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: w.activities });
    await worker.runUntil(async () => {
      const handle = await env().client.workflow.start(recoveryWorkflow, { taskQueue, workflowId: `controls-${seq}`, args: [{ cluster: 'c', dryRun: true }] });
      await handle.result();
      await expect(handle.executeUpdate(pauseUpdate, { args: [{}] })).rejects.toThrow();
    });
  });
});
