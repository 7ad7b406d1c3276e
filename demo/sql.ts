import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Endpoint } from '../domain/segment';

/** Who the demo's own sessions log in as; on a Greenplum flavour they ask for utility mode, as gpMgmt's tools do. */
export interface Login {
  user: string;
  utility?: boolean;
}

export const loginOf = (layout: { dbUser: string; flavor?: string }): Login => ({ user: layout.dbUser, utility: layout.flavor !== 'postgres' });

export interface ConnectOptions extends Login {
  database?: string;
  connectTimeoutMs?: number;
  applicationName?: string;
  /** Server-side statement_timeout, so a hung instance cannot hang the caller. */
  statementTimeoutMs?: number;
}

export async function connect(ep: Endpoint, opts: ConnectOptions): Promise<pg.Client> {
  const client = new pg.Client({
    host: ep.address,
    port: ep.port,
    user: opts.user,
    database: opts.database ?? 'postgres',
    application_name: opts.applicationName ?? 'gprecover-demo',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    statement_timeout: opts.statementTimeoutMs,
    ...(opts.utility ? { options: '-c gp_role=utility' } : {}),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

export async function withInstance<T>(ep: Endpoint, opts: ConnectOptions, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(ep, opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export { sleep };

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
