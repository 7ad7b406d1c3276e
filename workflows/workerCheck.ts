import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { workerInfo } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Round trip through a worker: proves that a worker polls `gp-recovery` and reports what clusters it knows. */
export async function workerCheckWorkflow() {
  return workerInfo();
}
