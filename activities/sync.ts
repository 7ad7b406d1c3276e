import { cancellationSignal } from '@temporalio/activity';
import type { DbidInput, RecoveryActivities, SyncState } from '../domain/activities';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

export function createSyncActivities(actx: ActivityContext) {
  return {
    /**
     * gprecoverseg step 10: until the catalog says u/s, reporting WAL bytes left. The looking is done by the worker's
     * one sync watcher for the cluster, shared by every segment waiting on it (cluster/sync.ts).
     */
    async waitForSync(input: DbidInput): Promise<SyncState> {
      return actx.syncWatcher(input.cluster).wait(input.dbid, (state) => {
        reportProgress({ phase: `status ${state.status} mode ${state.mode}`, walBytesBehind: state.walBytesBehind });
      }, cancellationSignal());
    },
  } satisfies Pick<RecoveryActivities, 'waitForSync'>;
}
