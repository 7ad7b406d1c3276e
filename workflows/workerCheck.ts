import { workerCheckProfile } from './activityProfiles';

/** Round trip through a worker: proves that a worker polls `gp-recovery` and reports what clusters it knows. */
export async function workerCheckWorkflow() {
  return workerCheckProfile().workerInfo();
}
