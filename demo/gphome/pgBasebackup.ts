/**
 * $GPHOME/bin/pg_basebackup of the demo GPHOME: Greenplum 7 / Cloudberry pg_basebackup rules on top of
 * PostgreSQL 15's pg_basebackup.
 *
 * - --target-gp-dbid N is required (N > 0); the copy gets internal.auto.conf `gp_dbid=N`, never the source's.
 * - --write-conf-files-only copies nothing: internal.auto.conf, primary_conninfo/primary_slot_name, standby.signal.
 * - -E/--exclude PATH: the copy holds no PATH (relative to the source's data directory).
 * - Tablespaces in Greenplum's per-dbid layout: the source's `<loc>/<source dbid>` lands in `<loc>/<target dbid>`.
 * - --force-overwrite: an existing, non-empty target (and tablespace directory) is overwritten in place; log/ and
 *   pg_log/ and files the backup does not bring survive, pg_wal does not.
 * - primary_conninfo carries application_name=gp_walreceiver, under which FTS recognises the mirror.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { WALRECEIVER_APPLICATION_NAME } from '../../domain/names';
import { AUTO_CONF, fixPrimaryConninfo, gucQuote, writeInternalConf } from './autoConf';
import { type Conninfo, conninfoGet, formatConninfo, isUri, parseConninfo } from './conninfo';
import { fsyncDir, isDirNonEmpty } from './dirs';
import { realPgBin } from './env';
import { atoi, has, lastValue, type OptSpec, parseArgs, type ParsedArgs, rebuild, values } from './getopt';
import { connectionFailurePrefix, libpqErrorText, resolveTarget, type Target } from './libpqTarget';
import { exitIfSignalled, installSignalForwarding, runReal } from './realTool';
import { hbaRefusal } from './hba';

/** PostgreSQL 15's options plus Greenplum's (write-conf-files-only, force-overwrite, target-gp-dbid, exclude…). */
export const BASEBACKUP_OPTIONS: OptSpec[] = [
  { name: 'pgdata', short: 'D', arg: true },
  { name: 'format', short: 'F', arg: true },
  { name: 'max-rate', short: 'r', arg: true },
  { name: 'write-recovery-conf', short: 'R', arg: false },
  { name: 'target', short: 't', arg: true },
  { name: 'tablespace-mapping', short: 'T', arg: true },
  { name: 'waldir', arg: true },
  { name: 'wal-method', short: 'X', arg: true },
  { name: 'gzip', short: 'z', arg: false },
  { name: 'compress', short: 'Z', arg: true },
  { name: 'checkpoint', short: 'c', arg: true },
  { name: 'create-slot', short: 'C', arg: false },
  { name: 'label', short: 'l', arg: true },
  { name: 'no-clean', short: 'n', arg: false },
  { name: 'no-sync', short: 'N', arg: false },
  { name: 'progress', short: 'P', arg: false },
  { name: 'slot', short: 'S', arg: true },
  { name: 'verbose', short: 'v', arg: false },
  { name: 'version', short: 'V', arg: false },
  { name: 'manifest-checksums', arg: true },
  { name: 'manifest-force-encode', arg: false },
  { name: 'no-estimate-size', arg: false },
  { name: 'no-manifest', arg: false },
  { name: 'no-slot', arg: false },
  { name: 'no-verify-checksums', arg: false },
  { name: 'help', short: '?', arg: false },
  { name: 'dbname', short: 'd', arg: true },
  { name: 'host', short: 'h', arg: true },
  { name: 'port', short: 'p', arg: true },
  { name: 'status-interval', short: 's', arg: true },
  { name: 'username', short: 'U', arg: true },
  { name: 'no-password', short: 'w', arg: false },
  { name: 'password', short: 'W', arg: false },
  // Greenplum additions
  { name: 'write-conf-files-only', arg: false },
  { name: 'force-overwrite', arg: false },
  { name: 'target-gp-dbid', arg: true },
  { name: 'exclude', short: 'E', arg: true },
  { name: 'exclude-from', arg: true },
];

const GP_ONLY = new Set(['write-conf-files-only', 'force-overwrite', 'target-gp-dbid', 'exclude', 'exclude-from']);

/** Where copies land while --force-overwrite replaces an existing directory: inside it, never beside it. */
export const INCOMING_DIR = '.gpdemo-incoming';

