// rebalanceWorkflow (gprecoverseg -r) with the test kit's fakes on Temporal's time-skipping test server: the swap and
// the demoted primary's incremental recovery, the replay-lag guard, a promotion that never comes, and whose
// gprecoverseg lock it is, on its own and under a recovery. Nothing here touches PostgreSQL.
import { describe, expect, it } from 'vitest';
import { activityInfo, getClient } from '@temporalio/activity';
import type { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { failureTypeInterceptor } from '../../activities/failureInterceptor';
import type { RecoveryActivities } from '../../domain/activities';
import { FailureType, InvalidRequestError, LockHeldError, NotReadyError } from '../../domain/failures';
import type { RebalanceInput } from '../../domain/recovery';
import { GiB } from '../../domain/units';
import { recordCalls, type ActivityCall } from '../../testkit/callLog';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import { rebalanceWorkflow, recoveryWorkflow } from '../../workflows';
import { workflowBundle } from '../helpers/temporal';
import { useTimeSkippingEnv } from '../helpers/timeSkipping';

/**
 * Four contents on two hosts: primaries dbid 2-5, mirrors dbid 6-9; `swapped` contents have their mirror acting as
 * primary. FTS promoting a preferred primary leaves its pair in preferred roles, the stopped one down.
 */
interface World {
  swapped: number[];
  down: number[];
  /** The one holder of gprecoverseg's lock (a run's workflow id), and what happened to it. */
  lock: { holder?: string; events: string[] };
}

const WHERE = 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock';

/**
 * gprecoverseg's lock as activities/lock.ts keeps it: a run takes it and gives it back; a rebalance under a recovery
 * only checks that its recovery holds it, and gives nothing back.
 */
function lockOf(w: World): Pick<RecoveryActivities, 'acquireRecoveryLock' | 'releaseRecoveryLock'> {
  const owner = async () => {
    const { workflowExecution: run, workflowType } = activityInfo();
    if (!run) throw new Error('the lock is taken by runs only');
    const parent = workflowType === 'rebalanceWorkflow' ? (await getClient().workflow.getHandle(run.workflowId, run.runId).describe()).parentExecution : undefined;
    return { owner: parent?.workflowId ?? run.workflowId, underParent: !!parent, by: workflowType };
  };
  return {
    async acquireRecoveryLock(input) {
      const { owner: o, underParent, by } = await owner();
      if (underParent) {
        if (w.lock.holder !== o) throw new InvalidRequestError(`the recovery that started this rebalance does not hold ${WHERE}`);
        w.lock.events.push(`checked by ${by}`);
        return { where: WHERE, held: true };
      }
      if (input.checkOnly) return { where: WHERE, held: false };
      if (w.lock.holder && w.lock.holder !== o) throw new LockHeldError(`${w.lock.holder} holds ${WHERE}`, { lockHeldBy: 'gprecover', pid: 1 });
      w.lock.holder = o;
      w.lock.events.push(`taken by ${by}`);
      return { where: WHERE, held: true };
    },
    async releaseRecoveryLock() {
      const { owner: o, underParent, by } = await owner();
      if (underParent || w.lock.holder !== o) return false;
      w.lock.holder = undefined;
      w.lock.events.push(`released by ${by}`);
      return true;
    },
  };
}

function world(swapped: number[]): World {
  return { swapped, down: [], lock: { events: [] } };
}

function activities(w: World, over: Partial<RecoveryActivities> = {}): RecoveryActivities {
  return fakeActivities({
    snapshot: (cluster) => fakeSnapshot(cluster, { contents: 4, perHost: 2, swapped: w.swapped, down: w.down }),
    progress: 'returns',
    overrides: {
      ...lockOf(w),
      async waitForPromotion({ dbid }) {
        // FTS promotes dbid's pair back: the mirror that acted as primary is the one stopped, now down.
        const content = dbid - 2;
        w.swapped = w.swapped.filter((c) => c !== content);
        w.down = [...w.down, 6 + content];
      },
      ...over,
    },
  });
}

const names = (calls: ActivityCall[]) => calls.map((c) => c.name);
const inputsOf = (calls: ActivityCall[], name: string) => calls.filter((c) => c.name === name).map((c) => c.input as Record<string, unknown>);
/** The dbids an activity was called for, lowest first (swaps run side by side). */
const dbidsOf = (calls: ActivityCall[], name: string) => inputsOf(calls, name).map((i) => Number(i.dbid)).sort((a, b) => a - b);
const failureOf = (res: { ok: boolean; err?: unknown }) => (res.err as WorkflowFailedError).cause as { type?: string; message: string };

describe('rebalanceWorkflow (test kit fakes, time-skipping test server)', () => {
  const env = useTimeSkippingEnv();
  let seq = 0;

  async function run(acts: RecoveryActivities, calls: ActivityCall[], start: (taskQueue: string, workflowId: string) => Promise<{ result(): Promise<unknown> }>) {
    const taskQueue = `rebalance-${++seq}`;
    const worker = await Worker.create({
      connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: acts,
      interceptors: { activity: [recordCalls(calls), failureTypeInterceptor] },
    });
    return worker.runUntil(async () => {
      const handle = await start(taskQueue, `rebalance-${seq}`);
      return handle.result().then((r) => ({ ok: true as const, r, err: undefined }), (err: unknown) => ({ ok: false as const, err }));
    });
  }

  const rebalance = (acts: RecoveryActivities, calls: ActivityCall[], input: Omit<RebalanceInput, 'cluster'> = {}) =>
    run(acts, calls, (taskQueue, workflowId) => env().client.workflow.start(rebalanceWorkflow, { taskQueue, workflowId, args: [{ cluster: 'c', ...input }] }));

  it('a swap stops the acting primary, waits for its mirror to be promoted, then recovers the demoted one incrementally', async () => {
    const w = world([0]);
    const calls: ActivityCall[] = [];
    const res = await rebalance(activities(w), calls);
    expect(res.ok && res.r).toEqual({ swapped: [0], skipped: [], recovered: [6] });
    expect(names(calls)).toEqual([
      'readCluster', 'acquireRecoveryLock', 'replayLagBytes', 'stopPrimaryForRebalance', 'waitForPromotion', 'readCluster', 'trustRecoveryHosts',
      'admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'copySegment', 'startRecoveredSegment', 'waitForSync',
      'releaseRecoveryLock',
    ]);
    expect(inputsOf(calls, 'stopPrimaryForRebalance')).toMatchObject([{ dbid: 6 }]);
    expect(inputsOf(calls, 'waitForPromotion')).toMatchObject([{ dbid: 2 }]);
    expect(inputsOf(calls, 'copySegment')).toMatchObject([{ item: { dbid: 6, content: 0, type: 'incremental', moved: false, source: { dbid: 2, role: 'p' }, failed: { status: 'd' } } }]);
    expect(calls.find((c) => c.name === 'copySegment')?.workflowType).toBe('segmentRecoveryWorkflow');
  });

  it('a mirror with replay lag at or over the bound refuses the whole rebalance before anything is stopped', async () => {
    const w = world([0, 1]);
    const calls: ActivityCall[] = [];
    const lagging = { replayLagBytes: async ({ primaryDbid }: { primaryDbid: number }) => (primaryDbid === 7 ? 11 * GiB : 0) };
    const res = await rebalance(activities(w, lagging), calls);
    expect(res.ok).toBe(false);
    expect(failureOf(res)).toMatchObject({
      type: FailureType.InvalidRequest,
      message: expect.stringMatching(/^11811160064 bytes of WAL are still to be replayed on mirror dbid 3 \(content 1, primary dbid 7\): .*--replay-lag sets the allowed lag \(10 GB\)/),
    });
    expect(names(calls)).not.toContain('stopPrimaryForRebalance');
    expect(w.lock.events).toEqual(['taken by rebalanceWorkflow', 'released by rebalanceWorkflow']);
    // A larger bound lets the same pairs through.
    const through: ActivityCall[] = [];
    expect((await rebalance(activities(world([0, 1]), lagging), through, { replayLagGB: 12 })).ok).toBe(true);
    expect(dbidsOf(through, 'stopPrimaryForRebalance')).toEqual([6, 7]);
  });

  it('a mirror that is never promoted gets its primary started again: no content is left without a primary', async () => {
    const w = world([0, 1]);
    const calls: ActivityCall[] = [];
    const promote = activities(w).waitForPromotion;
    const res = await rebalance(activities(w, {
      async waitForPromotion(input) {
        if (input.dbid === 3) throw new NotReadyError('dbid 3 is still a mirror (role m)');
        return promote(input);
      },
    }), calls, { outageSeconds: 30 });
    expect(res.ok).toBe(false);
    expect(failureOf(res)).toMatchObject({
      type: FailureType.RecoveryFailed,
      message: expect.stringMatching(/^rebalance stopped: content 1: mirror dbid 3 was not promoted \(.+\); dbid 7 started again as its primary$/),
    });
    expect(dbidsOf(calls, 'stopPrimaryForRebalance')).toEqual([6, 7]);
    // Content 0's mirror was promoted and keeps its primary; content 1's stopped primary is the one started again.
    expect(dbidsOf(calls, 'restartDemotedPrimary')).toEqual([7]);
    expect(names(calls)).not.toContain('copySegment');
    expect(names(calls).at(-1)).toBe('releaseRecoveryLock');
    expect(w.lock.events).toEqual(['taken by rebalanceWorkflow', 'released by rebalanceWorkflow']);
  });

  it('on its own it takes the lock and gives it back last; under a recovery it only checks that the recovery holds it', async () => {
    const alone = world([0]);
    const aloneCalls: ActivityCall[] = [];
    expect((await rebalance(activities(alone), aloneCalls)).ok).toBe(true);
    expect(alone.lock).toEqual({ holder: undefined, events: ['taken by rebalanceWorkflow', 'released by rebalanceWorkflow'] });
    expect(aloneCalls.findIndex((c) => c.name === 'releaseRecoveryLock')).toBe(aloneCalls.length - 1);

    const under = world([0]);
    const calls: ActivityCall[] = [];
    const res = await run(activities(under), calls, (taskQueue, workflowId) =>
      env().client.workflow.start(recoveryWorkflow, { taskQueue, workflowId, args: [{ cluster: 'c', rebalance: true }] }));
    expect(res.ok && (res.r as { rebalance?: unknown }).rebalance).toEqual({ swapped: [0], skipped: [], recovered: [6] });
    expect(under.lock).toEqual({ holder: undefined, events: ['taken by recoveryWorkflow', 'checked by rebalanceWorkflow', 'released by recoveryWorkflow'] });
    const lockCalls = calls.filter((c) => c.name.endsWith('RecoveryLock')).map((c) => `${c.name} ${c.workflowType}`);
    expect(lockCalls).toEqual([
      'acquireRecoveryLock recoveryWorkflow', 'acquireRecoveryLock rebalanceWorkflow', 'releaseRecoveryLock rebalanceWorkflow', 'releaseRecoveryLock recoveryWorkflow',
    ]);
    expect(calls.at(-1)).toMatchObject({ name: 'releaseRecoveryLock', workflowType: 'recoveryWorkflow' });
  });
});
