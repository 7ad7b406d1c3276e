/**
 * Shared pieces of the demo GPHOME's tool wrappers (pg_basebackup, pg_rewind, pg_ctl start): getopt-like argument
 * parsing, libpq conninfo strings, postgresql.auto.conf edits and running the real PostgreSQL tool so that it dies
 * with its wrapper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Environment variables the bin/ shims set for the wrapper programs. */
export const PG_BIN_ENV = 'GPDEMO_PG_BIN';
export const FLAVOR_ENV = 'GPDEMO_FLAVOR';
/** The installation's list of the cluster's hosts and their addresses (install.ts hostsFile). */
export const HOSTS_ENV = 'GPDEMO_HOSTS';

export const WALRECEIVER_APPLICATION_NAME = 'gp_walreceiver';
export const INTERNAL_AUTO_CONF = 'internal.auto.conf';
export const AUTO_CONF = 'postgresql.auto.conf';

export function realPgBin(): string {
  const dir = process.env[PG_BIN_ENV];
  if (!dir) {
    process.stderr.write(`${path.basename(process.argv[1] ?? 'wrapper')}: ${PG_BIN_ENV} is not set (run this through $GPHOME/bin)\n`);
    process.exit(2);
  }
  return dir;
}

export function flavorLabel(): string {
  return process.env[FLAVOR_ENV] === 'cloudberry' ? 'Apache Cloudberry' : 'Greenplum 7';
}

// ---------------------------------------------------------------------------------------------------------------
// getopt_long, as far as the wrappers need it

export interface OptSpec {
  /** Canonical name: the long option's name. */
  name: string;
  short?: string;
  /** Whether the option takes a value (required_argument). */
  arg: boolean;
  /** Only a short spelling exists (pg_ctl's -e, -p …): never emitted as --name. */
  shortOnly?: boolean;
}

export interface ParsedOpt {
  name: string;
  value?: string;
  /** false for an option the spec does not know; it is passed on as it came. */
  known: boolean;
  /** The argv tokens it came from (one or two), for passing it on unchanged. */
  tokens: string[];
}

export interface ParsedArgs {
  opts: ParsedOpt[];
  positional: string[];
}

/**
 * Parses argv like GNU getopt_long with permutation: short clusters (-vP), attached values (-Dx, --x=v), separate
 * values (-D x, --x v) and unambiguous long prefixes. Unknown options are kept (known: false) so the real tool can
 * reject them itself.
 */
export function parseArgs(argv: string[], specs: OptSpec[]): ParsedArgs {
  const opts: ParsedOpt[] = [];
  const positional: string[] = [];
  const longs = specs.filter((s) => !s.shortOnly);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = tok.slice(2, eq < 0 ? undefined : eq);
      const exact = longs.find((s) => s.name === name);
      const prefixed = longs.filter((s) => s.name.startsWith(name));
      const spec = exact ?? (prefixed.length === 1 && name.length > 0 ? prefixed[0] : undefined);
      if (!spec) {
        opts.push({ name, value: eq < 0 ? undefined : tok.slice(eq + 1), known: false, tokens: [tok] });
        continue;
      }
      if (spec.arg && eq < 0) {
        const value = argv[i + 1];
        opts.push({ name: spec.name, value, known: true, tokens: value === undefined ? [tok] : [tok, value] });
        i++;
      } else {
        opts.push({ name: spec.name, value: spec.arg ? tok.slice(eq + 1) : undefined, known: true, tokens: [tok] });
      }
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      for (let j = 1; j < tok.length; j++) {
        const ch = tok[j];
        const spec = specs.find((s) => s.short === ch);
        const single = j === 1 && tok.length === 2;
        if (!spec) {
          opts.push({ name: ch, known: false, tokens: [`-${ch}`] });
          continue;
        }
        if (!spec.arg) {
          opts.push({ name: spec.name, known: true, tokens: [`-${ch}`] });
          continue;
        }
        if (j + 1 < tok.length) {
          const value = tok.slice(j + 1);
          opts.push({ name: spec.name, value, known: true, tokens: j === 1 ? [tok] : [`-${ch}${value}`] });
        } else {
          const value = argv[i + 1];
          opts.push({ name: spec.name, value, known: true, tokens: value === undefined ? [`-${ch}`] : [single ? tok : `-${ch}`, value] });
          i++;
        }
        break;
      }
      continue;
    }
    positional.push(tok);
  }
  return { opts, positional };
}

