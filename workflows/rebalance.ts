import {
  ApplicationFailure, CancellationScope, executeChild, log, ParentClosePolicy, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { DEFAULT_REPLAY_LAG_GB } from '../domain/options';
import { overReplayLag, unbalancedPairs, type Swap } from '../domain/decide';
import { rebalanceInputProblems } from '../domain/recoveryInput';
import type { RebalanceInput, RebalanceResult, SegmentPlan } from '../domain/recovery';
import { locationOf } from '../domain/segment';
import { ClusterNameKey, ContentIdsKey, contentIdsThatFit, OUTCOMES, RecoveryOutcomeKey, RecoveryTypeKey } from '../domain/searchAttributes';
import { activityProfiles, type ActivityProfiles } from './activityProfiles';
import { asCancelled, cancelledCause, rootMessage, runFailure } from './failures';
import { plannedItemsQuery } from './messages';
import { recordFailure, releaseRunLock } from './runRecord';
import { segmentRecoveryWorkflow } from './segmentRecovery';

/**
 * rebalanceSegments.py's replay-lag guard, on by default: a mirror that has WAL left to replay would be promoted only
 * after replaying it, so one pair at or over the limit stops the whole rebalance before anything is stopped.
 */
async function checkReplayLag(input: RebalanceInput, swaps: Swap[], activities: ActivityProfiles): Promise<void> {
  if (input.disableReplayLag) return;
  const limitGB = input.replayLagGB ?? DEFAULT_REPLAY_LAG_GB;
  for (const s of swaps) {
    const lag = await activities.catalog.replayLagBytes({ cluster: input.cluster, primaryDbid: s.actingPrimary });
    if (overReplayLag(lag, limitGB)) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidRequest,
        nonRetryable: true,
        message: `${lag} bytes of WAL are still to be replayed on mirror dbid ${s.preferredPrimary} (content ${s.content}, primary dbid ${s.actingPrimary}): `
          + `let the mirror catch up, then rebalance; --replay-lag sets the allowed lag (${limitGB} GB), --disable-replay-lag turns the check off`,
      });
    }
  }
}

/**
 * Stops the acting primaries and waits for FTS to promote their mirrors. A mirror that is not promoted in time gets
 * its primary back (started again as it was): a rebalance never leaves a content without a primary.
 */
async function swapRoles(cluster: string, swaps: Swap[], activities: ActivityProfiles): Promise<void> {
  await Promise.all(swaps.map((c) => activities.host.stopPrimaryForRebalance({ cluster, dbid: c.actingPrimary })));
  const promoted = await Promise.allSettled(swaps.map((c) => activities.ftsWait.waitForPromotion({ cluster, dbid: c.preferredPrimary })));
  const failed = swaps.filter((_, i) => promoted[i].status === 'rejected');
  if (!failed.length) return;
  const restarted = await CancellationScope.nonCancellable(() => Promise.allSettled(
    failed.map((c) => activities.host.restartDemotedPrimary({ cluster, dbid: c.actingPrimary }))));
  const said = failed.map((c, i) => {
    const why = rootMessage((promoted[swaps.indexOf(c)] as PromiseRejectedResult).reason);
    const back = restarted[i].status === 'fulfilled' ? `dbid ${c.actingPrimary} started again as its primary` : `dbid ${c.actingPrimary} could not be started again: ${rootMessage((restarted[i] as PromiseRejectedResult).reason)}`;
    return `content ${c.content}: mirror dbid ${c.preferredPrimary} was not promoted (${why}); ${back}`;
  });
  throw ApplicationFailure.create({ type: FailureType.RecoveryFailed, nonRetryable: true, message: `rebalance stopped: ${said.join('; ')}` });
}

/**
 * gprecoverseg -r: for each pair up, synchronized and out of preferred role, stop the acting primary, let FTS promote
 * the preferred primary, then recover the demoted segment incrementally as a mirror (with the pg_hba.conf entries its
 * new primary needs, as the gprecoverseg -a that rebalanceSegments.py runs adds them). On its own it holds
 * gprecoverseg's lock; started by a recovery, it checks that the recovery holds it.
 */
