/**
 * The demo's hosts share one machine, so every connection reaches PostgreSQL from the loopback address and
 * pg_hba.conf cannot tell them apart. The tool wrappers therefore check, before they connect, the rules a real
 * server would apply to the host they run on (GPRECOVER_HOST, set by the local executor, and the installation's list of hosts), with
 * PostgreSQL's own refusal. The lines that let the loopback in are marked and ignored here.
 */
import fs from 'node:fs';
import pg from 'pg';
import { HOST_NAME_ENV } from '../../cluster/exec/local';
import { HOSTS_ENV } from './env';

export const PLUMBING_MARK = '# gprecover demo: loopback plumbing, not a host';

interface Rule {
  databases: string[];
  users: string[];
  /** 'all' | 'samehost' | 'samenet' | an IPv4 CIDR | a host name (matched by reverse and forward lookup). */
  address: string;
  method: string;
}

/** Resolves names as PostgreSQL's check_hostname does: reverse lookup of the client, forward lookup of that name. */
export interface HostResolver {
  reverse(ip: string): string | undefined;
  forward(name: string): string[];
}

/** PostgreSQL's parse_hba_line, as far as the demo's files go: the error it reports for a line it cannot load. */
function parseLine(line: string, lineNo: number): Rule | { error: string } | undefined {
  const f = line.split(/\s+/);
  if (!['host', 'hostnossl', 'hostssl'].includes(f[0]) || f.length < 5) return undefined;
  const hasMask = /^\d+\.\d+\.\d+\.\d+$/.test(f[3]) && /^\d+\.\d+\.\d+\.\d+$/.test(f[4]);
  let address = hasMask ? `${f[3]}/${maskBits(f[4])}` : f[3];
  const slash = address.indexOf('/');
  if (slash > 0 && !/^\d+\.\d+\.\d+\.\d+$/.test(address.slice(0, slash)) && !address.slice(0, slash).includes(':')) {
    return { error: `specifying both host name and CIDR mask is invalid: "${address}" (line ${lineNo})` };
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return { error: `invalid IP mask "${address}": IP address needs a CIDR mask or a separate mask (line ${lineNo})` };
  if (address.startsWith('.')) address = address.toLowerCase();
  return { databases: f[1].split(','), users: f[2].split(','), address, method: f[hasMask ? 5 : 4] };
}

function parseRules(text: string): { rules: Rule[]; errors: string[] } {
  const rules: Rule[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes(PLUMBING_MARK)) return;
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const r = parseLine(line, i + 1);
    if (!r) return;
    if ('error' in r) errors.push(r.error);
    else rules.push(r);
  });
  return { rules, errors };
}

/** What PostgreSQL would refuse in the file at its next start ("could not load pg_hba.conf"). */
export function hbaErrors(text: string): string[] {
  return parseRules(text).errors;
}

function maskBits(mask: string): number {
  return mask.split('.').map(Number).reduce((n, o) => n + o.toString(2).split('1').length - 1, 0);
}

const ipv4 = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function addressMatches(rule: string, client: string, server: string, resolver?: HostResolver): boolean {
  if (rule === 'all') return true;
  if (rule === 'samehost') return client === server;
  if (rule === 'samenet') return client.split('.').slice(0, 3).join('.') === server.split('.').slice(0, 3).join('.');
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(rule);
  if (m) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(client)) return false;
    const span = 2 ** (32 - Number(m[2]));
    return Math.floor(ipv4(client) / span) === Math.floor(ipv4(m[1]) / span);
  }
  // A host name: the client's address must resolve back to it (or to a name ending in it, for '.suffix'), and that
  // name forward to the client's address.
  const name = resolver?.reverse(client)?.toLowerCase();
  if (!name) return false;
  const matches = rule.startsWith('.') ? name.endsWith(rule) : name === rule.toLowerCase();
  return matches && resolver!.forward(name).includes(client);
}

/** The first rule that applies decides, as in PostgreSQL; none is a refusal. */
export function admits(text: string, c: { client: string; server: string; user: string; database: string; replication: boolean }, resolver?: HostResolver): boolean {
  for (const r of parseRules(text).rules) {
    const db = r.databases.some((d) => (c.replication ? d === 'replication' : d === 'all' || d === c.database || (d === 'sameuser' && c.user === c.database)));
    if (!db || !r.users.some((u) => u === 'all' || u === c.user) || !addressMatches(r.address, c.client, c.server, resolver)) continue;
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
  const errors = hbaErrors(text);
  // The server keeps its old rules when a reload fails, and does not start at all with this file: say so.
  if (errors.length) return `FATAL:  could not load pg_hba.conf: ${errors.join('; ')}`;
  const who = { client, server, user: c.user, database: c.database, replication: c.replication };
  if (admits(text, who, await systemResolver([client])) && reloaded) return undefined;
  return refusal(who);
}

/** The system resolver's answers (/etc/hosts included) for the client addresses and the names they resolve to. */
async function systemResolver(clients: string[]): Promise<HostResolver> {
  const dns = await import('node:dns');
  const names = new Map<string, string | undefined>();
  const addresses = new Map<string, string[]>();
  for (const ip of clients) {
    const name = await dns.promises.lookupService(ip, 0).then((r) => r.hostname, () => undefined);
    names.set(ip, name);
    if (name) addresses.set(name.toLowerCase(), await dns.promises.lookup(name, { all: true }).then((r) => r.map((a) => a.address), () => []));
  }
  return { reverse: (ip) => names.get(ip), forward: (n) => addresses.get(n.toLowerCase()) ?? [] };
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
