/**
 * $GPHOME/bin/pg_rewind of the demo GPHOME: Greenplum 7 / Cloudberry pg_rewind rules on top of PostgreSQL 15's.
 *
 * - The source, a primary segment, refuses a connection that is not in utility mode (PGOPTIONS "-c gp_role=utility")
 *   by itself: the demo's server module (gpdemo.c) raises Greenplum's FATAL.
 * - --slot S (a Greenplum addition) ends up as primary_slot_name after --write-recovery-conf.
 * - internal.auto.conf (the target's gp_dbid) is never copied from the source.
 * - primary_conninfo carries application_name=gp_walreceiver, under which FTS recognises the mirror.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AUTO_CONF, fixPrimaryConninfo, gucQuote, INTERNAL_AUTO_CONF } from './autoConf';
import { conninfoGet, parseConninfo } from './conninfo';
import { realPgBin } from './env';
import { has, lastValue, type OptSpec, parseArgs, rebuild } from './getopt';
import { connectionFailurePrefix, resolveTarget } from './libpqTarget';
import { runReal } from './realTool';
import { hbaRefusal } from './hba';

export const REWIND_OPTIONS: OptSpec[] = [
  { name: 'target-pgdata', short: 'D', arg: true },
  { name: 'source-pgdata', arg: true },
  { name: 'source-server', arg: true },
  { name: 'no-ensure-shutdown', arg: false },
  { name: 'version', short: 'V', arg: false },
  { name: 'restore-target-wal', short: 'c', arg: false },
  { name: 'dry-run', short: 'n', arg: false },
  { name: 'no-sync', short: 'N', arg: false },
  { name: 'progress', short: 'P', arg: false },
  { name: 'debug', arg: false },
  { name: 'write-recovery-conf', short: 'R', arg: false },
  { name: 'config-file', arg: true },
  { name: 'help', short: '?', arg: false },
  // Greenplum addition
  { name: 'slot', arg: true },
];

const PROG = 'pg_rewind';

/** The source server's connection, refused as its pg_hba.conf would refuse this host. */
async function refuseUntrustedHost(sourceServer: string): Promise<void> {
  let ci;
  try {
    ci = parseConninfo(sourceServer);
  } catch {
    return; // the real tool words a malformed conninfo itself
  }
  const t = resolveTarget({ host: conninfoGet(ci, 'host'), hostaddr: conninfoGet(ci, 'hostaddr'), port: conninfoGet(ci, 'port'), user: conninfoGet(ci, 'user') });
  const why = await hbaRefusal({
    host: t.host, address: t.hostaddr, port: Number(t.port), user: t.user, password: conninfoGet(ci, 'password'),
    database: conninfoGet(ci, 'dbname') ?? t.user, replication: false,
  }).catch(() => undefined);
  if (why) {
    process.stderr.write(`${PROG}: error: ${await connectionFailurePrefix(t)}${why}\n`);
    process.exit(1);
  }
}

export async function main(argv: string[]): Promise<never> {
  const real = path.join(realPgBin(), 'pg_rewind');
  const first = argv[0];
  if (first === '--help' || first === '-?' || first === '--version' || first === '-V') process.exit(await runReal(real, argv));
  const a = parseArgs(argv, REWIND_OPTIONS);
  const targetArg = lastValue(a, 'target-pgdata');
  const sourceServer = lastValue(a, 'source-server');
  const env: NodeJS.ProcessEnv = { ...process.env };

  // Arguments the real tool rejects anyway (bad option, no target, no source …): let it say so.
  const malformed = a.opts.some((o) => !o.known) || a.positional.length > 0 || !targetArg
    || (sourceServer === undefined) === (lastValue(a, 'source-pgdata') === undefined);

  const args = rebuild(a, new Set(['slot', 'source-server']));
  if (sourceServer !== undefined) args.push(`--source-server=${sourceServer}`);
  if (malformed) process.exit(await runReal(real, args, env));

  if (sourceServer !== undefined) await refuseUntrustedHost(sourceServer);
  const target = path.resolve(targetArg!);
  const internal = path.join(target, INTERNAL_AUTO_CONF);
  // Greenplum's pg_rewind never copies internal.auto.conf: the target keeps its own gp_dbid.
  let saved: Buffer | undefined;
  try {
    saved = fs.readFileSync(internal);
  } catch {
    saved = undefined;
  }
  let code: number;
  try {
    code = await runReal(real, args, env);
  } finally {
    try {
      if (saved !== undefined) fs.writeFileSync(internal, saved, { mode: 0o600 });
      else fs.rmSync(internal, { force: true });
    } catch (err) {
      process.stderr.write(`${PROG}: error: could not restore "${internal}": ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
  if (code === 0 && has(a, 'write-recovery-conf') && !has(a, 'dry-run')) {
    try {
      fixPrimaryConninfo(target);
      const slot = lastValue(a, 'slot');
      if (slot) fs.appendFileSync(path.join(target, AUTO_CONF), `primary_slot_name = ${gucQuote(slot)}\n`, { mode: 0o600 });
    } catch (err) {
      process.stderr.write(`${PROG}: error: could not write "${path.join(target, AUTO_CONF)}": ${(err as Error).message}\n`);
      process.exit(1);
    }
  }
  process.exit(code !== 0 ? code : (process.exitCode ?? 0));
}

if (typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${PROG}: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
