import pg from 'pg';
import type { ClusterConfig } from '../config';
import type { SourceProbe } from '../probeTypes';

export interface Endpoint {
  address: string;
  port: number;
}

/** A utility-mode style connection straight to one segment instance. */
export async function withSegment<T>(cfg: ClusterConfig, seg: Endpoint, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: seg.address,
    port: seg.port,
    user: cfg.replicationUser ?? cfg.coordinator.user,
    password: cfg.coordinator.password,
    database: 'postgres',
    application_name: 'gprecover',
    connectionTimeoutMillis: 10_000,
    options: cfg.segmentConnectOptions,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * libpq connection string to the source. The recovered mirror streams as gp_walreceiver, the name FTS looks for;
 * a copy tool must not use it: pg_basebackup's WAL stream would look like the mirror being back.
 */
export function replicationConninfo(cfg: ClusterConfig, source: Endpoint, applicationName = 'gp_walreceiver'): string {
  const user = cfg.replicationUser ?? cfg.coordinator.user;
  return `host=${source.address} port=${source.port} user=${user} dbname=postgres application_name=${applicationName}`;
}

export const COPY_APPLICATION_NAME = 'gprecover_copy';

export async function probeSource(cfg: ClusterConfig, dbid: number, seg: Endpoint): Promise<SourceProbe> {
  try {
    return await withSegment(cfg, seg, async (c) => {
      const r = await c.query(`SELECT pg_is_in_recovery() AS in_recovery,
        (SELECT system_identifier FROM pg_control_system())::text AS sysid,
        (SELECT timeline_id FROM pg_control_checkpoint()) AS tli,
        current_setting('server_version_num')::int AS version`);
      const row = r.rows[0];
      return {
        dbid,
        reachable: true,
        inRecovery: row.in_recovery,
        systemIdentifier: row.sysid,
        timeline: Number(row.tli),
        serverVersionNum: row.version,
      };
    });
  } catch (err) {
    return { dbid, reachable: false, error: (err as Error).message };
  }
}
