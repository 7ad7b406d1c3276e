import { setTimeout as sleep } from 'node:timers/promises';
import { REPLICATION_SLOT } from '../../domain/names';
import type { Endpoint } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { CopyConflictError } from './errors';

/**
 * pg.py kill_existing_walsenders_on_primary: the source's old walsenders end, so that a mirror whose host hung (its
 * walreceiver still attached until wal_sender_timeout) no longer holds the slot a copy needs. Returns how many ended.
 */
export async function endWalSenders(ctx: ClusterContext, source: Endpoint): Promise<number> {
  return ctx.sessionsOn(source).use(async (c) =>
    (await c.query('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_get_wal_senders()')).rows.filter((r) => r.ended).length);
}

/**
 * PgBaseBackup's slot logic, before a full or differential copy: the source's slot is dropped so the copy can
 * create it afresh. A walsender still holding it (a hung mirror's, the pg_hba step could not end it) is ended first,
 * as kill_existing_walsenders_on_primary would have; a slot still active 10 s later is a conflict.
 */
export async function freeReplicationSlot(ctx: ClusterContext, source: Endpoint & { dbid: number }): Promise<boolean> {
  return ctx.sessionsOn(source).use(async (c) => {
    for (let i = 0; ; i++) {
      const r = await c.query('SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1', [REPLICATION_SLOT]);
      if (r.rowCount === 0) return true;
      if (!r.rows[0].active) {
        await c.query('SELECT pg_drop_replication_slot($1)', [REPLICATION_SLOT]);
        return true;
      }
      if (i >= 20) {
        throw new CopyConflictError(`replication slot ${REPLICATION_SLOT} on dbid ${source.dbid} is still in use by pid ${r.rows[0].active_pid} after its walsenders were ended`);
      }
      if (i === 0) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_get_wal_senders()');
      await sleep(500);
    }
  });
}
