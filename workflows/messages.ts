import { defineQuery } from '@temporalio/workflow';
import type { RecoveryStatus, SegmentProgress } from '../domain/recovery';

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
export const segmentProgressQuery = defineQuery<SegmentProgress>('segmentProgress');
