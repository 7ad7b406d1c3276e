import type pg from 'pg';
import { addHistory, readSegments } from '../cluster/catalog';
import type { SegmentRow } from '../domain/segment';
import type { FtsAction } from './ftsDecide';
import { REPLICATION_SLOT, WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import { withInstance, type Login } from './sql';

export type ApplyOutcome = 'applied' | 'catalog-moved';

const sameRow = (a: SegmentRow, b: SegmentRow) =>
  a.dbid === b.dbid && a.role === b.role && a.mode === b.mode && a.status === b.status && a.port === b.port &&
  a.address === b.address && a.datadir === b.datadir;

function endpoint(action: FtsAction, dbid: number) {
  const row = action.expected.find((r) => r.dbid === dbid);
  if (!row) throw new Error(`dbid ${dbid} is not part of content ${action.content}`);
  return { address: row.address, port: row.port };
}

/**
 * As a Greenplum mirror does on promotion: the new primary gets the replication slot its future mirror will
 * stream through, and a checkpoint, so its control file shows the new timeline (pg_rewind reads it from there).
 */
async function promote(action: FtsAction, dbid: number, login: Login): Promise<void> {
  await withInstance(endpoint(action, dbid), { ...login, connectTimeoutMs: 2_000 }, async (c) => {
    const { rows } = await c.query('SELECT pg_is_in_recovery() AS r');
    if (rows[0].r) {
      const res = await c.query('SELECT pg_promote(true, 60) AS ok');
      if (res.rows[0].ok !== true) throw new Error(`pg_promote() on dbid ${dbid} did not finish within 60 s`);
    }
    await c.query(
      `SELECT pg_create_physical_replication_slot($1, true)
        WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
      [REPLICATION_SLOT],
    );
    await c.query('CHECKPOINT');
  });
}

/** Greenplum FTS switches synchronous replication with the mirror's state, so a lost mirror never blocks commits. */
async function setSyncRep(action: FtsAction, dbid: number, on: boolean, login: Login): Promise<void> {
  await withInstance(endpoint(action, dbid), { ...login, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 }, async (c) => {
    await c.query(`ALTER SYSTEM SET synchronous_standby_names = '${on ? WALRECEIVER_APPLICATION_NAME : ''}'`);
    await c.query('SELECT pg_reload_conf()');
  });
}

/** Every catalog change of one content in one transaction, with its history rows, and only on the rows decided on. */
async function updateCatalog(coord: pg.Client, action: FtsAction): Promise<ApplyOutcome> {
  await coord.query('BEGIN');
  try {
    if (action.updates.length) {
      await coord.query('SELECT dbid FROM gp_segment_configuration WHERE content = $1 FOR UPDATE', [action.content]);
      const now = (await readSegments(coord)).filter((r) => r.content === action.content);
      const unchanged = now.length === action.expected.length && now.every((r) => action.expected.some((e) => sameRow(r, e)));
      if (!unchanged) {
        await coord.query('ROLLBACK');
        return 'catalog-moved';
      }
      for (const u of action.updates) {
        await coord.query(
          `UPDATE gp_segment_configuration SET role = COALESCE($2, role), mode = COALESCE($3, mode), status = COALESCE($4, status)
            WHERE dbid = $1`,
          [u.dbid, u.role ?? null, u.mode ?? null, u.status ?? null],
        );
      }
    }
    for (const h of action.history) await addHistory(coord, h.dbid, h.desc);
    await coord.query('COMMIT');
    return 'applied';
  } catch (err) {
    await coord.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function applyFtsAction(coord: pg.Client, action: FtsAction, login: Login): Promise<ApplyOutcome> {
  if (action.promote !== undefined) await promote(action, action.promote, login);
  // Sync rep goes on before the catalog claims 's' and off only after it stops claiming it.
  if (action.syncRep?.on) await setSyncRep(action, action.syncRep.dbid, true, login);
  const outcome = action.updates.length || action.history.length ? await updateCatalog(coord, action) : 'applied';
  if (outcome === 'applied' && action.syncRep && !action.syncRep.on) await setSyncRep(action, action.syncRep.dbid, false, login);
  return outcome;
}
