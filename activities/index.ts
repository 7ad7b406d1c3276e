import { clustersFilePath } from '../cluster/config';
import { createAutoRecoveryActivities } from './autoRecovery';
import { createCatalogActivities } from './catalog';
import { createClusterActivities } from './cluster';
import { ActivityContext } from './context';
import { createCopyActivities } from './copy';
import { createLockActivities } from './lock';
import { createNotifyActivities } from './notify';
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

function recoveryActivities(ctx: ActivityContext, clustersFile: string) {
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

/** What automatic checks (autoRecoveryWorkflow) call beside the recovery activities. */
function autoActivities(ctx: ActivityContext) {
  return {
    ...createAutoRecoveryActivities(ctx),
    ...createNotifyActivities(),
  };
}

/** Every activity a worker registers. */
export function createActivities(deps: ActivityDeps = {}) {
  const clustersFile = deps.clustersFile ?? clustersFilePath();
  const ctx = new ActivityContext(clustersFile);
  return { ...recoveryActivities(ctx, clustersFile), ...autoActivities(ctx) };
}

/** The activities of recoveries, rebalances and worker checks (what stub and simulated workers provide). */
export type Activities = ReturnType<typeof recoveryActivities>;
export type AutoRecoveryActivities = ReturnType<typeof autoActivities>;
