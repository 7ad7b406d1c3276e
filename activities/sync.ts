import { cancellationSignal, sleep } from '@temporalio/activity';
import { syncState, type SyncState } from '../cluster/sync';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

export function createSyncActivities(actx: ActivityContext) {
  return {
    /** gprecoverseg step 10: ask FTS to probe, then wait until the catalog says u/s, reporting WAL bytes left. */
    async waitForSync(input: { cluster: string; dbid: number }): Promise<SyncState> {
      const ctx = await actx.cluster(input.cluster);
      return beating(async (report) => {
        for (let round = 0; ; round++) {
          // Probe on the first two rounds (gprecoverseg asks twice: a known race) and every tenth after.
          const state = await syncState(ctx, input.dbid, round < 2 || round % 10 === 0);
          report(`status ${state.status} mode ${state.mode}${state.walBytesBehind !== undefined ? `, ${state.walBytesBehind} WAL bytes behind` : ''}`);
          if (state.status === 'u' && state.mode === 's') return state;
          cancellationSignal().throwIfAborted();
          await sleep(1000);
        }
      });
    },
  };
}
