import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Catalog reads and writes on the coordinator: quick, retried a few times. */
export const catalogActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 10 },
});

/** Commands on segment hosts: probe, stop, wipe (hours on a big directory), start. All activities heartbeat every 2 s,
 * so a 10 s heartbeat timeout finds a dead worker quickly whatever the step. */
export const hostActivities = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Copies run for hours on big segments; the heartbeat is what notices a dead worker, and the next attempt attaches
 * to the copy still running on the host instead of starting another.
 */
export const copyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '72 hours',
  heartbeatTimeout: '10 seconds',
  // A cancelled copy must be dead before the workflow backs the catalog out.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** Waiting for FTS: mirrors catch up at their own pace; the heartbeat carries WAL bytes left. */
export const syncActivities = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2s', maximumInterval: '30s' },
});

/** A moved mirror that still shows 'u' is waited for: FTS marks it 'd' within a few probe intervals. */
export const ftsWaitActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 1.5, maximumInterval: '15s', maximumAttempts: 40 },
});
