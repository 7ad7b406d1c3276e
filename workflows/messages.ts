import { defineQuery } from '@temporalio/workflow';
import type { RecoveryStatus, SegmentPlan, SegmentProgress } from '../domain/recovery';

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
export const segmentProgressQuery = defineQuery<SegmentProgress>('segmentProgress');
/** The segments a recovery or rebalance planned: a child is admitted only for an item of its parent's plan. */
export const plannedItemsQuery = defineQuery<SegmentPlan[]>('plannedItems');
