import { clustersFilePath } from '../cluster/config';
import { createCatalogActivities } from './catalog';
import { createClusterActivities } from './cluster';
import { ActivityContext } from './context';
import { createCopyActivities } from './copy';
import { createLockActivities } from './lock';
import { createWatchActivities } from './watch';
import { createPgHbaActivities } from './pgHba';
import { createRebalanceActivities } from './rebalance';
import { createSegmentActivities } from './segment';
import { createSyncActivities } from './sync';
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
    ...createClusterActivities(ctx),
    ...createSegmentActivities(ctx),
    ...createCatalogActivities(ctx),
    ...createCopyActivities(ctx),
    ...createSyncActivities(ctx),
    ...createRebalanceActivities(ctx),
    ...createLockActivities(ctx),
    ...createWatchActivities(ctx),
    ...createPgHbaActivities(ctx),
  };
}

export type Activities = ReturnType<typeof createActivities>;
