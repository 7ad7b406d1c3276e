import { CancellationScope, log, upsertMemo, upsertSearchAttributes, type ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import type { ActivityProfiles } from './activityProfiles';
import type { LockRequest } from '../domain/activities';
import { rootMessage } from './failures';
import { OUTCOMES, RecoveryOutcomeKey } from '../domain/searchAttributes';

/**
 * A failed run's visibility record: its outcome, and the root cause in the memo, so that `gprecover history` shows
 * it without reading the run's history.
 */
export function recordFailure(failure: ApplicationFailure): void {
  upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: failure.type === FailureType.InvalidRequest ? OUTCOMES.invalid : OUTCOMES.failed }]);
  upsertMemo({ error: failure.message.slice(0, 500) });
}

/** Gives gprecoverseg.lock back however the run ends, cancelled included; a lock left behind is found stale later. */
export async function releaseRunLock(activities: ActivityProfiles, request: LockRequest): Promise<void> {
  await CancellationScope.nonCancellable(() => activities.catalog.releaseRecoveryLock(request))
    .catch((err) => log.warn(`gprecoverseg.lock not released: ${rootMessage(err)}; the next run finds it stale and takes it over`));
}
