import {
  ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, log, patched, setHandler, sleep, upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import type { SegmentPhase, SegmentRecoveryInput, SegmentRecoveryResult } from '../domain/recovery';
import { segmentSearchAttributes, startedWith } from '../domain/searchAttributes';
import { activityProfiles, type ActivityProfiles } from './activityProfiles';
import { asCancelled, cancelledCause, rootMessage } from './failures';
import { copyEndedSignal, copySlotGrantedSignal, segmentProgressQuery } from './messages';
import { PATCHES } from './patches';

/**
 * Waits for FTS to mark the segment u/s, at most `minutes`. Running out of time fails the segment (its mirror does
 * not catch up), which is not the same as the DBA cancelling the run.
 */
async function waitForSync(activities: ActivityProfiles, cluster: string, dbid: number, minutes: number): Promise<void> {
  const scope = new CancellationScope();
  const synced = scope.run(() => activities.sync.waitForSync({ cluster, dbid }));
  const outcome = await Promise.race([synced.then(() => 'synced' as const), sleep(minutes * 60_000).then(() => 'timed out' as const)]);
  if (outcome === 'synced') return;
  scope.cancel();
  await synced.catch(() => undefined);
  throw ApplicationFailure.create({
    type: FailureType.Permanent,
    nonRetryable: true,
    message: `dbid ${dbid} was not marked up and in sync (u/s) within ${minutes} minute(s) of its start; see its WAL bytes behind with 'gprecover status'`,
  });
}

/**
 * One failed segment, rebuilt from its acting primary (gprecoverseg steps 4-10 for one content). It runs only as the
 * child of the recovery or rebalance that planned it: its first step has the parent vouch for the plan, and every step
 * checks the catalog again before it acts.
 */
export async function segmentRecoveryWorkflow(input: SegmentRecoveryInput): Promise<SegmentRecoveryResult> {
  const { cluster, item } = input;
  const info = workflowInfo();
  if (!info.parent) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidRequest,
      nonRetryable: true,
      message: 'segmentRecoveryWorkflow runs only as the child of the recovery or rebalance that planned it; start recoveryWorkflow {"cluster": "<name>"} instead',
    });
  }
  const activities = activityProfiles(input.outageSeconds);
  let phase: SegmentPhase = 'queued';
  setHandler(segmentProgressQuery, () => ({ phase }));
  // Decided once, first: a run keeps the kind of step it started with. A child of 0.6.0 asks its own patch only, which
  // implies every older one: each patch asked costs a marker and a search-attribute upsert, per segment.
  const since060 = patched(PATCHES.wipeChecksLocal);
  const since030 = since060 || patched(PATCHES.shortStepsLocal);
  // A child started ahead by a run of 0.4.0 waits for its slot only where its own history says it does: a worker of
  // 0.3.0 that ran its first task copied at once, and a worker of 0.4.0 replaying it must do the same.
  let slotGranted = !(input.startedAhead && (since060 || patched(PATCHES.copySlotAhead)));
  // Set before the first step: the grant may come while the steps before the copy still run.
  setHandler(copySlotGrantedSignal, () => {
    slotGranted = true;
  });
  const short = since030
    ? { catalog: activities.localCatalog, host: activities.localHost }
    : { catalog: activities.catalog, host: activities.host };
  // A parent of 0.3.0 gives them at the child's start; an older one's child (or a rebalance's) upserts them.
  const attributes = segmentSearchAttributes(cluster, item);
  if (!since030 || !startedWith(info.typedSearchAttributes, attributes)) upsertSearchAttributes(attributes);
  const runTag = `run ${info.parent.workflowId}/${info.parent.runId.slice(0, 8)}`;
  const step = { cluster, item };
  // The run that planned this segment: it vouches for the plan, and it counts the segment's -B/-b slot.
  const parent = { workflowId: info.parent.workflowId, runId: info.parent.runId };

  await short.catalog.admitSegmentPlan({ ...step, parent });

  phase = 'stopping';
  await short.host.stopFailedSegment(step);

  phase = 'verifying-down';
  if (item.failed.status === 'u') {
    await activities.ftsWait.verifySegmentDown({ ...step, waitForFts: true });
  } else {
    await short.catalog.verifySegmentDown({ ...step, waitForFts: false });
  }

  phase = 'updating-catalog';
  await short.catalog.updateCatalog({ ...step, runTag });

  let evidence: string | undefined;
  try {
    // 0.3.0 keeps evidence as 0.2.0 did: asking evidenceBeforeWipe again would only add a marker and an upsert.
    if (item.type === 'full' && !item.moved && (since030 || patched(PATCHES.evidenceBeforeWipe))) {
      phase = 'keeping-evidence';
      const kept = await short.host.keepEvidence(step);
      if (kept.kept) evidence = `${kept.host}:${kept.directory}`;
    }
    if (item.type === 'full') {
      phase = 'wiping';
      // 0.6.0: checked as a short step; emptied in an activity task, which heartbeats, only where the flavour needs it.
      const checked = since060 ? await short.host.wipeTarget({ ...step, checkOnly: true }) : undefined;
      if (!checked || checked.emptyingLeft) await activities.host.wipeTarget(step);
    }
    if (!slotGranted) {
      phase = 'waiting-for-slot';
      await condition(() => slotGranted);
    }
    phase = 'copying';
    const copied = await activities.copy.copySegment({ ...step, maxRate: input.maxRate, ...(input.reportCopyEnd ? { tellRun: parent } : {}) });
    // The copy step told the run as its copy ended (0.5.0), unless it could not or ran on a worker of 0.4.0. Told by
    // the child, the signal leaves with this workflow task's commands, which wait for the start that runs in it.
    if (input.reportCopyEnd && !(copied.runTold && (since060 || patched(PATCHES.copyStepTellsRun)))) {
      void getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(copyEndedSignal, { dbid: item.dbid })
        .catch((err) => log.warn(`dbid ${item.dbid}: the run was not told the copy is over (its slot frees when this segment ends): ${rootMessage(err)}`));
    }
  } catch (err) {
    // As gprecoverseg: only a move whose copy failed goes back to where it was; an in-place recovery changed nothing
    // of where the catalog says the segment lives.
    if (item.moved) {
      phase = 'backing-out';
      const reason = cancelledCause(err) ? 'cancelled' : rootMessage(err);
      log.warn(`dbid ${item.dbid}: copy failed, backing the catalog out to ${item.failed.hostname}:${item.failed.datadir}: ${reason}`);
      await CancellationScope.nonCancellable(() => activities.catalog.backOutCatalog({ ...step, runTag, reason }));
    }
    phase = 'failed';
    throw cancelledCause(err) ? asCancelled(err, `recovery of dbid ${item.dbid} cancelled`) : err;
  }

  try {
    // A good copy keeps its new location even if it then fails to start: the data is there, a restart may do.
    phase = 'starting';
    await short.host.startRecoveredSegment(step);
    phase = 'syncing';
    await waitForSync(activities, cluster, item.dbid, input.syncTimeoutMinutes);
  } catch (err) {
    phase = 'failed';
    throw cancelledCause(err) ? asCancelled(err, `recovery of dbid ${item.dbid} cancelled`) : err;
  }
  if (item.moved) {
    // The segment lives at its new location now; the old one is cleaned up, or left with a warning.
    phase = 'removing-old';
    await activities.host.removeOldLocation(step).catch((err) => log.warn(`dbid ${item.dbid}: old location not removed: ${rootMessage(err)}`));
  }
  phase = 'done';
  return { dbid: item.dbid, phase, ...(evidence ? { evidence } : {}) };
}
