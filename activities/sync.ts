import { cancellationSignal } from '@temporalio/activity';
import type { SyncState } from '../cluster/sync';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

export function createSyncActivities(actx: ActivityContext) {
  return {
    /**
     * gprecoverseg step 10: until the catalog says u/s, reporting WAL bytes left. The looking is done by the worker's
     * one sync watcher for the cluster, shared by every segment waiting on it (cluster/sync.ts).
     */
    async waitForSync(input: { cluster: string; dbid: number }): Promise<SyncState> {
      return beating((report) => actx.syncWatcher(input.cluster).wait(input.dbid, (state) => {
        report(`status ${state.status} mode ${state.mode}${state.walBytesBehind !== undefined ? `, ${state.walBytesBehind} WAL bytes behind` : ''}`);
      }, cancellationSignal()));
    },
  };
}
