/**
 * `$GPHOME/bin/pg_ctl ... start` of the demo GPHOME (every other action goes from the shim straight to
 * PostgreSQL's pg_ctl): Greenplum 7 / Cloudberry start rules on top of PostgreSQL 15.
 *
 * - A segment (a data directory with gp_dbid in internal.auto.conf) started without `-c gp_role=…` is refused:
 *   Greenplum 7 would run it in utility mode, where it takes no dispatched queries (postmaster.c).
 * - `-c gp_role=execute` (or dispatch) without a dbid fails as Greenplum's postmaster does:
 *   "dbid (from -b option) is not specified or is invalid …".
 * - Otherwise gp_role leaves the -o options (PostgreSQL reads its command line before any library loads) and reaches
 *   the server as GPDEMO_ROLE, which the demo's server module (gpdemo.c) turns into the gp_role setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dbidOf } from './autoConf';
import { flavorLabel, realPgBin } from './env';
import { has, lastValue, type OptSpec, parseArgs, rebuild, values } from './getopt';
import { gpRoleIn, withoutGpRole } from './gpRole';
import { runReal } from './realTool';

export const PG_CTL_OPTIONS: OptSpec[] = [
  { name: 'pgdata', short: 'D', arg: true },
  { name: 'log', short: 'l', arg: true },
  { name: 'mode', short: 'm', arg: true },
  { name: 'options', short: 'o', arg: true },
  { name: 'silent', short: 's', arg: false },
  { name: 'timeout', short: 't', arg: true },
  { name: 'wait', short: 'w', arg: false },
  { name: 'no-wait', short: 'W', arg: false },
  { name: 'core-files', short: 'c', arg: false },
  { name: 'help', short: '?', arg: false },
  { name: 'version', short: 'V', arg: false },
  { name: 'e', short: 'e', arg: true, shortOnly: true },
  { name: 'N', short: 'N', arg: true, shortOnly: true },
  { name: 'p', short: 'p', arg: true, shortOnly: true },
  { name: 'P', short: 'P', arg: true, shortOnly: true },
  { name: 'S', short: 'S', arg: true, shortOnly: true },
  { name: 'U', short: 'U', arg: true, shortOnly: true },
];

const GP_ROLES = new Set(['dispatch', 'execute', 'utility']);

/** Greenplum 7's postmaster.c FATAL for a non-utility start without gp_dbid. */
export const NO_DBID_FATAL = 'dbid (from -b option) is not specified or is invalid.  This value must be >= 0, or >= -1 in utility mode.  '
  + "The dbid value to pass can be determined from this server's entry in the segment configuration; it may be -1 if running in utility mode.";

export function refusalWithoutRole(dbid: number): string {
  const product = flavorLabel();
  return `pg_ctl: (gprecover demo, as ${product}) refusing to start segment dbid ${dbid} without -c gp_role=execute: `
    + `${product} would start it in utility mode, where it takes no dispatched queries`;
}

/** `2024-05-01 12:00:00.123 UTC [pid] `, the demo's log_line_prefix. */
function logPrefix(): string {
  const iso = new Date().toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC [${process.pid}] `;
}

/** What a postmaster that exits at once with `FATAL: message` looks like through pg_ctl start. */
function startFailure(a: ReturnType<typeof parseArgs>, fatal: string): never {
  const logFile = lastValue(a, 'log');
  if (logFile) {
    try {
      fs.appendFileSync(logFile, `${logPrefix()}FATAL:  ${fatal}\n`);
    } catch {
      /* pg_ctl would have failed on the log file first; the message still goes to stderr */
    }
  }
  const waiting = !has(a, 'no-wait') && !has(a, 'silent');
  if (waiting) process.stdout.write('waiting for server to start.... stopped waiting\n');
  process.stderr.write(`FATAL:  ${fatal}\npg_ctl: could not start server\nExamine the log output.\n`);
  process.exit(1);
}

export async function main(argv: string[]): Promise<never> {
  const real = path.join(realPgBin(), 'pg_ctl');
  const a = parseArgs(argv, PG_CTL_OPTIONS);
  const malformed = a.opts.some((o) => !o.known) || a.positional.length !== 1 || a.positional[0] !== 'start';
  const dirArg = lastValue(a, 'pgdata') ?? process.env.PGDATA;
  const options = values(a, 'options').join(' ');
  const role = gpRoleIn(options);
  if (!malformed && dirArg && fs.existsSync(path.join(dirArg, 'PG_VERSION'))) {
    const dbid = dbidOf(dirArg);
    if (role === undefined && dbid !== undefined) {
      process.stderr.write(`${refusalWithoutRole(dbid)}\n`);
      process.exit(1);
    }
    if (role !== undefined && !GP_ROLES.has(role)) startFailure(a, `invalid value for parameter "gp_role": "${role}"`);
    if (role !== undefined && role !== 'utility' && (dbid === undefined || dbid < 0)) startFailure(a, NO_DBID_FATAL);
  }
  const rest = withoutGpRole(options).trim();
  const args = [...rebuild({ opts: a.opts, positional: [] }, new Set(['options'])), ...(rest ? ['-o', rest] : []), ...a.positional];
  process.exit(await runReal(real, args, { ...process.env, ...(role ? { GPDEMO_ROLE: role } : {}) }));
}

if (typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`pg_ctl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
