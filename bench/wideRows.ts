// Data for the copy benchmarks: rows of 1000 bytes, below the TOAST threshold, so they are stored uncompressed and
// a GiB in the table is a GiB on disk and a GiB for pg_basebackup to move.
import { withInstance, type Login } from '../demo/sql';
import type { Endpoint } from '../domain/segment';

const TABLE = 'bench_wide';
/** 7 rows of ~1040 bytes fill an 8 kB heap page. */
const BYTES_PER_ROW = 8192 / 7;
const BATCH_ROWS = 100_000;

export interface Loaded {
  rows: number;
  tableBytes: number;
}

export async function loadWideRows(ep: Endpoint, login: Login, bytes: number, onBatch?: (done: number, total: number) => void): Promise<Loaded> {
  const total = Math.ceil(bytes / BYTES_PER_ROW);
  return withInstance(ep, login, async (c) => {
    await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id bigint NOT NULL, payload text NOT NULL)`);
    for (let from = 1; from <= total; from += BATCH_ROWS) {
      const to = Math.min(total, from + BATCH_ROWS - 1);
      await c.query(`INSERT INTO ${TABLE} SELECT g, rpad(md5(g::text), 1000, md5((g * 31)::text)) FROM generate_series($1::bigint, $2::bigint) g`, [from, to]);
      onBatch?.(to, total);
    }
    // Sets every hint bit now: with wal_log_hints (needed by pg_rewind) the first scan after a checkpoint would
    // otherwise log a full-page image of every page, and the "1% change" would write WAL for the whole table.
    await c.query(`VACUUM ${TABLE}`);
    await c.query('CHECKPOINT');
    const r = await c.query(`SELECT pg_total_relation_size('${TABLE}')::bigint AS b`);
    return { rows: total, tableBytes: Number(r.rows[0].b) };
  });
}

/** Rewrites the first `pct` percent of the rows (a contiguous id range, so about that share of the pages) and
 * returns how much WAL the change produced: what a mirror that missed it has to replay. */
export async function changeRows(ep: Endpoint, login: Login, rows: number, pct: number): Promise<{ rows: number; walBytes: number }> {
  const n = Math.max(1, Math.round((rows * pct) / 100));
  return withInstance(ep, login, async (c) => {
    const before = (await c.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    await c.query(`UPDATE ${TABLE} SET payload = rpad(md5((id + 7)::text), 1000, 'y') WHERE id <= $1`, [n]);
    const wal = await c.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS b', [before]);
    return { rows: n, walBytes: Number(wal.rows[0].b) };
  });
}
