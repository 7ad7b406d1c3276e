import os from 'node:os';
import { readClustersFile } from '../cluster/config';
import type { RecoveryActivities, WorkerInfo } from '../domain/activities';

export type { WorkerInfo } from '../domain/activities';

export function createWorkerInfoActivities(deps: { clustersFile: string }) {
  return {
    /** What the polling worker can reach: lets `gprecover check` prove a worker is alive and configured. */
    async workerInfo(): Promise<WorkerInfo> {
      return {
        hostname: os.hostname(),
        pid: process.pid,
        node: process.version,
        clusters: Object.keys(readClustersFile(deps.clustersFile).clusters).sort(),
      };
    },
  } satisfies Pick<RecoveryActivities, 'workerInfo'>;
}
