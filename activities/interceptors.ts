import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { copyEndInterceptor } from './copyEndInterceptor';
import { failureTypeInterceptor } from './failureInterceptor';
import { heartbeatInterceptor } from './heartbeatInterceptor';

/**
 * The activity interceptors of every worker that runs gprecover's activities (the product's, the tests'), outermost
 * first: the heartbeat beats through the others, and a failure is typed innermost, where it is thrown.
 */
export const activityInterceptors: ActivityInterceptorsFactory[] = [heartbeatInterceptor, copyEndInterceptor, failureTypeInterceptor];
