import { log } from '@temporalio/activity';
import type { DbidInput, RecoveryActivities, ReplayLagInput, StopOutcome } from '../domain/activities';
import { readSegments, requestFtsProbe, withCoordinator } from '../cluster/catalog';
import { stopSegment, STOP_TIMEOUT_SECONDS } from '../cluster/segment/stopStart';
import { NotReadyError, SafetyError } from '../domain/failures';
import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

export function createRebalanceActivities(actx: ActivityContext) {
  return {
    /** WAL the mirror has received but not replayed (the --replay-lag check), measured on the acting primary. */
    async replayLagBytes(input: ReplayLagInput): Promise<number | null> {
      const ctx = await actx.cluster(input.cluster);
      const primary = (await actx.segments(ctx)).find((s) => s.dbid === input.primaryDbid);
      if (!primary) throw new SafetyError(`dbid ${input.primaryDbid} is not in gp_segment_configuration`);
      return ctx.sessionsOn(primary).use(async (c) => {
        const r = await c.query(`SELECT pg_wal_lsn_diff(flush_lsn, replay_lsn)::bigint AS lag FROM pg_stat_replication
          WHERE application_name = $1 ORDER BY backend_start DESC LIMIT 1`, [WALRECEIVER_APPLICATION_NAME]);
        return r.rows[0]?.lag == null ? null : Number(r.rows[0].lag);
      });
    },

    /** Rebalance only: stop an acting primary whose pair is up and synchronized (gpsegstop, 600 s), so FTS promotes its mirror. */
    async stopPrimaryForRebalance(input: DbidInput): Promise<StopOutcome> {
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      const me = segments.find((s) => s.dbid === input.dbid);
      const peer = me && segments.find((s) => s.content === me.content && s.dbid !== me.dbid);
      if (!me || !peer) throw new SafetyError(`dbid ${input.dbid} has no pair in gp_segment_configuration`);
      if (me.role !== 'p') return { wasRunning: false };
      if (!(me.status === 'u' && peer.status === 'u' && me.mode === 's' && peer.mode === 's' && peer.preferredRole === 'p')) {
        throw new SafetyError(`content ${me.content} is not up, synchronized and out of its preferred roles (${me.status}/${me.mode}, ${peer.status}/${peer.mode}); not stopping its primary`);
      }
      reportProgress({ phase: `stopping acting primary dbid ${me.dbid} (gpsegstop: fast, ${STOP_TIMEOUT_SECONDS.rebalance} s)` });
      const stopped = await stopSegment(ctx.host(me), ctx.bin, me, STOP_TIMEOUT_SECONDS.rebalance);
      log.info(`rebalance: stopped acting primary dbid ${me.dbid} of content ${me.content} so FTS promotes dbid ${peer.dbid}`);
      return stopped;
    },

    /** Triggers FTS until the segment is the acting primary; retried by the waiting profile while it is not. */
    async waitForPromotion(input: DbidInput): Promise<void> {
      const ctx = await actx.cluster(input.cluster);
      const row = await withCoordinator(ctx.cfg, async (c) => {
        await requestFtsProbe(c);
        return (await readSegments(c)).find((s) => s.dbid === input.dbid);
      });
      if (row?.role === 'p' && row.status === 'u') return;
      throw new NotReadyError(`dbid ${input.dbid} is not promoted yet (role ${row?.role}, status ${row?.status})`);
    },
  } satisfies Pick<RecoveryActivities, 'replayLagBytes' | 'stopPrimaryForRebalance' | 'waitForPromotion'>;
}
