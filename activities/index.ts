import { clustersFilePath } from '../cluster/config';
import { ActivityContext } from './context';
import { createRebalanceActivities } from './rebalance';
import { createRecoveryActivities } from './recovery';
import { createWorkerInfoActivities } from './workerInfo';

export interface ActivityDeps {
  /** Worker-side cluster configuration file (never part of workflow input). */
  clustersFile?: string;
}

export function createActivities(deps: ActivityDeps = {}) {
  const clustersFile = deps.clustersFile ?? clustersFilePath();
  const ctx = new ActivityContext(clustersFile);
  return {
    ...createWorkerInfoActivities({ clustersFile }),
    ...createRecoveryActivities(ctx),
    ...createRebalanceActivities(ctx),
  };
}

export type Activities = ReturnType<typeof createActivities>;
