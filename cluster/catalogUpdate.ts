import type pg from 'pg';
import type { CatalogUpdateOutcome } from '../domain/activities';
import type { RecoveryType } from '../domain/recovery';
import { sameLocation, where, type Location, type SegmentRow } from '../domain/segment';
import { addHistory, toSegmentRow } from './catalog';

export interface RecoveryCatalogChange {
  dbid: number;
  content: number;
  type: RecoveryType;
  target: Location;
  moved: boolean;
  /** Ties the history rows to one run, so a retried activity does not write them twice. */
  runTag: string;
}

async function inTransaction<T>(c: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    // GPDB wants this for DML on gp_segment_configuration; a server without the setting just keeps going.
    await c.query('SAVEPOINT sysmods');
    await c.query('SET LOCAL allow_system_table_mods = on').catch(() => c.query('ROLLBACK TO SAVEPOINT sysmods'));
    const out = await fn();
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function rowFor(c: pg.ClientBase, dbid: number): Promise<SegmentRow | undefined> {
  const r = await c.query(
    `SELECT dbid, content, role, preferred_role, mode, status, port, hostname, address, datadir
       FROM gp_segment_configuration WHERE dbid = $1 FOR UPDATE`,
    [dbid],
  );
  return r.rows[0] ? toSegmentRow(r.rows[0]) : undefined;
}

async function historyOnce(c: pg.ClientBase, dbid: number, desc: string): Promise<void> {
  const seen = await c.query(`SELECT 1 FROM gp_configuration_history WHERE dbid = $1 AND "desc" = $2`, [dbid, desc]);
  if (seen.rowCount === 0) await addHistory(c, dbid, desc);
}


/** Re-adds the mirror row with the same dbid at `loc` (gp_remove_segment_mirror + gp_add_segment, as gprecoverseg). */
async function replaceMirrorRow(c: pg.ClientBase, before: SegmentRow, loc: Location): Promise<void> {
  await c.query('SELECT gp_remove_segment_mirror($1::int2)', [before.content]);
  await c.query(
    `SELECT gp_add_segment($1::int2, $2::int2, 'm', $3::"char", 'n', 'd', $4::int4, $5::text, $6::text, $7::text)`,
    [before.dbid, before.content, before.preferredRole, loc.port, loc.hostname, loc.address, loc.datadir],
  );
}

/**
 * gprecoverseg step 7, in one transaction: full recovery and moves keep the dbid through remove + add; in-place
 * incremental and differential only mark the pair not-in-sync. Every change leaves a history row.
 */
export async function applyRecoveryCatalogUpdate(c: pg.ClientBase, ch: RecoveryCatalogChange): Promise<CatalogUpdateOutcome> {
  return inTransaction(c, async () => {
    const before = await rowFor(c, ch.dbid);
    if (!before) throw new Error(`dbid ${ch.dbid} is not in gp_segment_configuration`);
    if (before.status === 'u' || before.role === 'p') {
      throw new Error(`dbid ${ch.dbid} is ${before.status === 'u' ? 'marked up' : 'the acting primary'} in the catalog; refusing to change it`);
    }
    let rewritten = false;
    if (ch.type === 'full' || ch.moved) {
      if (!sameLocation(before, ch.target) || before.mode !== 'n') {
        await replaceMirrorRow(c, before, ch.target);
        rewritten = true;
      }
    } else if (before.mode !== 'n') {
      await c.query(`UPDATE gp_segment_configuration SET mode = 'n' WHERE dbid = $1`, [ch.dbid]);
    }
    // Built only from the request, so a retried attempt (which finds the row already moved) writes the same row.
    const desc = ch.moved
      ? `gprecover: ${ch.type} recovery of dbid ${ch.dbid} moves it to ${where(ch.target)} (${ch.runTag})`
      : `gprecover: ${ch.type} recovery of dbid ${ch.dbid} at ${where(ch.target)} started (${ch.runTag})`;
    await historyOnce(c, ch.dbid, desc);
    const after = await rowFor(c, ch.dbid);
    return { before, after: after!, rewritten };
  });
}

/** Undo of a failed or cancelled recovery that rewrote the row: the segment is catalogued where it was, still down. */
export async function backOutRecoveryCatalogUpdate(c: pg.ClientBase, before: SegmentRow, runTag: string, reason: string): Promise<boolean> {
  return inTransaction(c, async () => {
    const now = await rowFor(c, before.dbid);
    if (!now) throw new Error(`dbid ${before.dbid} vanished from gp_segment_configuration`);
    // Up or promoted means FTS has seen the segment working where it is now: that is not ours to undo.
    if (now.role === 'p' || now.status === 'u') return false;
    const same = sameLocation(now, before);
    if (!same) await replaceMirrorRow(c, before, before);
    await historyOnce(c, before.dbid, `gprecover: backed out the catalog change for dbid ${before.dbid} to ${where(before)}: ${reason.slice(0, 200)} (${runTag})`);
    return !same;
  });
}
