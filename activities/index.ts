import { clustersFilePath } from '../cluster/config';
import { createWorkerInfoActivities } from './workerInfo';

export interface ActivityDeps {
  /** Worker-side cluster configuration file (never part of workflow input). */
  clustersFile?: string;
}

export function createActivities(deps: ActivityDeps = {}) {
  const clustersFile = deps.clustersFile ?? clustersFilePath();
  return {
    ...createWorkerInfoActivities({ clustersFile }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
