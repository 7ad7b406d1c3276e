import { clustersFilePath } from '../cluster/config';
import type { RecoveryActivities } from '../domain/activities';
import { createAdmitActivities } from './admit';
import { createAutoRecoveryActivities } from './autoRecovery';
import { createCatalogActivities } from './catalog';
import { createClusterActivities } from './cluster';
import { ActivityContext } from './context';
import { createCopyActivities } from './copy';
import { createEtaActivities } from './eta';
import { createLockActivities } from './lock';
import { createNotifyActivities } from './notify';
import { createPgHbaActivities } from './pgHba';
import { createRebalanceActivities } from './rebalance';
import { createSegmentActivities } from './segment';
import { createSyncActivities } from './sync';
import { createWatchActivities } from './watch';
import { createWorkerInfoActivities } from './workerInfo';

export interface ActivityDeps {
  /** Worker-side cluster configuration file (never part of workflow input). */
  clustersFile?: string;
}

/** Every activity a worker registers, each implementing its contract in domain/activities.ts. */
export function createActivities(deps: ActivityDeps = {}): RecoveryActivities {
  const clustersFile = deps.clustersFile ?? clustersFilePath();
  const ctx = new ActivityContext(clustersFile);
  return {
    ...createWorkerInfoActivities({ clustersFile }),
    ...createClusterActivities(ctx),
    ...createAdmitActivities(ctx),
    ...createSegmentActivities(ctx),
    ...createCatalogActivities(ctx),
    ...createCopyActivities(ctx),
    ...createSyncActivities(ctx),
    ...createRebalanceActivities(ctx),
    ...createLockActivities(ctx),
    ...createWatchActivities(ctx),
    ...createEtaActivities(),
    ...createPgHbaActivities(ctx),
    ...createAutoRecoveryActivities(ctx),
    ...createNotifyActivities(clustersFile),
  };
}
