import type { SegmentRow } from '../domain/segment';
import { formatTable } from '../cluster/format/table';
import { WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import { withInstance, type Login } from './sql';

/** One line of `gpstate`, plus what the catalog cannot know. */
export interface DemoStatusRow extends SegmentRow {
  /** The instance answered a query just now. */
  reachable: boolean;
  /** Mirrors only: pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) on the acting primary; null without a connected mirror. */
  walBytesBehind: number | null;
}

async function answers(row: SegmentRow, login: Login): Promise<boolean> {
  try {
    await withInstance(row, { ...login, connectTimeoutMs: 1_500, statementTimeoutMs: 3_000 }, (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function replayLag(primary: SegmentRow, login: Login): Promise<number | null> {
  try {
    return await withInstance(primary, { ...login, connectTimeoutMs: 1_500, statementTimeoutMs: 3_000 }, async (c) => {
      const { rows } = await c.query(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag FROM pg_stat_replication
          WHERE application_name = $1 ORDER BY state = 'streaming' DESC LIMIT 1`,
        [WALRECEIVER_APPLICATION_NAME],
      );
      return rows[0] && rows[0].lag !== null ? Number(rows[0].lag) : null;
    });
  } catch {
    return null;
  }
}

export async function collectStatus(rows: SegmentRow[], login: Login): Promise<DemoStatusRow[]> {
  const reach = await Promise.all(rows.map((r) => answers(r, login)));
  const lags = await Promise.all(rows.map((r) => {
    if (r.role !== 'm') return null;
    const primary = rows.find((p) => p.content === r.content && p.role === 'p');
    return primary && reach[rows.indexOf(primary)] ? replayLag(primary, login) : null;
  }));
  return rows.map((r, i) => ({ ...r, reachable: reach[i], walBytesBehind: lags[i] }));
}

export function formatStatus(rows: DemoStatusRow[]): string {
  const header = ['dbid', 'content', 'role', 'preferred', 'mode', 'status', 'host', 'address:port', 'datadir', 'answers', 'WAL bytes behind'];
  const table = rows.map((r) => [
    String(r.dbid), String(r.content), r.role, r.preferredRole, r.mode, r.status, r.hostname, `${r.address}:${r.port}`, r.datadir,
    r.reachable ? 'yes' : 'NO', r.role === 'm' ? (r.walBytesBehind === null ? '-' : String(r.walBytesBehind)) : '',
  ]);
  return formatTable(header, table).join('\n');
}
