import { defineQuery } from '@temporalio/workflow';
import type { RecoveryStatus, SegmentProgress } from './types';

export const recoveryStatusQuery = defineQuery<RecoveryStatus>('recoveryStatus');
export const segmentProgressQuery = defineQuery<SegmentProgress>('segmentProgress');