/** Directories of the target that --force-overwrite keeps (Greenplum: "retain the contents of pg_log"). */
const KEPT_DIRS = new Set(['log', 'pg_log']);

const PROG = 'pg_basebackup';

function fail(msg: string, hint = false): never {
  process.stderr.write(`${PROG}: error: ${msg}\n`);
  // Greenplum 7 and Cloudberry 1.x/2.0 are PostgreSQL 12/14 inside: the hint is a bare line, as there.
  if (hint) process.stderr.write(`Try "${PROG} --help" for more information.\n`);
  process.exit(1);
}

function sourceOf(a: ParsedArgs): { target: Target; conninfo: Conninfo; password?: string } {
  const d = lastValue(a, 'dbname');
  let conninfo: Conninfo = [];
  if (d !== undefined) {
    try {
      conninfo = d.includes('=') || isUri(d) ? parseConninfo(d) : [['dbname', d]];
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const target = resolveTarget({
    host: lastValue(a, 'host') ?? conninfoGet(conninfo, 'host'),
    hostaddr: conninfoGet(conninfo, 'hostaddr'),
    port: lastValue(a, 'port') ?? conninfoGet(conninfo, 'port'),
    user: lastValue(a, 'username') ?? conninfoGet(conninfo, 'user'),
  });
  return { target, conninfo, password: conninfoGet(conninfo, 'password') };
}

/** An ordinary SQL session on the source (database postgres), as the emulation needs to look at its catalog. */
async function withSource<T>(a: ParsedArgs, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const { target, password } = sourceOf(a);
  const client = new pg.Client({
    host: target.hostaddr ?? target.host,
    port: Number(target.port),
    user: target.user,
    password,
    database: 'postgres',
    application_name: PROG,
    // The source is a primary segment: only a utility-mode session may look at its catalog.
    options: '-c gp_role=utility',
    connectionTimeoutMillis: 30_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    fail(`${await connectionFailurePrefix(target)}${libpqErrorText(err)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The replication connection a real pg_basebackup opens first, refused as the source's pg_hba.conf would. */
async function refuseUntrustedHost(a: ParsedArgs): Promise<void> {
  const { target, password } = sourceOf(a);
  const why = await hbaRefusal({
    host: target.host, address: target.hostaddr, port: Number(target.port), user: target.user, password, database: 'replication', replication: true,
  }).catch(() => undefined); // an unreachable source: the real tool says so itself
  if (why) fail(`${await connectionFailurePrefix(target)}${why}`);
}

/**
 * primary_conninfo as GenerateRecoveryConfig builds it from the connection (user, host, port and what -d gave),
 * with the application name Greenplum's pg_basebackup forces so that FTS recognises the mirror.
 */
export function recoveryConninfo(t: Target, given: Conninfo): string {
  const ci: Conninfo = [['user', t.user]];
  const password = conninfoGet(given, 'password');
  if (password) ci.push(['password', password]);
  ci.push(['host', t.host]);
  if (t.hostaddr) ci.push(['hostaddr', t.hostaddr]);
  ci.push(['port', t.port]);
  const skip = new Set(['user', 'password', 'host', 'hostaddr', 'port', 'dbname', 'replication', 'fallback_application_name', 'application_name']);
  for (const [k, v] of given) if (!skip.has(k) && v !== '' && !ci.some(([ck]) => ck === k)) ci.push([k, v]);
  ci.push(['application_name', WALRECEIVER_APPLICATION_NAME]);
  return formatConninfo(ci);
}

async function writeConfFilesOnly(a: ParsedArgs, dbid: number): Promise<never> {
  if (has(a, 'create-slot')) fail('--create_slot cannot be used with --write-conf-files-only', true);
  if (has(a, 'write-recovery-conf')) fail('--write-recovery-conf cannot be used with --write-conf-files-only', true);
  const dir = path.resolve(lastValue(a, 'pgdata')!);
  // The real tool opens a replication connection first: an unreachable or untrusting source fails the call.
  await refuseUntrustedHost(a);
  await withSource(a, async () => undefined);
  const { target, conninfo } = sourceOf(a);
  const internal = path.join(dir, 'internal.auto.conf');
  try {
    writeInternalConf(dir, dbid);
  } catch (err) {
    fail(`could not create file "${internal}": ${errnoText(err)}`);
  }
  try {
    const slot = lastValue(a, 'slot');
    const lines = [`primary_conninfo = ${gucQuote(recoveryConninfo(target, conninfo))}`];
    if (slot) lines.push(`primary_slot_name = ${gucQuote(slot)}`);
    fs.appendFileSync(path.join(dir, AUTO_CONF), `${lines.join('\n')}\n`, { mode: 0o600 });
    fs.closeSync(fs.openSync(path.join(dir, 'standby.signal'), 'w', 0o600));
  } catch (err) {
    fail(`could not write to directory "${dir}": ${errnoText(err)}`);
  }
  process.exit(0);
}

interface Tablespace {
  oid: number;
  /** pg_tablespace_location on the source: `<loc>/<source dbid>` in Greenplum's layout. */
  location: string;
  /** `<loc>/<target dbid>`, where the target's pg_tblspc/<oid> points. */
  final: string;
  /** What pg_basebackup writes into (final, or a staging directory inside it). */
  copyTo?: string;
}

/** -T OLD=NEW as PostgreSQL parses it: `\=` is a literal `=`. */
function splitMapping(m: string): [string, string] | undefined {
  const i = m.search(/(?<!\\)=/);
  if (i < 0) return undefined;
  const un = (s: string) => s.replace(/\\=/g, '=');
  return [un(m.slice(0, i)), un(m.slice(i + 1))];
}

const escapeMapping = (p: string) => p.replace(/=/g, '\\=');

/** Greenplum's layout: `<loc>/<source dbid>` on the source becomes `<loc'>/<target dbid>` (loc' after a user's -T loc=loc'). */
function planTablespaces(rows: Array<{ oid: number; loc: string }>, dbid: number, userMappings: Array<[string, string]>): Tablespace[] {
  const out: Tablespace[] = [];
  for (const { oid, loc } of rows) {
    if (!path.isAbsolute(loc)) continue; // in-place tablespace: copied with the data directory
    const m = /^(.*)\/\d+$/.exec(loc);
    const base = m?.[1];
    const userMap = userMappings.find(([old]) => old === base || old === loc);
    let final: string;
    if (base !== undefined) final = `${userMap && userMap[0] === base ? userMap[1] : base}/${dbid}`;
    else final = userMap ? userMap[1] : loc; // not Greenplum's layout: plain PostgreSQL keeps (or maps) the path
    out.push({ oid, location: loc, final });
  }
  return out;
}

/** strerror wording of a Node fs error ("No such file or directory"), as %m prints it. */
function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = /^[A-Z]+: (.*?), \w+ /.exec(e.message ?? '');
  return m ? m[1].charAt(0).toUpperCase() + m[1].slice(1) : String(e.message ?? err);
}

function rmrf(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Replaces dest/<entry> by src/<entry> for every entry of src, keeping dest's kept directories. */
function moveEntriesInto(src: string, dest: string, keep: Set<string>): void {
  for (const name of fs.readdirSync(src)) {
    const from = path.join(src, name);
    const to = path.join(dest, name);
    if (keep.has(name) && fs.existsSync(to)) continue;
    rmrf(to);
    try {
      fs.renameSync(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      rmrf(from);
    }
  }
  fsyncDir(dest);
}

function excludes(a: ParsedArgs): string[] {
  const list = [...values(a, 'exclude')];
  for (const file of values(a, 'exclude-from')) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      fail(`could not open exclude-from file "${file}": ${(err as Error).message}`);
    }
    list.push(...text.split('\n').map((l) => l.trim()).filter(Boolean));
  }
  return list;
}

/** The excluded paths (relative to the data directory, as `./db_dumps`) out of a fresh copy. */
function removeExcluded(copyDir: string, paths: string[]): void {
  for (const p of paths) {
    const rel = path.normalize(p.replace(/^\/+/, ''));
    if (rel === '.' || rel.startsWith('..')) continue;
    rmrf(path.join(copyDir, rel));
  }
}

async function fullCopy(a: ParsedArgs, dbid: number): Promise<never> {
  const pgBin = realPgBin();
  const real = path.join(pgBin, 'pg_basebackup');
  const passThrough = rebuild(a, new Set([...GP_ONLY, 'pgdata', 'tablespace-mapping']));
  const dirArg = lastValue(a, 'pgdata');
  const format = lastValue(a, 'format') ?? 'p';
  const userMappings = values(a, 'tablespace-mapping').map(splitMapping).filter((m): m is [string, string] => !!m);
  // No directory (the real tool explains), a tar or server-side backup: nothing of the data directory to adjust here.
  if (!dirArg || dirArg === '-' || !format.startsWith('p') || lastValue(a, 'target') !== undefined) {
    process.exit(await runReal(real, rebuild(a, GP_ONLY)));
  }
  const dir = path.resolve(dirArg);
  const force = has(a, 'force-overwrite');
  await refuseUntrustedHost(a);
  const rows = await withSource(a, async (c) => {
    const r = await c.query(`SELECT oid::int AS oid, pg_catalog.pg_tablespace_location(oid) AS loc FROM pg_tablespace
      WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid`);
    return r.rows as Array<{ oid: number; loc: string }>;
  });
  const spaces = planTablespaces(rows, dbid, userMappings);
  installSignalForwarding();

  const incoming = path.join(dir, INCOMING_DIR);
  if (force) {
    // Left behind by a killed run; they were never part of the target.
    rmrf(incoming);
    for (const ts of spaces) rmrf(path.join(ts.final, INCOMING_DIR));
  }
  const dataStaged = force && isDirNonEmpty(dir);
  for (const ts of spaces) ts.copyTo = force && isDirNonEmpty(ts.final) ? path.join(ts.final, INCOMING_DIR) : ts.final;
  const copyDir = dataStaged ? incoming : dir;
  const staging = [...(dataStaged ? [incoming] : []), ...spaces.filter((t) => t.copyTo !== t.final).map((t) => t.copyTo!)];
  const cleanup = () => staging.forEach(rmrf);

  const args = ['-D', copyDir, ...spaces.map((t) => `--tablespace-mapping=${escapeMapping(t.location)}=${escapeMapping(t.copyTo!)}`), ...passThrough];
  exitIfSignalled();
  const code = await runReal(real, args);
  if (code !== 0) {
    cleanup();
    process.exit(code);
  }
  try {
    removeExcluded(copyDir, excludes(a));
    writeInternalConf(copyDir, dbid, true);
    if (has(a, 'write-recovery-conf')) fixPrimaryConninfo(copyDir);
    if (dataStaged) {
      // Greenplum removes pg_wal up front; every directory and file the backup brings replaces the target's.
      rmrf(path.join(dir, 'pg_wal'));
      moveEntriesInto(incoming, dir, KEPT_DIRS);
    }
    for (const ts of spaces) {
      if (ts.copyTo !== ts.final) moveEntriesInto(ts.copyTo!, ts.final, new Set());
      const link = path.join(dir, 'pg_tblspc', String(ts.oid));
      if (fs.readlinkSync(link) !== ts.final) {
        rmrf(link);
        fs.symlinkSync(ts.final, link);
      }
    }
    if (spaces.length) fsyncDir(path.join(dir, 'pg_tblspc'));
    cleanup();
  } catch (err) {
    fail(`could not put the backup in place in "${dir}": ${(err as Error).message}`);
  }
  process.exit(0);
}

export async function main(argv: string[]): Promise<never> {
  const first = argv[0];
  // PostgreSQL's tools look at --help/--version only as the first argument.
  if (first === '--help' || first === '-?' || first === '--version' || first === '-V') {
    process.exit(await runReal(path.join(realPgBin(), 'pg_basebackup'), argv));
  }
  const a = parseArgs(argv, BASEBACKUP_OPTIONS);
  // Greenplum's order of checks: a bad option or argument, the directory, the dbid, then the combinations.
  if (a.opts.some((o) => !o.known) || a.positional.length) process.exit(await runReal(path.join(realPgBin(), 'pg_basebackup'), rebuild(a, GP_ONLY)));
  if (lastValue(a, 'pgdata') === undefined) fail('no target directory specified', true);
  const dbid = atoi(lastValue(a, 'target-gp-dbid'));
  if (dbid <= 0) fail('no target dbid specified, --target-gp-dbid is required', true);
  if (has(a, 'write-conf-files-only')) return writeConfFilesOnly(a, dbid);
  return fullCopy(a, dbid);
}

if (typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${PROG}: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
