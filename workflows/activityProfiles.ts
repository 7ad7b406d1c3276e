import {
  ActivityCancellationType, proxyActivities, proxyLocalActivities, type ActivityInterfaceFor, type ActivityOptions, type LocalActivityInterfaceFor,
  type LocalActivityOptions, type RetryPolicy,
} from '@temporalio/workflow';
import type { RecoveryActivities } from '../domain/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../domain/failures';

/** Failure types decide: what retrying cannot fix runs once, whatever the profile. */
export const retry = (policy: RetryPolicy): RetryPolicy => ({ ...policy, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES });

export const DEFAULT_OUTAGE_SECONDS = 300;

/**
 * Every activity heartbeats each second (activities/heartbeatInterceptor.ts), so a dead worker is noticed within the
 * heartbeat timeout, and start-to-close only has to outlast the longest real work of a step: no activity is timed
 * out while it works. How long an unreachable coordinator or host is waited for is not a timeout either: each call
 * carries the run's outage bound, and the worker stops retrying an Unavailable failure past it (failureInterceptor).
 */
const HEARTBEAT = '10 seconds';

type Pick_<K extends keyof RecoveryActivities> = Pick<RecoveryActivities, K>;

/** The outage bound of the run travels with every call (ClusterInput.outageSeconds). */
function bounded<T extends object>(proxy: T, outageSeconds: number): T {
  return new Proxy(proxy, {
    get(target, name) {
      const fn = (target as Record<string | symbol, unknown>)[name] as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        const [input, ...rest] = args;
        return input && typeof input === 'object' ? fn({ ...input, outageSeconds }, ...rest) : fn(...args);
      };
    },
  });
}

function profile<K extends keyof RecoveryActivities>(options: ActivityOptions, outageSeconds: number): ActivityInterfaceFor<Pick_<K>> {
  return bounded(proxyActivities<Pick_<K>>(options), outageSeconds);
}

function localProfile<K extends keyof RecoveryActivities>(options: LocalActivityOptions, outageSeconds: number): LocalActivityInterfaceFor<Pick_<K>> {
  return bounded(proxyLocalActivities<Pick_<K>>(options), outageSeconds);
}

