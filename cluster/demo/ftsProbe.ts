import type { SegmentRow } from '../catalog';
import type { InstanceObservation } from './ftsDecide';
import { WALRECEIVER_APPLICATION_NAME } from './instance';
import { errorText, sleep, withInstance } from './sql';

export interface ProbeOptions {
  user: string;
  attempts: number;
  connectTimeoutMs: number;
  retryDelayMs: number;
}

export const DEFAULT_PROBE: Omit<ProbeOptions, 'user'> = { attempts: 3, connectTimeoutMs: 1_000, retryDelayMs: 150 };

async function probeOnce(seg: SegmentRow, asPrimary: boolean, opts: ProbeOptions): Promise<InstanceObservation> {
  const ep = { address: seg.address, port: seg.port };
  return withInstance(ep, { user: opts.user, connectTimeoutMs: opts.connectTimeoutMs, statementTimeoutMs: 2_000, applicationName: 'gp_fts_probe' }, async (c) => {
    const head = await c.query(`SELECT pg_is_in_recovery() AS r, current_setting('synchronous_standby_names') AS s`);
    const inRecovery = head.rows[0].r === true;
    if (!asPrimary || inRecovery) return { reachable: true, inRecovery };
    const rep = await c.query(
      `SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::float8 AS lag FROM pg_stat_replication
        WHERE application_name = $1 ORDER BY state = 'streaming' DESC, state = 'catchup' DESC LIMIT 1`,
      [WALRECEIVER_APPLICATION_NAME],
    );
    const row = rep.rows[0];
    return {
      reachable: true,
      inRecovery,
      syncRepOn: String(head.rows[0].s).trim() !== '',
      walsender: row ? { state: String(row.state), flushLagBytes: row.lag === null ? Number.MAX_SAFE_INTEGER : Number(row.lag) } : null,
    };
  });
}

/** Retries quickly before calling an instance dead: a busy postmaster may refuse one connection. */
export async function probeInstance(seg: SegmentRow, asPrimary: boolean, opts: ProbeOptions): Promise<InstanceObservation> {
  let error = '';
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      return await probeOnce(seg, asPrimary, opts);
    } catch (err) {
      error = errorText(err);
      if (attempt < opts.attempts) await sleep(opts.retryDelayMs);
    }
  }
  return { reachable: false, error };
}

/** Acting primaries and the mirrors the catalog holds up; a mirror marked down is judged by its primary's walsender. */
export async function probeSegments(rows: SegmentRow[], opts: ProbeOptions): Promise<Map<number, InstanceObservation>> {
  const targets = rows.filter((r) => r.content >= 0 && (r.role === 'p' || r.status === 'u'));
  const results = await Promise.all(targets.map((r) => probeInstance(r, r.role === 'p', opts)));
  return new Map(targets.map((r, i) => [r.dbid, results[i]]));
}
