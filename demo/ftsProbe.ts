import type { SegmentRow } from '../domain/segment';
import { isConnected, type InstanceObservation } from './ftsDecide';
import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import { errorText, sleep, withInstance, type Login } from './sql';

export interface ProbeOptions {
  login: Login;
  /** Greenplum flavours: read each instance's gp_dbid and tablespace links too. */
  identity?: boolean;
  attempts: number;
  connectTimeoutMs: number;
  retryDelayMs: number;
}

export const DEFAULT_PROBE: Omit<ProbeOptions, 'login'> = { attempts: 3, connectTimeoutMs: 1_000, retryDelayMs: 150 };

async function probeOnce(seg: SegmentRow, asPrimary: boolean, opts: ProbeOptions): Promise<InstanceObservation> {
  const ep = { address: seg.address, port: seg.port };
  return withInstance(ep, { ...opts.login, connectTimeoutMs: opts.connectTimeoutMs, statementTimeoutMs: 2_000, applicationName: 'gp_fts_probe' }, async (c) => {
    const head = await c.query(`SELECT pg_is_in_recovery() AS r, current_setting('synchronous_standby_names') AS s`);
    const inRecovery = head.rows[0].r === true;
    const identity = opts.identity ? await readIdentity(c) : undefined;
    if (!asPrimary || inRecovery) return { reachable: true, inRecovery, ...(identity ? { identity } : {}) };
    const rep = await c.query(
      `SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::float8 AS lag,
              (extract(epoch FROM now() - coalesce(reply_time, backend_start)) * 1000)::float8 AS reply_age FROM pg_stat_replication
        WHERE application_name = $1 ORDER BY state = 'streaming' DESC, state = 'catchup' DESC LIMIT 1`,
      [WALRECEIVER_APPLICATION_NAME],
    );
    const row = rep.rows[0];
    return {
      reachable: true,
      inRecovery,
      syncRepOn: String(head.rows[0].s).trim() !== '',
      ...(identity ? { identity } : {}),
      walsender: row ? { state: String(row.state), flushLagBytes: row.lag === null ? Number.MAX_SAFE_INTEGER : Number(row.lag), replyAgeMs: Number(row.reply_age) } : null,
    };
  });
}

/** What Greenplum's FTS would compare with the catalog: gp_dbid from internal.auto.conf, and the tablespace links. */
async function readIdentity(c: import('pg').Client): Promise<NonNullable<InstanceObservation['identity']>> {
  const { rows } = await c.query(`SELECT pg_read_file('internal.auto.conf', 0, 1000, true) AS ident,
    array(SELECT pg_catalog.pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')) AS links`);
  const m = /^\s*gp_dbid\s*=\s*(\d+)/m.exec(String(rows[0].ident ?? ''));
  return { ...(m ? { gpDbid: Number(m[1]) } : {}), tablespaceLinks: (rows[0].links as string[]) ?? [] };
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

/**
 * Acting primaries and the mirrors the catalog holds up; a mirror marked down is judged by its primary's walsender,
 * and probed itself only for its identity (Greenplum flavours) before FTS may mark it up. Such a mirror gets one
 * attempt, and the retries only once its primary streams to it: a mirror that is down (one being rebuilt) refuses
 * every attempt, and Greenplum's FTS, which probes primaries only, takes no longer for it.
 */
export async function probeSegments(rows: SegmentRow[], opts: ProbeOptions): Promise<Map<number, InstanceObservation>> {
  const targets = rows.filter((r) => r.content >= 0 && (r.role === 'p' || r.status === 'u' || opts.identity));
  const downMirror = (r: SegmentRow) => r.role === 'm' && r.status === 'd';
  const results = await Promise.all(targets.map((r) => probeInstance(r, r.role === 'p', downMirror(r) ? { ...opts, attempts: 1 } : opts)));
  const seen = new Map(targets.map((r, i) => [r.dbid, results[i]]));
  await Promise.all(targets.filter((r) => downMirror(r) && !seen.get(r.dbid)!.reachable && opts.attempts > 1).map(async (m) => {
    const primary = targets.find((r) => r.content === m.content && r.role === 'p');
    const o = primary && seen.get(primary.dbid);
    if (!o || !isConnected(o)) return;
    await sleep(opts.retryDelayMs);
    seen.set(m.dbid, await probeInstance(m, false, { ...opts, attempts: opts.attempts - 1 }));
  }));
  return seen;
}
