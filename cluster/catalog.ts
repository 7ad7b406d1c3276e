import pg from 'pg';
import { errorMessage, shortError, UnavailableError } from '../domain/failures';
import { GPRECOVER_APPLICATION_NAME } from '../domain/names';
import type { Mode, Role, SegmentRow, Status } from '../domain/segment';
import type { ClusterConfig } from './config';

export interface ConfigHistoryRow {
  time: string;
  dbid: number;
  desc: string;
}

/** The coordinator does not answer: waited out with a bound by the retry policy, then the run fails naming it. */
export class CoordinatorUnavailableError extends UnavailableError {
  override name = 'CoordinatorUnavailableError';
}

/** How the worker connects to a cluster's coordinator (its configuration, never the workflow's input). */
export function coordinatorConnection(cfg: ClusterConfig, applicationName = GPRECOVER_APPLICATION_NAME): pg.ClientConfig {
  const c = cfg.coordinator;
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    password: c.password,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  };
}

export function coordinatorClient(cfg: ClusterConfig, applicationName = GPRECOVER_APPLICATION_NAME): pg.Client {
  return new pg.Client(coordinatorConnection(cfg, applicationName));
}

/** A connection to the coordinator that failed, as the run reports it. */
export function coordinatorUnreachable(cfg: ClusterConfig, err: unknown): CoordinatorUnavailableError {
  const at = `${cfg.coordinator.host}:${cfg.coordinator.port}`;
  return new CoordinatorUnavailableError(`the coordinator at ${at}`, shortError(err),
    `cannot connect to the coordinator of cluster '${cfg.name}' at ${at}: ${errorMessage(err)}`);
}

export async function withCoordinator<T>(cfg: ClusterConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = coordinatorClient(cfg);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw coordinatorUnreachable(cfg, err);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SEGMENT_COLUMNS = `dbid, content, role, preferred_role, mode, status, port, hostname, address, datadir`;

export function toSegmentRow(r: Record<string, unknown>): SegmentRow {
  return {
    dbid: Number(r.dbid),
    content: Number(r.content),
    role: r.role as Role,
    preferredRole: r.preferred_role as Role,
    mode: r.mode as Mode,
    status: r.status as Status,
    port: Number(r.port),
    hostname: String(r.hostname),
    address: String(r.address),
    datadir: String(r.datadir),
  };
}

export async function readSegments(client: pg.ClientBase): Promise<SegmentRow[]> {
  const res = await client.query(`SELECT ${SEGMENT_COLUMNS} FROM gp_segment_configuration ORDER BY content, dbid`);
  return res.rows.map(toSegmentRow);
}

export async function readHistory(client: pg.ClientBase, limit = 100): Promise<ConfigHistoryRow[]> {
  const res = await client.query(
    `SELECT time, dbid, "desc" FROM gp_configuration_history ORDER BY time DESC LIMIT $1`,
    [limit],
  );
  return res.rows.map((r) => ({ time: new Date(r.time).toISOString(), dbid: Number(r.dbid), desc: String(r.desc) }));
}

export async function addHistory(client: pg.ClientBase, dbid: number, desc: string): Promise<void> {
  await client.query(`INSERT INTO gp_configuration_history (time, dbid, "desc") VALUES (now(), $1, $2)`, [dbid, desc]);
}

/** GPDB answers once a probe cycle has run; gprecoverseg calls it twice because of a known race. */
export async function requestFtsProbe(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT gp_request_fts_probe_scan()');
}

/**
 * When FTS last marked each segment down: the newest gp_configuration_history row saying so. Greenplum's FTS writes
 * `FTS: update role, status, and mode for dbid 6 with contentid 0 to m, d, and n`; the demo's FTS writes
 * `... fault marking status down dbid 6 ...`. A dbid without such a row maps to null.
 */
export async function readDownSince(client: pg.ClientBase, dbids: number[]): Promise<Record<number, string | null>> {
  const out: Record<number, string | null> = Object.fromEntries(dbids.map((d) => [d, null]));
  if (!dbids.length) return out;
  const res = await client.query(
    `SELECT dbid, max(time) AS since FROM gp_configuration_history
      WHERE dbid = ANY($1::int2[]) AND ("desc" ~ 'to [pm], d, and [sn]$' OR "desc" ~ 'marking status down')
      GROUP BY dbid`,
    [dbids],
  );
  for (const r of res.rows) out[Number(r.dbid)] = new Date(r.since).toISOString();
  return out;
}
