import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalRecord, ApprovalRequest } from '../domain/autoPolicy';
import type { ControlRequest, ParallelismChange, RunControls, SkipRequest } from '../domain/liveControls';
import type { RecoveryStatus, SegmentPlan, SegmentProgress } from '../domain/recovery';

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
export const segmentProgressQuery = defineQuery<SegmentProgress>('segmentProgress');
/** The segments a recovery or rebalance planned: a child is admitted only for an item of its parent's plan. */
export const plannedItemsQuery = defineQuery<SegmentPlan[]>('plannedItems');

/**
 * A segment's copy step (since 0.5.0; its child when the step could not, and before) tells its recovery that its copy
 * is over: its -B/-b slot goes to the next segment while it starts and waits for sync (gprecoverseg's -b bounds the
 * copies, gpsegrecovery's pool). Only a running segment's first one counts; anyone who may signal the run could as
 * well raise -B/-b with setParallelism.
 */
export const copyEndedSignal = defineSignal<[{ dbid: number }]>('copyEnded');

/**
 * A recovery tells a segment it started ahead of a free slot (SegmentRecoveryInput.startedAhead) that its wipe and copy
 * may run now. As copyEnded, whoever may signal the child could as well raise the run's -B/-b: it bounds how many
 * copies run at once, nothing the catalog or a host depends on.
 */
export const copySlotGrantedSignal = defineSignal('copySlotGranted');

/** Live controls of a running recovery (domain/liveControls.ts decides what each may do). */
export const setParallelismUpdate = defineUpdate<RunControls, [ParallelismChange]>('setParallelism');
export const pauseUpdate = defineUpdate<RunControls, [ControlRequest]>('pause');
export const resumeUpdate = defineUpdate<RunControls, [ControlRequest]>('resume');
export const skipSegmentUpdate = defineUpdate<RunControls, [SkipRequest]>('skipSegment');

/** An automatic check waiting for a person before it starts a recovery its policy holds back (policy.approval). */
export const approveUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('approve');
