import os from 'node:os';
import { readClustersFile } from '../cluster/config';

export interface WorkerInfo {
  hostname: string;
  pid: number;
  node: string;
  clusters: string[];
}

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
  };
}
