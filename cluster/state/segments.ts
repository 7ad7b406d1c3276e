import { WALRECEIVER_APPLICATION_NAME } from '../../domain/names';
import type { SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { withSegment } from '../segment/sql';

/** One row of the catalog, plus what only the instance itself can tell. */
export interface ProbedSegment extends SegmentRow {
  /** The instance answered just now: a utility-mode session, or a running postmaster's refusal (a mirror in recovery). */
  answers: boolean;
  /**
   * Mirrors only: bytes the mirror has not replayed, `pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)` of its
   * walreceiver on its acting primary; null when that primary does not answer or no walreceiver is connected.
   */
  walBytesBehind: number | null;
}

/** A segment host that swallows packets must not hold the whole view up. */
const ANSWER_WITHIN_MS = 5_000;
/** Sessions opened at once: a cluster may have hundreds of segments. */
const PARALLEL = 32;

interface Probe {
  answers: boolean;
  /** On a primary: replay lag of its connected walreceiver. */
  lag: number | null;
}

const LAG = `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag FROM pg_stat_replication
  WHERE application_name = $1 ORDER BY state = 'streaming' DESC LIMIT 1`;

/**
 * A running postmaster that refuses sessions still answers: a Greenplum 7 mirror without hot standby says 'the
 * database system is in recovery mode' (with its last replayed record), PostgreSQL 'starting up' or 'not accepting
 * connections' (SQLSTATE 57P03).
 */
export function isLiveRefusal(err: unknown): boolean {
  return /the database system is (in recovery mode|starting up|not (yet )?accepting connections)/i.test((err as Error)?.message ?? '');
}

async function probe(ctx: ClusterContext, row: SegmentRow): Promise<Probe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe>((resolve) => {
    timer = setTimeout(() => resolve({ answers: false, lag: null }), ANSWER_WITHIN_MS);
  });
  const asked = withSegment(ctx, row, async (c) => {
    await c.query('SELECT 1');
    if (row.role !== 'p') return { answers: true, lag: null };
    const { rows } = await c.query(LAG, [WALRECEIVER_APPLICATION_NAME]);
    return { answers: true, lag: rows[0] && rows[0].lag !== null ? Number(rows[0].lag) : null };
  }).catch((err: unknown): Probe => ({ answers: isLiveRefusal(err), lag: null }));
  try {
    return await Promise.race([asked, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** Asks every instance directly (utility mode, as the flavour requires); one that does not answer is shown so. */
export async function probeSegments(ctx: ClusterContext, rows: SegmentRow[]): Promise<ProbedSegment[]> {
  const probes = await mapLimit(rows, PARALLEL, (r) => probe(ctx, r));
  return rows.map((r, i) => {
    if (r.role !== 'm') return { ...r, answers: probes[i].answers, walBytesBehind: null };
    const primary = rows.findIndex((p) => p.content === r.content && p.role === 'p');
    return { ...r, answers: probes[i].answers, walBytesBehind: primary >= 0 ? probes[primary].lag : null };
  });
}