/** The value of the last occurrence, as getopt's callers that overwrite a variable see it. */
export function lastValue(parsed: ParsedArgs, name: string): string | undefined {
  let v: string | undefined;
  for (const o of parsed.opts) if (o.name === name && o.known) v = o.value;
  return v;
}

export function has(parsed: ParsedArgs, name: string): boolean {
  return parsed.opts.some((o) => o.known && o.name === name);
}

export function values(parsed: ParsedArgs, name: string): string[] {
  return parsed.opts.filter((o) => o.known && o.name === name && o.value !== undefined).map((o) => o.value!);
}

/** argv for the real tool: every option except the dropped ones, as it came, then the positional words. */
export function rebuild(parsed: ParsedArgs, drop: Set<string>): string[] {
  const out: string[] = [];
  for (const o of parsed.opts) if (!(o.known && drop.has(o.name))) out.push(...o.tokens);
  if (parsed.positional.length) out.push(...parsed.positional);
  return out;
}

/** C's atoi: leading blanks, optional sign, digits; anything else ends it; no digits is 0. */
export function atoi(s: string | undefined): number {
  const m = /^\s*([+-]?\d+)/.exec(s ?? '');
  return m ? Number.parseInt(m[1], 10) : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// gp_role in postgres command-line options and PGOPTIONS

const GP_ROLE_RE = /(^|\s)(?:-c\s*|--)gp[_-]role=(\S*)/g;

/** The gp_role an option string (pg_ctl -o, PGOPTIONS) sets, the last one winning; undefined when none. */
export function gpRoleIn(options: string | undefined): string | undefined {
  let role: string | undefined;
  for (const m of (options ?? '').matchAll(GP_ROLE_RE)) role = m[2].replace(/^['"]|['"]$/g, '');
  return role;
}

/** The option string without its gp_role settings, which PostgreSQL 15 does not know. */
export function withoutGpRole(options: string): string {
  return options.replace(GP_ROLE_RE, '$1').replace(/\s{2,}/g, ' ');
}

// ---------------------------------------------------------------------------------------------------------------
// libpq connection strings

export type Conninfo = Array<[string, string]>;

export function isUri(s: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(s);
}

/** keyword=value conninfo (libpq's conninfo_parse) or a postgresql:// URI, in order. */
export function parseConninfo(s: string): Conninfo {
  if (isUri(s)) {
    const u = new URL(s.replace(/^postgres(?:ql)?:/, 'http:'));
    const out: Conninfo = [];
    if (u.username) out.push(['user', decodeURIComponent(u.username)]);
    if (u.password) out.push(['password', decodeURIComponent(u.password)]);
    if (u.hostname) out.push(['host', u.hostname.replace(/^\[|\]$/g, '')]);
    if (u.port) out.push(['port', u.port]);
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (db) out.push(['dbname', db]);
    for (const [k, v] of u.searchParams) out.push([k, v]);
    return out;
  }
  const out: Conninfo = [];
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && /\s/.test(s[i])) i++;
  };
  for (;;) {
    skipWs();
    if (i >= n) break;
    let key = '';
    while (i < n && s[i] !== '=' && !/\s/.test(s[i])) key += s[i++];
    skipWs();
    if (s[i] !== '=') throw new Error(`missing "=" after "${key}" in connection info string`);
    i++;
    skipWs();
    let val = '';
    if (s[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) throw new Error('unterminated quoted string in connection info string');
        if (s[i] === '\\' && i + 1 < n) {
          val += s[i + 1];
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else val += s[i++];
      }
    } else {
      while (i < n && !/\s/.test(s[i])) {
        if (s[i] === '\\' && i + 1 < n) {
          val += s[i + 1];
          i += 2;
        } else val += s[i++];
      }
    }
    out.push([key, val]);
  }
  return out;
}

/** fe_utils' appendConnStrVal: bare when only [A-Za-z0-9_.], else single-quoted with \ before ' and \. */
export function connStrVal(v: string): string {
  if (v !== '' && /^[A-Za-z0-9_.]+$/.test(v)) return v;
  return `'${v.replace(/(['\\])/g, '\\$1')}'`;
}

export function formatConninfo(ci: Conninfo): string {
  return ci.map(([k, v]) => `${k}=${connStrVal(v)}`).join(' ');
}

export function conninfoGet(ci: Conninfo, key: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of ci) if (k === key) v = val;
  return v;
}

/** Sets key (in place of its first occurrence, dropping the others), or appends it. */
export function conninfoSet(ci: Conninfo, key: string, value: string): Conninfo {
  const out: Conninfo = [];
  let done = false;
  for (const [k, v] of ci) {
    if (k !== key) out.push([k, v]);
    else if (!done) {
      out.push([k, value]);
      done = true;
    }
  }
  if (!done) out.push([key, value]);
  return out;
}

