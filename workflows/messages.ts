import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalRecord, ApprovalRequest } from '../domain/autoPolicy';
import type { ControlRequest, ParallelismChange, RunControls, SkipRequest } from '../domain/liveControls';
import type { RecoveryStatus, SegmentPlan, SegmentProgress } from '../domain/recovery';

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
export const segmentProgressQuery = defineQuery<SegmentProgress>('segmentProgress');
/** The segments a recovery or rebalance planned: a child is admitted only for an item of its parent's plan. */
export const plannedItemsQuery = defineQuery<SegmentPlan[]>('plannedItems');

/** Live controls of a running recovery (domain/liveControls.ts decides what each may do). */
export const setParallelismUpdate = defineUpdate<RunControls, [ParallelismChange]>('setParallelism');
export const pauseUpdate = defineUpdate<RunControls, [ControlRequest]>('pause');
export const resumeUpdate = defineUpdate<RunControls, [ControlRequest]>('resume');
export const skipSegmentUpdate = defineUpdate<RunControls, [SkipRequest]>('skipSegment');

/** An automatic check waiting for a person before it starts a recovery its policy holds back (policy.approval). */
export const approveUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('approve');
