import type { ClusterContext } from './context';
import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import { readSegments, requestFtsProbe, withCoordinator } from './catalog';
import type { SegmentRow } from '../domain/segment';
import { withSegment } from './segment/sql';

export interface SyncState {
  status: string;
  mode: string;
  /** Bytes of WAL the mirror has still to replay, from the primary's pg_stat_replication. */
  walBytesBehind?: number;
  streaming: boolean;
}

export async function replicationLag(ctx: ClusterContext, primary: SegmentRow): Promise<{ streaming: boolean; walBytesBehind?: number }> {
  try {
    return await withSegment(ctx, primary, async (c) => {
      const r = await c.query(`SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS behind
        FROM pg_stat_replication WHERE application_name = $1 ORDER BY backend_start DESC LIMIT 1`, [WALRECEIVER_APPLICATION_NAME]);
      if (!r.rows[0]) return { streaming: false };
      return { streaming: r.rows[0].state === 'streaming', walBytesBehind: r.rows[0].behind === null ? undefined : Number(r.rows[0].behind) };
    });
  } catch {
    return { streaming: false };
  }
}

/** One look at a recovered mirror: its catalog status and mode, and how far it trails the primary. */
export async function syncState(ctx: ClusterContext, dbid: number, probe: boolean): Promise<SyncState> {
  const segments = await withCoordinator(ctx.cfg, async (c) => {
    if (probe) await requestFtsProbe(c);
    return readSegments(c);
  });
  const me = segments.find((s) => s.dbid === dbid);
  if (!me) throw new Error(`dbid ${dbid} is not in gp_segment_configuration`);
  const primary = segments.find((s) => s.content === me.content && s.dbid !== dbid && s.role === 'p');
  const lag = primary ? await replicationLag(ctx, primary) : { streaming: false };
  return { status: me.status, mode: me.mode, ...lag };
}
