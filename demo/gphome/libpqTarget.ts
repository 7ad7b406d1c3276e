// Where libpq would connect and how it words a failure, for the wrappers' messages to match the real tools'.
import net from 'node:net';
import os from 'node:os';

/** Where libpq would connect: explicit values, then PGHOST/PGPORT/PGUSER, then the compiled-in defaults. */
export interface Target {
  host: string;
  hostaddr?: string;
  port: string;
  user: string;
}

const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

export function resolveTarget(given: { host?: string; hostaddr?: string; port?: string; user?: string }): Target {
  const host = given.host || process.env.PGHOST || (given.hostaddr ? given.hostaddr : DEFAULT_SOCKET_DIR);
  return {
    host,
    hostaddr: given.hostaddr || process.env.PGHOSTADDR || undefined,
    port: given.port || process.env.PGPORT || '5432',
    user: given.user || process.env.PGUSER || os.userInfo().username,
  };
}

/** libpq 15's prefix of a connection failure: `connection to server at "h" (addr), port p failed: `. */
export async function connectionFailurePrefix(t: Target): Promise<string> {
  if (t.host.startsWith('/')) return `connection to server on socket "${t.host}/.s.PGSQL.${t.port}" failed: `;
  let addr = t.hostaddr;
  if (!addr && !net.isIP(t.host)) {
    addr = await import('node:dns').then((dns) => dns.promises.lookup(t.host)).then((r) => r.address, () => undefined);
  }
  return addr && addr !== t.host
    ? `connection to server at "${t.host}" (${addr}), port ${t.port} failed: `
    : `connection to server at "${t.host}", port ${t.port} failed: `;
}

/** A node-pg error as libpq would word the part after the prefix. */
export function libpqErrorText(err: unknown): string {
  const e = err as { code?: string; message?: string; severity?: string; detail?: string; hint?: string };
  if (e?.code === 'ECONNREFUSED') return 'Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?';
  if (e?.code === 'ENOENT') return 'No such file or directory\n\tIs the server running locally and accepting connections on that socket?';
  if (e?.severity) {
    return [`${e.severity}:  ${e.message}`, e.detail ? `DETAIL:  ${e.detail}` : '', e.hint ? `HINT:  ${e.hint}` : ''].filter(Boolean).join('\n');
  }
  return e?.message ?? String(err);
}