/** The activity proxies of one run, one per timeout profile, each typed to the activities it may run. */
export function activityProfiles(outageSeconds = DEFAULT_OUTAGE_SECONDS) {
  return {
    /** Catalog reads and writes, gprecoverseg.lock and the plan's admission, on the coordinator. */
    catalog: profile<'readCluster' | 'acquireRecoveryLock' | 'releaseRecoveryLock' | 'admitSegmentPlan' | 'verifySegmentDown'
      | 'updateCatalog' | 'backOutCatalog' | 'replayLagBytes'>({
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout: HEARTBEAT,
      retry: retry({ initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' }),
    }, outageSeconds),

    /**
     * Commands on segment hosts: probe, pg_hba.conf, stop (up to gpsegstop's 600 s and its kill sequence), wipe and
     * removal of old directories (hours on a big plain-PostgreSQL segment), start (pg_ctl waits up to 600 s).
     */
    host: profile<'probeTargets' | 'trustRecoveryHosts' | 'stopFailedSegment' | 'keepEvidence' | 'wipeTarget' | 'startRecoveredSegment'
      | 'removeOldLocation' | 'stopPrimaryForRebalance' | 'restartDemotedPrimary'>({
      startToCloseTimeout: '8 hours',
      heartbeatTimeout: HEARTBEAT,
      retry: retry({ initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s' }),
    }, outageSeconds),

    /**
     * Copies run for hours on big segments. A worker that dies or is stopped leaves its copy running on the host and
     * the next attempt attaches to it; a copy tool that failed is tried three times in all (counted on the host, see
     * cluster/jobs.ts), however often the worker was replaced meanwhile.
     */
    copy: profile<'copySegment'>({
      startToCloseTimeout: '72 hours',
      heartbeatTimeout: HEARTBEAT,
      // A cancelled copy must be dead before the workflow backs the catalog out.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: retry({ initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute' }),
    }, outageSeconds),

    /** Waiting for FTS: mirrors catch up at their own pace; the heartbeat carries WAL bytes left. */
    sync: profile<'waitForSync'>({
      startToCloseTimeout: '24 hours',
      heartbeatTimeout: HEARTBEAT,
      retry: retry({ initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 20 }),
    }, outageSeconds),

    /**
     * Runs beside the copies for hours (recovery_progress.file); cancelled by the workflow when they are over. The
     * run does not wait for it to hear the cancellation (up to a heartbeat later): it removes its file by itself.
     */
    watch: profile<'writeRecoveryProgress'>({
      startToCloseTimeout: '72 hours',
      heartbeatTimeout: HEARTBEAT,
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry: retry({ initialInterval: '2s', maximumInterval: '30s' }),
    }, outageSeconds),

    /** The run's ETA for its visibility record: a quick read of Temporal, skipped for a round when it fails. */
    eta: profile<'estimateRunEta'>({
      startToCloseTimeout: '1 minute',
      heartbeatTimeout: HEARTBEAT,
      retry: { maximumAttempts: 2 },
    }, outageSeconds),

    /**
     * A segment's short steps, run by the worker that runs its workflow task (local activities, since 0.3.0 behind
     * PATCHES.shortStepsLocal): each is a few catalog reads or one command, and as an activity task it cost two round
     * trips through the server and a workflow task more than its own work. A worker that dies in one is noticed by
     * the workflow task's timeout instead of a heartbeat, and the step runs again on the next worker: every one of
     * them is idempotent and checks the catalog before it acts. What runs long or must show its progress (emptying a
     * directory, the copy, the wait for sync, the FTS waits) stays an activity task.
     */
    localCatalog: localProfile<'admitSegmentPlan' | 'verifySegmentDown' | 'updateCatalog'>({
      startToCloseTimeout: '10 minutes',
      retry: retry({ initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' }),
    }, outageSeconds),
    /**
     * Stop (gpsegstop's 600 s and its kill sequence), the evidence bundle (bounded reads), the wipe's safety checks
     * (since 0.6.0; emptying a directory stays an activity task) and start (pg_ctl waits up to 600 s).
     */
    localHost: localProfile<'stopFailedSegment' | 'keepEvidence' | 'wipeTarget' | 'startRecoveredSegment'>({
      startToCloseTimeout: '15 minutes',
      retry: retry({ initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s' }),
    }, outageSeconds),

    /** A moved mirror that still shows 'u', a mirror not yet promoted: FTS gets there within a few probe intervals. */
    ftsWait: profile<'verifySegmentDown' | 'waitForPromotion'>({
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: outageSeconds * 1000,
      heartbeatTimeout: HEARTBEAT,
      retry: retry({ initialInterval: '2s', backoffCoefficient: 1.5, maximumInterval: '15s' }),
    }, outageSeconds),
  };
}

export type ActivityProfiles = ReturnType<typeof activityProfiles>;

/** An automatic check's quick reads (catalog history, visibility), within the check's own outage bound. */
export function checkProfiles(outageSeconds: number) {
  return {
    look: profile<'downSince' | 'automaticRuns'>({
      startToCloseTimeout: '1 minute',
      heartbeatTimeout: HEARTBEAT,
      retry: retry({ initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' }),
    }, outageSeconds),
    /** A hook runs once: a retried one could page a DBA twice. Command and webhook run side by side, each bounded. */
    notifier: profile<'notify'>({ startToCloseTimeout: '6 minutes', heartbeatTimeout: HEARTBEAT, retry: { maximumAttempts: 1 } }, outageSeconds),
  };
}

export type CheckProfiles = ReturnType<typeof checkProfiles>;

/** `gprecover check`'s round trip through a worker. */
export const workerCheckProfile = () => profile<'workerInfo'>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } }, DEFAULT_OUTAGE_SECONDS);
