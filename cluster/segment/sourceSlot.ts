import type pg from 'pg';
import { CopyConflictError } from './errors';
import { REPLICATION_SLOT } from './recoveryConf';

/** The slot the mirror streams from keeps the primary's WAL until the mirror has it. */
export async function ensureSlot(c: pg.Client): Promise<void> {
  await c.query(
    `SELECT pg_create_physical_replication_slot($1, true)
       WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
    [REPLICATION_SLOT],
  );
}

/** pg_basebackup --create-slot wants no slot; an active one means a mirror still streams, so nothing is dropped. */
export async function dropSlotForFullCopy(c: pg.Client): Promise<void> {
  const r = await c.query(`SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1`, [REPLICATION_SLOT]);
  if (r.rowCount === 0) return;
  if (r.rows[0].active) {
    throw new CopyConflictError(`replication slot ${REPLICATION_SLOT} is in use by walsender pid ${r.rows[0].active_pid}: a mirror still streams from this primary`);
  }
  await c.query('SELECT pg_drop_replication_slot($1)', [REPLICATION_SLOT]);
}
