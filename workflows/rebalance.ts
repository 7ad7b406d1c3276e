import {
  ApplicationFailure, CancellationScope, executeChild, log, ParentClosePolicy, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { DEFAULT_REPLAY_LAG_GB } from '../domain/options';
import type { RebalanceInput, RebalanceResult, SegmentPlan } from '../domain/recovery';
import { activityProfiles, type ActivityProfiles } from './activityProfiles';
import { asCancelled, cancelledCause, runFailure } from './failures';
import { ClusterName, ContentIds, contentIdsThatFit, RecoveryOutcome, RecoveryType } from './searchAttributes';
import { recordFailure, releaseRunLock } from './runRecord';
import { segmentRecoveryWorkflow } from './segmentRecovery';
import { GiB, unbalancedPairs, type Swap } from './plan';

/**
 * rebalanceSegments.py's replay-lag guard, on by default: a mirror that has WAL left to replay would be promoted only
 * after replaying it, so one pair at or over the limit stops the whole rebalance before anything is stopped.
 */
async function checkReplayLag(input: RebalanceInput, swaps: Swap[], activities: ActivityProfiles): Promise<void> {
  if (input.disableReplayLag) return;
  const limitGB = input.replayLagGB ?? DEFAULT_REPLAY_LAG_GB;
  for (const s of swaps) {
    const lag = await activities.catalog.replayLagBytes({ cluster: input.cluster, primaryDbid: s.actingPrimary });
    if (lag !== null && lag >= limitGB * GiB) {
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
 * gprecoverseg -r: for each pair up, synchronized and out of preferred role, stop the acting primary, let FTS promote
 * the preferred primary, then recover the demoted segment incrementally as a mirror. On its own it holds
 * gprecoverseg's lock; started by a recovery, it runs under the recovery's.
 */
export async function rebalanceWorkflow(input: RebalanceInput): Promise<RebalanceResult> {
  const { cluster } = input;
  const isChild = !!workflowInfo().parent;
  const activities = activityProfiles(input.outageSeconds);
  const lockRequest = { cluster, coordinatorDataDirectory: input.coordinatorDataDirectory };
  let lockHeld = false;
  if (!isChild) upsertSearchAttributes([{ key: ClusterName, value: cluster }, { key: RecoveryType, value: 'rebalance' }]);
  try {
    const snapshot = await activities.catalog.readCluster(cluster);
    if (!isChild) lockHeld = (await activities.catalog.acquireRecoveryLock({ ...lockRequest, checkOnly: !!input.dryRun })).held;
    const { swaps, skipped } = unbalancedPairs(snapshot.segments);
    for (const s of skipped) log.warn(s.reason);
    await checkReplayLag(input, swaps, activities);
    if (!isChild) upsertSearchAttributes([{ key: ContentIds, value: contentIdsThatFit(swaps.map((c) => c.content)) }]);
    if (input.dryRun || swaps.length === 0) {
      if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcome, value: input.dryRun ? 'dry-run' : 'succeeded' }]);
      return { swapped: [], skipped, recovered: [] };
    }

    await Promise.all(swaps.map((c) => activities.host.stopPrimaryForRebalance({ cluster, dbid: c.actingPrimary })));
    await Promise.all(swaps.map((c) => activities.ftsWait.waitForPromotion({ cluster, dbid: c.preferredPrimary })));

    const after = await activities.catalog.readCluster(cluster);
    const items: SegmentPlan[] = swaps.map((c) => {
      const failed = after.segments.find((s) => s.dbid === c.actingPrimary)!;
      const source = after.segments.find((s) => s.dbid === c.preferredPrimary)!;
      return {
        content: c.content, dbid: failed.dbid, type: 'incremental', failed, source, moved: false,
        target: { hostname: failed.hostname, address: failed.address, port: failed.port, datadir: failed.datadir },
      };
    });
    const info = workflowInfo();
    await Promise.all(items.map((item) => executeChild(segmentRecoveryWorkflow, {
      workflowId: `${info.workflowId}-${info.runId.slice(0, 8)}-dbid${item.dbid}`,
      args: [{ cluster, item, syncTimeoutMinutes: input.syncTimeoutMinutes ?? 24 * 60, outageSeconds: input.outageSeconds }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    })));
    if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcome, value: 'succeeded' }]);
    return { swapped: swaps.map((c) => c.content), skipped, recovered: items.map((i) => i.dbid) };
  } catch (err) {
    if (cancelledCause(err)) {
      if (!isChild) await CancellationScope.nonCancellable(async () => upsertSearchAttributes([{ key: RecoveryOutcome, value: 'cancelled' }]));
      throw asCancelled(err, 'rebalance cancelled');
    }
    const failure = runFailure(err);
    if (!isChild) recordFailure(failure);
    throw failure;
  } finally {
    if (lockHeld) await releaseRunLock(activities, lockRequest);
  }
}
