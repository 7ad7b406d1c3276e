import { ActivityCancellationType, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../domain/failures';

/** Failure types decide: what retrying cannot fix runs once, whatever the profile. */
export const retry = (policy: RetryPolicy): RetryPolicy => ({ ...policy, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES });

export const DEFAULT_OUTAGE_SECONDS = 300;

/**
 * The activity proxies of one run, one per timeout profile. `outageSeconds` bounds how long an unreachable
 * coordinator or host is waited for: each attempt's failure is shown by `gprecover status` meanwhile, and past the
 * bound the run fails naming what it waited for.
 */
export function activityProfiles(outageSeconds = DEFAULT_OUTAGE_SECONDS) {
  const outage = outageSeconds * 1000;
  return {
    /** Catalog reads and writes, and gprecoverseg.lock, on the coordinator: quick, retried until the outage bound. */
    catalog: proxyActivities<Activities>({
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: outage,
      heartbeatTimeout: '10 seconds',
      retry: retry({ initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' }),
    }),

    /** Commands on segment hosts: probe, stop, wipe, start (pg_ctl waits up to 600 s). Every one heartbeats each second. */
    host: proxyActivities<Activities>({
      startToCloseTimeout: '15 minutes',
      scheduleToCloseTimeout: outageSeconds * 1000 + 15 * 60_000,
      heartbeatTimeout: '10 seconds',
      retry: retry({ initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s' }),
    }),

    /**
     * Copies run for hours on big segments; the heartbeat notices a dead worker, and the next attempt attaches to
     * the copy still running on the host. A copy that failed for a reason that may pass is retried a few times.
     */
    copy: proxyActivities<Activities>({
      startToCloseTimeout: '72 hours',
      heartbeatTimeout: '10 seconds',
      // A cancelled copy must be dead before the workflow backs the catalog out.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: retry({ initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 }),
    }),

    /** Waiting for FTS: mirrors catch up at their own pace; the heartbeat carries WAL bytes left. */
    sync: proxyActivities<Activities>({
      startToCloseTimeout: '24 hours',
      heartbeatTimeout: '10 seconds',
      retry: retry({ initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 20 }),
    }),

    /**
     * Runs beside the copies for hours (recovery_progress.file); cancelled by the workflow when they are over. The
     * run does not wait for it to hear the cancellation (up to a heartbeat later): it removes its file by itself.
     */
    watch: proxyActivities<Activities>({
      startToCloseTimeout: '72 hours',
      heartbeatTimeout: '10 seconds',
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry: retry({ initialInterval: '2s', maximumInterval: '30s' }),
    }),

    /** A moved mirror that still shows 'u', a mirror not yet promoted: FTS gets there within a few probe intervals. */
    ftsWait: proxyActivities<Activities>({
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: outage,
      heartbeatTimeout: '10 seconds',
      retry: retry({ initialInterval: '2s', backoffCoefficient: 1.5, maximumInterval: '15s' }),
    }),
  };
}

export type ActivityProfiles = ReturnType<typeof activityProfiles>;
