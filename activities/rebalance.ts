import { log } from '@temporalio/activity';
import { readSegments, requestFtsProbe, withCoordinator } from '../cluster/catalog';
import { withSegment } from '../cluster/segment/sql';
import { stopIfRunning, type StopResult } from '../cluster/segment/stopStart';
import { NotReadyError, SafetyError } from '../domain/failures';
import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

export function createRebalanceActivities(actx: ActivityContext) {
  return {
    /** WAL the mirror has received but not replayed (the --replay-lag check), measured on the acting primary. */
    async replayLagBytes(input: { cluster: string; primaryDbid: number }): Promise<number | null> {
      const ctx = await actx.cluster(input.cluster);
      const primary = (await actx.segments(ctx)).find((s) => s.dbid === input.primaryDbid);
      if (!primary) throw new SafetyError(`dbid ${input.primaryDbid} is not in gp_segment_configuration`);
      return withSegment(ctx, primary, async (c) => {
        const r = await c.query(`SELECT pg_wal_lsn_diff(flush_lsn, replay_lsn)::bigint AS lag FROM pg_stat_replication
          WHERE application_name = $1 ORDER BY backend_start DESC LIMIT 1`, [WALRECEIVER_APPLICATION_NAME]);
        return r.rows[0]?.lag == null ? null : Number(r.rows[0].lag);
      });
    },

    /** Rebalance only: stop an acting primary whose pair is up and synchronized, so FTS promotes its mirror. */
    async stopPrimaryForRebalance(input: { cluster: string; dbid: number }): Promise<StopResult> {
      return beating(async () => {
        const ctx = await actx.cluster(input.cluster);
        const segments = await actx.segments(ctx);
        const me = segments.find((s) => s.dbid === input.dbid);
        const peer = me && segments.find((s) => s.content === me.content && s.dbid !== me.dbid);
        if (!me || !peer) throw new SafetyError(`dbid ${input.dbid} has no pair in gp_segment_configuration`);
        if (me.role !== 'p') return { wasRunning: false };
        if (!(me.status === 'u' && peer.status === 'u' && me.mode === 's' && peer.mode === 's')) {
          throw new SafetyError(`content ${me.content} is not up and synchronized (${me.status}/${me.mode}, ${peer.status}/${peer.mode}); not stopping its primary`);
        }
        const stopped = await stopIfRunning(ctx.host(me), ctx.bin, me);
        log.info(`rebalance: stopped acting primary dbid ${me.dbid} of content ${me.content} so FTS promotes dbid ${peer.dbid}`);
        return stopped;
      });
    },

    /** Triggers FTS until the segment is the acting primary; retried by the waiting profile while it is not. */
    async waitForPromotion(input: { cluster: string; dbid: number }): Promise<void> {
      const ctx = await actx.cluster(input.cluster);
      const row = await withCoordinator(ctx.cfg, async (c) => {
        await requestFtsProbe(c);
        return (await readSegments(c)).find((s) => s.dbid === input.dbid);
      });
      if (row?.role === 'p' && row.status === 'u') return;
      throw new NotReadyError(`dbid ${input.dbid} is not promoted yet (role ${row?.role}, status ${row?.status})`);
    },
  };
}
