import pg from 'pg';
import { errorMessage, shortError, UnavailableError } from '../../domain/failures';
import {
  BASEBACKUP_APPLICATION_NAME, DIFFERENTIAL_APPLICATION_NAME, GPRECOVER_APPLICATION_NAME, REPLICATION_SLOT, REWIND_APPLICATION_NAME,
  WALRECEIVER_APPLICATION_NAME,
} from '../../domain/names';
import type { SourceProbe } from '../../domain/probe';
import type { Endpoint } from '../../domain/segment';
import type { ClusterConfig } from '../config';
import type { ClusterContext } from '../context';
import { conninfo } from '../exec/conninfo';
import { pgpassLookup } from '../pgpass';

/** A segment that does not answer a direct connection. */
export class SegmentUnavailableError extends UnavailableError {
  override name = 'SegmentUnavailableError';
}

/**
 * A segment session's password: never the coordinator's, which is for the coordinator's address only (a segment
 * address comes from the catalog, where anyone able to change it could otherwise collect it), nor PGPASSWORD, which
 * libpq would offer to any server. Only ~/.pgpass, which names host and port, or none (gpMgmt's trust).
 */
function segmentPassword(ctx: ClusterContext, seg: Endpoint): () => string {
  return () => pgpassLookup({ host: seg.address, port: seg.port, database: 'template1', user: ctx.cfg.replicationUser ?? ctx.cfg.coordinator.user }) ?? '';
}

/** How the worker connects to one segment instance, in utility mode where the flavour has one. */
export function segmentConnection(ctx: ClusterContext, seg: Endpoint, applicationName = GPRECOVER_APPLICATION_NAME): pg.ClientConfig {
  return {
    host: seg.address,
    port: seg.port,
    user: ctx.cfg.replicationUser ?? ctx.cfg.coordinator.user,
    password: segmentPassword(ctx, seg),
    database: 'template1',
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    options: ctx.flavor.utilityOptions,
  };
}

/**
 * A direct session on one segment instance, in utility mode where the flavour has one: a Greenplum primary segment
 * refuses every other connection ("connections to primary segments are not allowed").
 */
export function segmentClient(ctx: ClusterContext, seg: Endpoint, applicationName = GPRECOVER_APPLICATION_NAME, opts: { keepAlive?: boolean } = {}): pg.Client {
  return new pg.Client({
    ...segmentConnection(ctx, seg, applicationName),
    ...(opts.keepAlive ? { keepAlive: true, keepAliveInitialDelayMillis: 30_000 } : {}),
  });
}

/** A segment that could not be connected to, as the run reports it. */
export function segmentUnreachable(seg: Endpoint, err: unknown): SegmentUnavailableError {
  const at = `${seg.address}:${seg.port}`;
  return new SegmentUnavailableError(`the segment at ${at}`, shortError(err), `cannot connect to the segment at ${at}: ${errorMessage(err)}`);
}

/** `fn` on a connection of its own, for statements that may take long (a CHECKPOINT); short ones use ctx.sessionsOn. */
export async function withSegment<T>(ctx: ClusterContext, seg: Endpoint, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = segmentClient(ctx, seg);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw segmentUnreachable(seg, err);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** libpq connection string a mirror streams from its primary with, under the name FTS knows mirrors by. */
export function replicationConninfo(cfg: ClusterConfig, source: Endpoint): string {
  const user = cfg.replicationUser ?? cfg.coordinator.user;
  return conninfo({ host: source.address, port: String(source.port), user, dbname: 'postgres', application_name: WALRECEIVER_APPLICATION_NAME });
}

/** The slot the mirror streams through keeps the primary's WAL until the mirror has it. */
export async function ensureSlot(c: pg.Client): Promise<void> {
  await c.query(
    `SELECT pg_create_physical_replication_slot($1, true)
       WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
    [REPLICATION_SLOT],
  );
}

export async function probeSource(ctx: ClusterContext, dbid: number, seg: Endpoint): Promise<SourceProbe> {
  try {
    // On a connection of its own: summing the sizes of every database and the WAL may take long on a big segment,
    // longer than a kept session's statement timeout.
    return await withSegment(ctx, seg, async (c) => {
      const r = await c.query(`SELECT pg_is_in_recovery() AS in_recovery,
        (SELECT system_identifier FROM pg_control_system())::text AS sysid,
        (SELECT timeline_id FROM pg_control_checkpoint()) AS tli,
        current_setting('server_version_num')::int AS version,
        (SELECT data_page_checksum_version FROM pg_control_init())::int AS checksum,
        (SELECT count(*) FROM pg_stat_replication WHERE application_name = $1)::int AS basebackups,
        (SELECT count(*) FROM pg_stat_activity WHERE application_name = $2)::int AS rewinds,
        (SELECT count(*) FROM pg_stat_activity WHERE application_name = $3)::int AS differentials,
        ((SELECT sum(pg_database_size(oid)) FROM pg_database) + (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()))::bigint AS size`,
      [BASEBACKUP_APPLICATION_NAME, REWIND_APPLICATION_NAME, DIFFERENTIAL_APPLICATION_NAME]);
      const row = r.rows[0];
      // gprecoverseg's differential recovery holds an exclusive backup, which pg_is_in_backup() reports (until
      // PostgreSQL 15 removed it); gprecover's own holds a non-exclusive one in a session it names.
      const exclusiveBackup = row.version < 150000 ? (await c.query('SELECT pg_is_in_backup() AS b')).rows[0].b === true : false;
      return {
        dbid,
        reachable: true,
        inRecovery: row.in_recovery,
        systemIdentifier: row.sysid,
        timeline: Number(row.tli),
        serverVersionNum: row.version,
        checksumVersion: Number(row.checksum),
        sizeBytes: Number(row.size),
        copiesFromIt: { basebackup: row.basebackups > 0, rewind: row.rewinds > 0, backupMode: exclusiveBackup || row.differentials > 0 },
      };
    });
  } catch (err) {
    return { dbid, reachable: false, error: errorMessage(err) };
  }
}