/** Where libpq would connect: explicit values, then PGHOST/PGPORT/PGUSER, then the compiled-in defaults. */
export interface Target {
  host: string;
  hostaddr?: string;
  port: string;
  user: string;
}

export const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

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

// ---------------------------------------------------------------------------------------------------------------
// postgresql.auto.conf and internal.auto.conf

/** GUC file string quoting, as fe_utils' escape_quotes does before recovery_gen writes a value. */
export function gucQuote(v: string): string {
  return `'${v.replace(/(['\\])/g, '$1$1')}'`;
}

function gucUnquote(body: string): string {
  return body.replace(/''|\\(.)/g, (m, c: string | undefined) => (m === "''" ? "'" : c ?? ''));
}

const PRIMARY_CONNINFO_RE = /^(\s*primary_conninfo\s*=\s*)'((?:[^'\\]|''|\\.)*)'(.*)$/gm;

/** Every primary_conninfo of a postgresql.auto.conf text with application_name=gp_walreceiver (replaced or added). */
export function withWalreceiverName(autoConf: string): string {
  return autoConf.replace(PRIMARY_CONNINFO_RE, (_m, pre: string, body: string, post: string) => {
    const ci = conninfoSet(parseConninfo(gucUnquote(body)), 'application_name', WALRECEIVER_APPLICATION_NAME);
    return `${pre}${gucQuote(formatConninfo(ci))}${post}`;
  });
}

export function fixPrimaryConninfo(datadir: string): void {
  const file = path.join(datadir, AUTO_CONF);
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const next = withWalreceiverName(text);
  if (next !== text) fs.writeFileSync(file, next);
}

/** gp_dbid from a data directory's internal.auto.conf; undefined without the file or the setting. */
export function dbidOf(datadir: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(datadir, INTERNAL_AUTO_CONF), 'utf8');
  } catch {
    return undefined;
  }
  let dbid: number | undefined;
  for (const m of text.matchAll(/^\s*gp_dbid\s*=\s*'?(-?\d+)'?\s*(?:#.*)?$/gm)) dbid = Number(m[1]);
  return dbid;
}

/**
 * What Greenplum's WriteInternalConfFile writes: the file truncated to exactly `gp_dbid=N\n`. `fresh` replaces the
 * file (a copy's, which Greenplum's pg_basebackup would never have received from the source) rather than keeping its
 * mode.
 */
export function writeInternalConf(datadir: string, dbid: number, fresh = false): void {
  const file = path.join(datadir, INTERNAL_AUTO_CONF);
  if (fresh) fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `gp_dbid=${dbid}\n`, { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------------------------
// Running the real tool

const SIGNUM: Record<string, number> = os.constants.signals as unknown as Record<string, number>;

let current: ChildProcess | undefined;
let received: NodeJS.Signals | undefined;
let installed = false;

/**
 * From here on SIGTERM/SIGINT no longer end the wrapper by themselves: they go to the running real tool, and the
 * wrapper ends when that does (or, between tools, at the next `exitIfSignalled`). The wrapper also watches for
 * losing its parent (tsx's launcher killed alone), which counts as SIGTERM.
 */
export function installSignalForwarding(): void {
  if (installed) return;
  installed = true;
  const on = (sig: NodeJS.Signals) => {
    received ??= sig;
    try {
      current?.kill(sig);
    } catch {
      /* already gone */
    }
  };
  process.on('SIGTERM', () => on('SIGTERM'));
  process.on('SIGINT', () => on('SIGINT'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) on('SIGTERM');
  }, 500).unref();
}

export function signalled(): NodeJS.Signals | undefined {
  return received;
}

export function exitIfSignalled(cleanup?: () => void): void {
  if (!received) return;
  cleanup?.();
  process.exit(128 + (SIGNUM[received] ?? 15));
}

/** Runs the real tool with the wrapper's stdin/stdout/stderr, in the wrapper's process group; resolves to its exit code. */
export function runReal(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  installSignalForwarding();
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    current = child;
    if (received) child.kill(received);
    child.on('error', (err) => {
      current = undefined;
      process.stderr.write(`${path.basename(file)}: could not execute ${file}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, sig) => {
      current = undefined;
      resolve(code ?? 128 + (sig ? (SIGNUM[sig] ?? 15) : 1));
    });
  });
}

export function isDirNonEmpty(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort, as pg_basebackup --no-sync would not even try */
  }
}