export async function rebalanceWorkflow(input: RebalanceInput): Promise<RebalanceResult> {
  const { cluster } = input;
  const isChild = !!workflowInfo().parent;
  if (!isChild) {
    const problems = rebalanceInputProblems(input);
    if (problems.length) throw ApplicationFailure.create({ type: FailureType.InvalidRequest, nonRetryable: true, message: problems.join('; ') });
  }
  const activities = activityProfiles(input.outageSeconds);
  const lockRequest = { cluster, coordinatorDataDirectory: input.coordinatorDataDirectory };
  let lockHeld = false;
  let planned: SegmentPlan[] = [];
  setHandler(plannedItemsQuery, () => planned);
  if (!isChild) upsertSearchAttributes([{ key: ClusterNameKey, value: cluster }, { key: RecoveryTypeKey, value: 'rebalance' }]);
  try {
    const snapshot = await activities.catalog.readCluster({ cluster });
    lockHeld = (await activities.catalog.acquireRecoveryLock({ ...lockRequest, checkOnly: !!input.dryRun })).held;
    const { swaps, skipped } = unbalancedPairs(snapshot.segments);
    for (const s of swaps) log.info(s.reason);
    for (const s of skipped) log.warn(s.reason);
    await checkReplayLag(input, swaps, activities);
    if (!isChild) upsertSearchAttributes([{ key: ContentIdsKey, value: contentIdsThatFit(swaps.map((c) => c.content)) }]);
    if (input.dryRun || swaps.length === 0) {
      if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: input.dryRun ? OUTCOMES.dryRun : OUTCOMES.succeeded }]);
      return { swapped: [], skipped, recovered: [] };
    }

    await swapRoles(cluster, swaps, activities);

    const after = await activities.catalog.readCluster({ cluster });
    planned = swaps.map((c) => {
      const failed = after.segments.find((s) => s.dbid === c.actingPrimary)!;
      const source = after.segments.find((s) => s.dbid === c.preferredPrimary)!;
      return {
        content: c.content, dbid: failed.dbid, type: 'incremental', failed, source, moved: false,
        target: locationOf(failed),
      };
    });
    const hba = await activities.host.trustRecoveryHosts({ cluster, items: planned });
    for (const r of hba.refused) log.warn(`dbid ${r.dbid} not recovered: ${r.reason}`);
    const toRun = planned.filter((i) => !hba.refused.some((r) => r.dbid === i.dbid));
    const info = workflowInfo();
    const ended = await Promise.allSettled(toRun.map((item) => executeChild(segmentRecoveryWorkflow, {
      workflowId: `${info.workflowId}-${info.runId.slice(0, 8)}-dbid${item.dbid}`,
      args: [{ cluster, item, syncTimeoutMinutes: input.syncTimeoutMinutes ?? 24 * 60, outageSeconds: input.outageSeconds }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    })));
    const failures = [...hba.refused.map((r) => `dbid ${r.dbid}: ${r.reason}`),
      ...ended.flatMap((e, i) => (e.status === 'rejected' ? [`dbid ${toRun[i].dbid}: ${rootMessage(e.reason)}`] : []))];
    const cancelled = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected' && cancelledCause(e.reason));
    if (cancelled) throw cancelled.reason;
    if (failures.length) {
      throw ApplicationFailure.create({ type: FailureType.RecoveryFailed, nonRetryable: true, message: `the roles were swapped, but ${failures.length} demoted segment(s) were not recovered: ${failures.join('; ')}` });
    }
    if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: OUTCOMES.succeeded }]);
    return { swapped: swaps.map((c) => c.content), skipped, recovered: toRun.map((i) => i.dbid) };
  } catch (err) {
    if (cancelledCause(err)) {
      if (!isChild) await CancellationScope.nonCancellable(async () => upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: OUTCOMES.cancelled }]));
      throw asCancelled(err, 'rebalance cancelled');
    }
    const failure = runFailure(err);
    if (!isChild) recordFailure(failure);
    throw failure;
  } finally {
    if (lockHeld) await releaseRunLock(activities, lockRequest);
  }
}
