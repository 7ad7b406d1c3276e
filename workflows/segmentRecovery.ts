import { CancellationScope, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ClusterName, ContentIds, RecoveryType } from './searchAttributes';
import { asCancelled, cancelledCause, rootMessage } from './failures';
import { segmentProgressQuery } from './messages';
import { catalogActivities, copyActivities, ftsWaitActivities, hostActivities, syncActivities } from './activityProfiles';
import type { SegmentPhase, SegmentRecoveryInput, SegmentRecoveryResult } from './types';

/** One failed segment, rebuilt from its acting primary (gprecoverseg steps 4-10 for one content). */
export async function segmentRecoveryWorkflow(input: SegmentRecoveryInput): Promise<SegmentRecoveryResult> {
  const { cluster, item } = input;
  let phase: SegmentPhase = 'queued';
  setHandler(segmentProgressQuery, () => ({ phase }));
  upsertSearchAttributes([
    { key: ClusterName, value: cluster },
    { key: ContentIds, value: [String(item.content)] },
    { key: RecoveryType, value: item.type },
  ]);
  const runTag = `run ${workflowInfo().parent?.workflowId ?? workflowInfo().workflowId}/${(workflowInfo().parent?.runId ?? workflowInfo().runId).slice(0, 8)}`;

  phase = 'stopping';
  await hostActivities.stopFailedSegment({ cluster, dbid: item.dbid, location: item.failed });

  phase = 'verifying-down';
  if (item.failed.status === 'u') {
    await ftsWaitActivities.verifySegmentDown({ cluster, dbid: item.dbid, waitForFts: true });
  } else {
    await catalogActivities.verifySegmentDown({ cluster, dbid: item.dbid, waitForFts: false });
  }

  phase = 'updating-catalog';
  await catalogActivities.updateCatalog({
    cluster,
    change: { dbid: item.dbid, content: item.content, type: item.type, target: item.target, moved: item.moved, runTag },
  });

  try {
    if (item.type === 'full') {
      phase = 'wiping';
      await hostActivities.wipeTarget({ cluster, target: item.target });
    }
    phase = 'copying';
    await copyActivities.copySegment({ cluster, item });
    phase = 'starting';
    await hostActivities.startRecoveredSegment({ cluster, item });
  } catch (err) {
    // Only a move changed where the catalog says the segment lives; an in-place recovery has nothing to undo.
    if (item.moved) {
      phase = 'backing-out';
      const reason = cancelledCause(err) ? 'cancelled' : rootMessage(err);
      await CancellationScope.nonCancellable(() =>
        catalogActivities.backOutCatalog({ cluster, before: item.failed, runTag, reason }),
      );
    }
    phase = 'failed';
    throw cancelledCause(err) ? asCancelled(err, `recovery of dbid ${item.dbid} cancelled`) : err;
  }

  phase = 'syncing';
  await CancellationScope.withTimeout(input.syncTimeoutMinutes * 60_000, () =>
    syncActivities.waitForSync({ cluster, dbid: item.dbid }),
  );
  phase = 'done';
  return { dbid: item.dbid, phase };
}
