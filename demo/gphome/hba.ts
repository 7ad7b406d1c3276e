/**
 * The demo's hosts share one machine, so every connection reaches PostgreSQL from the loopback address and
 * pg_hba.conf cannot tell them apart. The tool wrappers therefore check, before they connect, the rules a real
 * server would apply to the host they run on (GPRECOVER_HOST, set by the local executor, and the installation's list of hosts), with
 * PostgreSQL's own refusal. The lines that let the loopback in are marked and ignored here.
 */
import fs from 'node:fs';
import pg from 'pg';
import { HOST_NAME_ENV } from '../../cluster/exec/local';
import { HOSTS_ENV } from './common';

export const PLUMBING_MARK = '# gprecover demo: loopback plumbing, not a host';

interface Rule {
  databases: string[];
  users: string[];
  address: string;
  method: string;
}

function parseRules(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    if (raw.includes(PLUMBING_MARK)) continue;
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    if (!['host', 'hostnossl'].includes(f[0]) || f.length < 5) continue;
    const hasMask = /^\d+\.\d+\.\d+\.\d+$/.test(f[3]) && /^\d+\.\d+\.\d+\.\d+$/.test(f[4]);
    rules.push({ databases: f[1].split(','), users: f[2].split(','), address: hasMask ? `${f[3]}/${maskBits(f[4])}` : f[3], method: f[hasMask ? 5 : 4] });
  }
  return rules;
}

function maskBits(mask: string): number {
  return mask.split('.').map(Number).reduce((n, o) => n + o.toString(2).split('1').length - 1, 0);
}

const ipv4 = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function addressMatches(rule: string, client: string, server: string): boolean {
  if (rule === 'all') return true;
  if (rule === 'samehost') return client === server;
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(rule);
  if (!m || !/^\d+\.\d+\.\d+\.\d+$/.test(client)) return false;
  const bits = Number(m[2]);
  const span = 2 ** (32 - bits);
  return Math.floor(ipv4(client) / span) === Math.floor(ipv4(m[1]) / span);
}

/** The first rule that applies decides, as in PostgreSQL; none is a refusal. */
export function admits(text: string, c: { client: string; server: string; user: string; database: string; replication: boolean }): boolean {
  for (const r of parseRules(text)) {
    const db = r.databases.some((d) => (c.replication ? d === 'replication' : d === 'all' || d === c.database || (d === 'sameuser' && c.user === c.database)));
    if (!db || !r.users.some((u) => u === 'all' || u === c.user) || !addressMatches(r.address, c.client, c.server)) continue;
    return r.method !== 'reject';
  }
  return false;
}

/** PostgreSQL's FATAL for a connection no line admits. */
export function refusal(c: { client: string; user: string; database: string; replication: boolean }): string {
  return c.replication
    ? `FATAL:  no pg_hba.conf entry for replication connection from host "${c.client}", user "${c.user}", no encryption`
    : `FATAL:  no pg_hba.conf entry for host "${c.client}", user "${c.user}", database "${c.database}", no encryption`;
}

/**
 * The address the tool's connections leave from: the last address of the host the local executor says it stands
 * for (GPDEMO_HOSTS lists them), or the one sshd was reached at (SSH_CONNECTION's server address).
 */
export function clientAddress(env: NodeJS.ProcessEnv = process.env, readHosts = (f: string) => fs.readFileSync(f, 'utf8')): string | undefined {
  const host = env[HOST_NAME_ENV];
  if (host && env[HOSTS_ENV]) {
    const addresses = (JSON.parse(readHosts(env[HOSTS_ENV]!)) as Record<string, string[]>)[host];
    if (addresses?.length) return addresses[addresses.length - 1];
  }
  const ssh = env.SSH_CONNECTION?.trim().split(/\s+/);
  return ssh && ssh.length === 4 ? ssh[2] : undefined;
}

export interface HbaCheck {
  /** Where the tool connects (host or address), its port and user. */
  host: string;
  address?: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  replication: boolean;
}

/**
 * undefined when the source's pg_hba.conf admits this host, else libpq's wording after the connection prefix.
 * A file changed since the server last loaded its configuration is not in force yet: what it admits, the server
 * does not (PostgreSQL reads pg_hba.conf on start and on reload only).
 */
export async function hbaRefusal(c: HbaCheck): Promise<string | undefined> {
  const client = clientAddress();
  if (!client || c.host.startsWith('/')) return undefined;
  const server = c.address ?? c.host;
  const conn = { host: server, port: c.port, user: c.user, password: c.password };
  const { text, reloaded } = await hbaInForce(conn);
  const who = { client, server, user: c.user, database: c.database, replication: c.replication };
  if (admits(text, who) && reloaded) return undefined;
  return refusal(who);
}

async function hbaInForce(conn: { host: string; port: number; user: string; password?: string }): Promise<{ text: string; reloaded: boolean }> {
  const client = new pg.Client({ ...conn, database: 'template1', options: '-c gp_role=utility', application_name: 'gprecover-demo-hba', connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = await client.query(`SELECT pg_read_file('pg_hba.conf') AS text,
      (pg_stat_file('pg_hba.conf')).modification <= pg_conf_load_time() AS reloaded`);
    return { text: String(r.rows[0].text), reloaded: Boolean(r.rows[0].reloaded) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
