import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor, osIdentity } from '../../cluster/exec/local';
import { runChecked, type RunResult } from '../../cluster/exec/executor';
import { findPgBin } from '../../cluster/pgBin';
import { GPHOME_ENV_SCRIPT, gpdemoModule, installGpHome } from '../../demo/gphome/install';
import { withWalreceiverName } from '../../demo/gphome/autoConf';
import { lastValue, parseArgs, values } from '../../demo/gphome/getopt';
import { gpRoleIn, withoutGpRole } from '../../demo/gphome/gpRole';
import { PG_CTL_OPTIONS } from '../../demo/gphome/pgCtlStart';
import { BASEBACKUP_OPTIONS } from '../../demo/gphome/pgBasebackup';

// Own loopback address: other test files run PostgreSQL instances at the same time.
const ADDR = '127.0.93.1';
const PORT = { p2: 26401, m3: 26403, m4: 26404, m5: 26405, m6: 26406, m7: 26407 };
const SLOT = 'internal_wal_replication_slot';
const OS_USER = 'postgres';
const id = osIdentity(OS_USER);
/** initdb's superuser: the OS user the instances (and the wrappers) run as. */
const DB_USER = id ? OS_USER : os.userInfo().username;

const pgBin = findPgBin();
const exec = new LocalExecutor('localhost', OS_USER);

let tmp: string;
let gphome: string;
const dd = (name: string) => path.join(tmp, name);
const ts = (dbid: number) => path.join(tmp, 'ts', String(dbid));
const bin = (tool: string) => path.join(gphome, 'bin', tool);

const run = (argv: string[], env?: Record<string, string>): Promise<RunResult> => exec.run(argv, { env, timeoutMs: 120_000 });
/** A command line exactly as Greenplum's tools hand it to the shell. */
const shell = (cmd: string) => run(['bash', '-c', cmd], { GPHOME: gphome });
const writeAs = (file: string, content: string) => runChecked(exec, ['sh', '-c', 'cat > "$1"', 'sh', file], { input: content });
const read = (file: string) => fs.readFileSync(file, 'utf8');

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(port: number, text: string): Promise<T[]> {
  // Every instance here runs the demo's server module: a segment takes only utility-mode sessions.
  const c = new pg.Client({ host: ADDR, port, user: DB_USER, database: 'postgres', connectionTimeoutMillis: 5_000, options: '-c gp_role=utility' });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The primary streams to a mirror whose walreceiver says gp_walreceiver (how FTS recognises it). */
const waitStreaming = () => waitFor('a gp_walreceiver streaming from the primary', async () =>
  (await sql(PORT.p2, `SELECT 1 FROM pg_stat_replication WHERE application_name = 'gp_walreceiver' AND state = 'streaming'`)).length === 1);

const running = async (dir: string) => (await run([path.join(pgBin, 'pg_ctl'), '-D', dir, 'status'])).code === 0;
const stop = (dir: string) => run([bin('pg_ctl'), '-D', dir, '-m', 'fast', '-w', 'stop']);
const systemId = async (dir: string) => /Database system identifier:\s+(\d+)/.exec((await runChecked(exec, [bin('pg_controldata'), dir])).stdout)?.[1];
const primaryConninfo = (dir: string) => [...read(path.join(dir, 'postgresql.auto.conf')).matchAll(/^primary_conninfo = '(.*)'$/gm)].map((m) => m[1]);
/** The application_name values of a conninfo string (there must be exactly one, gp_walreceiver). */
const appNames = (conninfo: string | undefined) => [...(conninfo ?? '').matchAll(/(?:^| )application_name=(\S+)/g)].map((m) => m[1]);
const tsOid = async () => (await sql<{ oid: number }>(PORT.p2, `SELECT oid::int AS oid FROM pg_tablespace WHERE spcname = 'ts1'`))[0].oid;

/** What gpsegrecovery runs for a full recovery (GP7: -E ./db_analyze, --target-gp-dbid after the -E list). */
const fullRecoveryCmd = (dir: string, dbid: number, createSlot: boolean) =>
  `$GPHOME/bin/pg_basebackup -c fast -D ${dir} -h ${ADDR} -p ${PORT.p2}${createSlot ? ' --create-slot' : ''} --slot ${SLOT} --wal-method stream `
  + `--no-verify-checksums --force-overwrite --write-recovery-conf -E ./db_dumps -E ./promote -E ./db_analyze --target-gp-dbid ${dbid} --progress --verbose`;

describe('demo GPHOME wrapper helpers', () => {
  it('reads the command lines Greenplum builds', () => {
    const ctl = parseArgs(['-D', '/d', '-l', '/d/log/startup.log', '-w', '-t', '600', '-o', ' -p 6001 -c gp_role=execute ', 'start'], PG_CTL_OPTIONS);
    expect(ctl.positional).toEqual(['start']);
    const o = values(ctl, 'options').join(' ');
    expect(gpRoleIn(o)).toBe('execute');
    expect(withoutGpRole(o).trim()).toBe('-p 6001');
    expect(gpRoleIn('-c gp_role=utility')).toBe('utility');
    expect(gpRoleIn('-cgp_role=dispatch -c work_mem=1MB')).toBe('dispatch');
    expect(gpRoleIn('--gp_role=execute')).toBe('execute');
    expect(gpRoleIn('-c work_mem=1MB')).toBeUndefined();

    const bb = parseArgs(['-vPD/x', '--target-gp-dbid=3', '-E', './db_dumps', '--exclude=./promote', '--max-rate', '10M', '-Xstream'], BASEBACKUP_OPTIONS);
    expect(lastValue(bb, 'pgdata')).toBe('/x');
    expect(lastValue(bb, 'target-gp-dbid')).toBe('3');
    expect(values(bb, 'exclude')).toEqual(['./db_dumps', './promote']);
    expect(lastValue(bb, 'max-rate')).toBe('10M');
    expect(lastValue(bb, 'wal-method')).toBe('stream');
    expect(bb.opts.filter((x) => x.name === 'verbose' || x.name === 'progress')).toHaveLength(2);
  });

  it('puts application_name=gp_walreceiver into primary_conninfo', () => {
    const conf = "# keep\nprimary_conninfo = 'user=gpadmin passfile=''/home/a b/.pgpass'' host=sdw1 port=6000 application_name=__gprecoverseg_pg_rewind__ sslmode=prefer'\n";
    expect(withWalreceiverName(conf)).toBe(
      "# keep\nprimary_conninfo = 'user=gpadmin passfile=''/home/a b/.pgpass'' host=sdw1 port=6000 application_name=gp_walreceiver sslmode=prefer'\n");
    expect(withWalreceiverName("primary_conninfo = 'host=h port=1'\n")).toBe("primary_conninfo = 'host=h port=1 application_name=gp_walreceiver'\n");
  });
});

describe('demo GPHOME: Greenplum 7 tool rules over PostgreSQL 15', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-gptools-'));
    fs.chmodSync(tmp, 0o755);
    if (id) fs.chownSync(tmp, id.uid, id.gid);
    gphome = dd('gphome');
    installGpHome({ dir: gphome, pgBin, flavor: 'gp7', osUser: OS_USER, hosts: { localhost: [ADDR] } });

    // Primary dbid 2 with a user tablespace at <base>/2, Greenplum's per-dbid layout.
    const p2 = dd('p2');
    await runChecked(exec, ['mkdir', '-p', ts(2)]);
    await runChecked(exec, [bin('initdb'), '-D', p2, '-U', DB_USER, '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], { timeoutMs: 120_000 });
    await runChecked(exec, ['sh', '-c', 'cat >> "$1/postgresql.conf"', 'sh', p2], {
      input: [`listen_addresses = '${ADDR}'`, `port = ${PORT.p2}`, "unix_socket_directories = ''", 'wal_level = replica', 'max_wal_senders = 10',
        'max_replication_slots = 10', 'wal_log_hints = on', 'hot_standby = on', 'fsync = off', "shared_buffers = '16MB'", 'max_connections = 30',
        "wal_keep_size = '64MB'", "wal_sender_timeout = '10s'", `shared_preload_libraries = '${gpdemoModule(gphome)}'`, ''].join('\n'),
    });
    await writeAs(path.join(p2, 'pg_hba.conf'), 'host all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n');
    await writeAs(path.join(p2, 'internal.auto.conf'), 'gp_dbid=2\n');
    await runChecked(exec, ['sh', '-c', 'mkdir -p "$1/log" "$1/db_dumps" && echo dump > "$1/db_dumps/backup1" && touch "$1/promote"', 'sh', p2]);
    await runChecked(exec, [bin('pg_ctl'), '-D', p2, '-l', path.join(p2, 'log', 'startup.log'), '-w', '-o', ' -c gp_role=execute ', 'start'], { timeoutMs: 60_000 });
    await sql(PORT.p2, `CREATE TABLESPACE ts1 LOCATION '${ts(2)}'`);
    await sql(PORT.p2, `CREATE TABLE t_ts (i int) TABLESPACE ts1; INSERT INTO t_ts SELECT generate_series(1, 1000);
      CREATE TABLE t (i int); INSERT INTO t SELECT generate_series(1, 500)`);
  }, 180_000);

  afterAll(async () => {
    if (!tmp) return;
    for (const name of ['m3', 'm4', 'm5', 'm6', 'm7', 'p2']) {
      if (fs.existsSync(path.join(dd(name), 'postmaster.pid'))) await run([path.join(pgBin, 'pg_ctl'), '-D', dd(name), '-m', 'immediate', '-w', 'stop']);
    }
    try {
      for (const line of execFileSync('pgrep', ['-af', tmp], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)) {
        const pid = Number(line.split(' ')[0]);
        if (pid !== process.pid) process.kill(pid, 'SIGKILL');
      }
    } catch {
      /* none left */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs bin/ (links to PostgreSQL, wrappers) and greenplum_path.sh; pg_ctl status skips the wrapper', async () => {
    expect(GPHOME_ENV_SCRIPT).toEqual({ gp7: 'greenplum_path.sh', cloudberry: 'cloudberry-env.sh' });
    const env = await runChecked(exec, ['bash', '-c', '. "$1/greenplum_path.sh" && echo "$GPHOME" && command -v pg_basebackup pg_rewind pg_ctl initdb', 'sh', gphome]);
    expect(env.stdout.trim().split('\n')).toEqual([gphome, bin('pg_basebackup'), bin('pg_rewind'), bin('pg_ctl'), bin('initdb')]);
    for (const tool of ['initdb', 'postgres', 'pg_controldata', 'psql', 'pg_isready', 'pg_waldump', 'pg_resetwal']) {
      expect(fs.readlinkSync(bin(tool))).toBe(path.join(pgBin, tool));
    }
    for (const tool of ['pg_basebackup', 'pg_rewind', 'pg_ctl']) expect(fs.statSync(bin(tool)).mode & 0o777).toBe(0o755);
    if (id) expect(fs.statSync(gphome).uid).toBe(id.uid);

    // status is answered by PostgreSQL's pg_ctl itself: the shim execs it, no TypeScript in between.
    const status = await run(['sh', '-x', bin('pg_ctl'), '-D', dd('p2'), 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('server is running');
    expect(status.stderr).toContain(`exec ${path.join(pgBin, 'pg_ctl')} -D ${dd('p2')} status`);
    expect(status.stderr).not.toContain('tsx');

    const cb = dd('gphome-cb');
    installGpHome({ dir: cb, pgBin, flavor: 'cloudberry' });
    installGpHome({ dir: cb, pgBin, flavor: 'cloudberry' });
    expect(fs.existsSync(path.join(cb, 'cloudberry-env.sh'))).toBe(true);
    expect(fs.existsSync(path.join(cb, 'greenplum_path.sh'))).toBe(false);
    expect(read(path.join(cb, 'cloudberry-env.sh'))).toContain('PATH="${GPHOME}/bin:${PATH}"');
  });

  it('pg_basebackup refuses a copy without --target-gp-dbid (what gprecover runs today)', async () => {
    const target = dd('m9');
    const today = [bin('pg_basebackup'), '-c', 'fast', '-D', target, '-d', `host=${ADDR} port=${PORT.p2} user=${DB_USER} application_name=gprecover_copy`,
      '--slot', SLOT, '--create-slot', '--wal-method', 'stream', '--write-recovery-conf', '--progress', '--verbose'];
    for (const argv of [today, [...today, '--target-gp-dbid', '0'], [...today, '--target-gp-dbid=abc']]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('pg_basebackup: error: no target dbid specified, --target-gp-dbid is required\nTry "pg_basebackup --help" for more information.\n');
    }
    expect(fs.existsSync(target)).toBe(false);
    const help = await run([bin('pg_basebackup'), '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('takes a base backup');
  });

  it('pg_basebackup --write-conf-files-only refuses --create-slot and --write-recovery-conf', async () => {
    const base = [bin('pg_basebackup'), '-c', 'fast', '-D', dd('m9'), '-h', ADDR, '-p', String(PORT.p2), '--write-conf-files-only', '--slot', SLOT,
      '--wal-method', 'stream', '--target-gp-dbid', '9'];
    const slot = await run([...base, '--create-slot']);
    expect(slot.code).toBe(1);
    expect(slot.stderr.split('\n')[0]).toBe('pg_basebackup: error: --create_slot cannot be used with --write-conf-files-only');
    const recovery = await run([...base, '-R']);
    expect(recovery.code).toBe(1);
    expect(recovery.stderr.split('\n')[0]).toBe('pg_basebackup: error: --write-recovery-conf cannot be used with --write-conf-files-only');
  });

  it('pg_basebackup without --force-overwrite refuses a non-empty data or tablespace directory', async () => {
    const full = dd('m7');
    await runChecked(exec, ['sh', '-c', 'mkdir -m 700 "$1" && echo x > "$1/stray"', 'sh', full]);
    const cmd = (dir: string, dbid: number) => `$GPHOME/bin/pg_basebackup -c fast -D ${dir} -h ${ADDR} -p ${PORT.p2} --wal-method fetch --target-gp-dbid ${dbid}`;
    const r = await shell(cmd(full, 7));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pg_basebackup: error: directory "${full}" exists but is not empty`);
    expect(fs.readdirSync(full)).toEqual(['stray']);

    await runChecked(exec, ['sh', '-c', 'mkdir -p "$1" && echo x > "$1/junk"', 'sh', ts(8)]);
    const t = await shell(cmd(dd('m8'), 8));
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`pg_basebackup: error: directory "${ts(8)}" exists but is not empty`);
    expect(fs.readdirSync(ts(8))).toEqual(['junk']);
    expect(fs.existsSync(dd('m8'))).toBe(false);
  });

  it('full recovery into an empty directory: per-dbid tablespace, gp_dbid, excludes, gp_walreceiver; starts as a streaming mirror', async () => {
    const m3 = dd('m3');
    const r = await shell(fullRecoveryCmd(m3, 3, true));
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\d+\/\d+ kB \(100%\), 2\/2 tablespaces/);
    expect(read(path.join(m3, 'internal.auto.conf'))).toBe('gp_dbid=3\n');
    expect(read(path.join(dd('p2'), 'internal.auto.conf'))).toBe('gp_dbid=2\n');
    for (const excluded of ['db_dumps', 'promote', '.gpdemo-incoming']) expect(fs.existsSync(path.join(m3, excluded))).toBe(false);
    const oid = await tsOid();
    expect(fs.readlinkSync(path.join(m3, 'pg_tblspc', String(oid)))).toBe(ts(3));
    expect(fs.readdirSync(ts(3))).toEqual([expect.stringMatching(/^PG_15_\d+$/)]);
    expect(primaryConninfo(m3).at(-1)).toContain(`host=${ADDR} port=${PORT.p2} `);
    expect(appNames(primaryConninfo(m3).at(-1))).toEqual(['gp_walreceiver']);
    expect(read(path.join(m3, 'postgresql.auto.conf'))).toContain(`primary_slot_name = '${SLOT}'`);
    expect(fs.existsSync(path.join(m3, 'standby.signal'))).toBe(true);

    // update_port_in_conf, then gpsegrecovery's start (GP7: no -p, the port comes from postgresql.conf).
    await runChecked(exec, ['sh', '-c', `echo 'port = ${PORT.m3}' >> "$1/postgresql.conf"`, 'sh', m3]);
    const start = await shell(`env GPSESSID=0000000000 GPERA=1234_20211110 $GPHOME/bin/pg_ctl -D ${m3} -l ${m3}/log/startup.log -w -t 600 -o " -c gp_role=execute " start 2>&1`);
    expect(start.stdout).toContain('server started');
    expect(start.code).toBe(0);
    await waitStreaming();
    await sql(PORT.p2, 'INSERT INTO t_ts SELECT generate_series(1001, 1100)');
    await waitFor('the mirror replaying the insert', async () => (await sql(PORT.m3, 'SELECT count(*)::int AS n FROM t_ts'))[0].n === 1100);
    expect((await stop(m3)).code).toBe(0);
  });

  it('full recovery with --force-overwrite into a non-empty directory keeps log/ and stray files, replaces the rest', async () => {
    const m4 = dd('m4');
    const oid = await tsOid();
    const versionDir = fs.readdirSync(ts(2))[0];
    // A failed mirror's leftovers: its own log, files the backup does not bring, stale data, WAL and tablespace.
    await runChecked(exec, ['sh', '-c', `set -e; d=$1; t=$2
      mkdir -m 700 "$d"; cd "$d"
      mkdir -p log base/1 global pg_wal db_dumps pg_tblspc
      echo 'keep me' > log/old.log; echo stray > stray.txt; echo mine > db_dumps/mine
      echo stale > base/1/stale; echo junk > global/pg_control; echo junk > pg_wal/000000010000000000000099
      echo 'gp_dbid=99' > internal.auto.conf; echo 'port = 1' > postgresql.conf
      ln -s /nonexistent/old pg_tblspc/${oid}
      mkdir -p "$t/$3" && echo old > "$t/$3/old" && echo stray > "$t/stray"`, 'sh', m4, ts(4), versionDir]);
    await runChecked(exec, ['mkdir', '-p', path.join(ts(4), '.gpdemo-incoming', 'left-by-a-killed-run')]);

    const r = await shell(fullRecoveryCmd(m4, 4, false));
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(read(path.join(m4, 'log', 'old.log'))).toBe('keep me\n');
    expect(read(path.join(m4, 'stray.txt'))).toBe('stray\n');
    expect(fs.readdirSync(path.join(m4, 'db_dumps'))).toEqual(['mine']);
    expect(fs.existsSync(path.join(m4, 'base', '1', 'stale'))).toBe(false);
    expect(fs.readdirSync(path.join(m4, 'pg_wal'))).not.toContain('000000010000000000000099');
    expect(fs.existsSync(path.join(m4, '.gpdemo-incoming'))).toBe(false);
    expect(read(path.join(m4, 'internal.auto.conf'))).toBe('gp_dbid=4\n');
    expect(await systemId(m4)).toBe(await systemId(dd('p2')));
    expect(fs.readlinkSync(path.join(m4, 'pg_tblspc', String(oid)))).toBe(ts(4));
    expect(fs.readdirSync(ts(4)).sort()).toEqual([versionDir, 'stray']);
    expect(fs.existsSync(path.join(ts(4), versionDir, 'old'))).toBe(false);
    expect(appNames(primaryConninfo(m4).at(-1))).toEqual(['gp_walreceiver']);

    // Cloudberry's start passes the port in -o.
    const start = await shell(`env GPSESSID=0000000000 GPERA=1234_20211110 $GPHOME/bin/pg_ctl -D ${m4} -l ${m4}/log/startup.log -w -t 600 -o " -p ${PORT.m4} -c gp_role=execute " start 2>&1`);
    expect(start.code).toBe(0);
    await waitStreaming();
    await waitFor('the mirror with all rows', async () => (await sql(PORT.m4, 'SELECT count(*)::int AS n FROM t_ts'))[0].n === 1100);
    expect(read(path.join(m4, 'log', 'old.log'))).toBe('keep me\n');
  });

  it('pg_basebackup --write-conf-files-only writes internal.auto.conf, the recovery settings and standby.signal, nothing else', async () => {
    const m5 = dd('m5');
    await runChecked(exec, ['sh', '-c', `mkdir -m 700 "$1" && printf 'gp_dbid=99\\nsomething=else\\n' > "$1/internal.auto.conf" &&
      printf '# Do not edit this file manually!\\n' > "$1/postgresql.auto.conf" && echo x > "$1/keep"`, 'sh', m5]);
    const r = await shell(`$GPHOME/bin/pg_basebackup -c fast -D ${m5} -h ${ADDR} -p ${PORT.p2} --write-conf-files-only --slot ${SLOT} --wal-method stream --target-gp-dbid 5 --progress --verbose`);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readdirSync(m5).sort()).toEqual(['internal.auto.conf', 'keep', 'postgresql.auto.conf', 'standby.signal']);
    expect(read(path.join(m5, 'internal.auto.conf'))).toBe('gp_dbid=5\n');
    expect(read(path.join(m5, 'postgresql.auto.conf'))).toBe(['# Do not edit this file manually!',
      `primary_conninfo = 'user=${DB_USER} host=${ADDR} port=${PORT.p2} application_name=gp_walreceiver'`, `primary_slot_name = '${SLOT}'`, ''].join('\n'));
    expect(read(path.join(m5, 'standby.signal'))).toBe('');

    const down = await shell(`$GPHOME/bin/pg_basebackup -D ${m5} -h ${ADDR} -p 26499 --write-conf-files-only --target-gp-dbid 5`);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`pg_basebackup: error: connection to server at "${ADDR}", port 26499 failed: Connection refused`);
  });

  it('pg_ctl start refuses a segment without gp_role, and fails without a dbid under gp_role=execute', async () => {
    const m3 = dd('m3');
    const log = path.join(m3, 'log', 'startup.log');
    // What gprecover's demo starts with today.
    const today = await run([bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-t', '60', 'start']);
    expect(today.code).toBe(1);
    expect(today.stderr).toBe('pg_ctl: (gprecover demo, as Greenplum 7) refusing to start segment dbid 3 without -c gp_role=execute: '
      + 'Greenplum 7 would start it in utility mode, where it takes no dispatched queries\n');
    expect(await running(m3)).toBe(false);

    fs.renameSync(path.join(m3, 'internal.auto.conf'), path.join(m3, 'internal.auto.conf.away'));
    const fatal = 'FATAL:  dbid (from -b option) is not specified or is invalid.  This value must be >= 0, or >= -1 in utility mode.  '
      + "The dbid value to pass can be determined from this server's entry in the segment configuration; it may be -1 if running in utility mode.";
    const noDbid = await run([bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-t', '600', '-o', ' -c gp_role=execute ', 'start']);
    expect(noDbid.code).toBe(1);
    expect(noDbid.stderr).toContain('pg_ctl: could not start server');
    expect(noDbid.stderr).toContain(fatal);
    expect(read(log).trimEnd().split('\n').at(-1)).toContain(fatal);
    expect(await running(m3)).toBe(false);

    // Utility mode needs no dbid (Greenplum: dbid -1 is fine there).
    const utility = await run([bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-o', '-c gp_role=utility', 'start']);
    expect(utility.code).toBe(0);
    expect(await running(m3)).toBe(true);
    expect((await stop(m3)).code).toBe(0);
    fs.renameSync(path.join(m3, 'internal.auto.conf.away'), path.join(m3, 'internal.auto.conf'));
  });

  /** The gp_role the demo's server module was given at start (GPDEMO_ROLE in the postmaster's environment). */
  const serverRole = (dir: string) => {
    const pid = read(path.join(dir, 'postmaster.pid')).split('\n')[0];
    return /(?:^|\0)GPDEMO_ROLE=([^\0]*)/.exec(fs.readFileSync(`/proc/${pid}/environ`, 'latin1'))?.[1];
  };

  it('pg_ctl start that follows the rules goes straight to PostgreSQL\'s pg_ctl, gp_role taken out of -o and given to the server', async () => {
    const m3 = dd('m3');
    const log = path.join(m3, 'log', 'startup.log');
    const real = path.join(pgBin, 'pg_ctl');
    // gprecover's start of a GP7 segment: no node start-up between the shim and PostgreSQL's pg_ctl.
    const started = await run(['sh', '-x', bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-t', '60', '-o', ' -c gp_role=execute ', 'start']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain(`+ exec ${real} -D ${m3} -l ${log} -w -t 60 start`);
    expect(started.stderr).not.toContain('pg_ctl.cjs');
    expect(serverRole(m3)).toBe('execute');
    expect((await stop(m3)).code).toBe(0);
    // Cloudberry's: the port stays in -o.
    const withPort = await run(['sh', '-x', bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-o', ` -p ${PORT.m3} -c gp_role=execute `, 'start']);
    expect(withPort.code, withPort.stderr).toBe(0);
    // dash's -x prints arguments unquoted, bash's quoted.
    expect(withPort.stderr).toMatch(new RegExp(`\\+ exec ${real} -D ${m3} -l ${log} -w -o '?\\s*-p ${PORT.m3}\\s*'? start`));
    expect((await stop(m3)).code).toBe(0);
    // Two gp_role settings: the wrapper program decides (the last one wins there).
    const twice = await run(['sh', '-x', bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-o', '-c gp_role=utility -c gp_role=execute', 'start']);
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stderr).toContain('pg_ctl.cjs');
    expect(serverRole(m3)).toBe('execute');
    expect((await stop(m3)).code).toBe(0);
    // The wrapper reads the last gp_dbid line: a negative one there fails the start, through the wrapper.
    const conf = path.join(m3, 'internal.auto.conf');
    const kept = read(conf);
    fs.writeFileSync(conf, 'gp_dbid = 3\ngp_dbid = -1\n');
    try {
      const negative = await run(['sh', '-x', bin('pg_ctl'), '-D', m3, '-l', log, '-w', '-t', '60', '-o', ' -c gp_role=execute ', 'start']);
      expect(negative.code).toBe(1);
      expect(negative.stderr).toContain('pg_ctl.cjs');
      expect(negative.stderr).toContain('dbid (from -b option) is not specified or is invalid');
      expect(await running(m3)).toBe(false);
    } finally {
      fs.writeFileSync(conf, kept);
      if (await running(m3)) await stop(m3);
    }
  });

  it('the primary segment itself refuses pg_rewind outside utility mode (what gprecover ran before), as Greenplum 7 does', async () => {
    const r = await run([bin('pg_rewind'), `--target-pgdata=${dd('m4')}`,
      `--source-server=host=${ADDR} port=${PORT.p2} user=${DB_USER} dbname=postgres application_name=gprecover_copy`, '--progress', '--write-recovery-conf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`connection to server at "${ADDR}", port ${PORT.p2} failed: FATAL:  connections to primary segments are not allowed`);
    expect(r.stderr).toContain('DETAIL:  This database instance is running as a primary segment in a Greenplum cluster and does not permit direct connections.');
    expect(r.stderr).toContain('HINT:  To force a connection anyway (dangerous!), use utility mode.');
    // Any other session too, unless it asks for utility mode; replication connections (walreceivers) pass.
    const plain = new pg.Client({ host: ADDR, port: PORT.p2, user: DB_USER, database: 'postgres' });
    await expect(plain.connect()).rejects.toThrow(/connections to primary segments are not allowed/);
    expect(await sql(PORT.p2, 'SHOW gp_role')).toEqual([{ gp_role: 'utility' }]);
    expect(await sql(PORT.p2, 'SHOW gp_dbid')).toEqual([{ gp_dbid: '2' }]);
  });

  it('pg_rewind of a promoted ex-mirror keeps its internal.auto.conf and writes primary_slot_name and gp_walreceiver', async () => {
    const m4 = dd('m4');
    expect((await run([bin('pg_ctl'), '-D', m4, '-w', 'promote'])).code).toBe(0);
    await waitFor('the promoted mirror to accept writes', async () => (await sql(PORT.m4, 'SELECT pg_is_in_recovery() AS r'))[0].r === false);
    await sql(PORT.m4, 'CREATE TABLE diverged (i int); INSERT INTO diverged VALUES (1); CHECKPOINT');
    expect((await stop(m4)).code).toBe(0);
    await sql(PORT.p2, 'INSERT INTO t SELECT generate_series(501, 600); CHECKPOINT');

    const rewind = await shell(`[ -f ${m4}/standby.signal ] || PGOPTIONS="-c gp_role=utility" $GPHOME/bin/pg_rewind --write-recovery-conf `
      + `--slot="${SLOT}" --source-server="host=${ADDR} port=${PORT.p2} dbname=template1 application_name=__gprecoverseg_pg_rewind__" --target-pgdata=${m4} --progress`);
    expect(rewind.stderr).toContain('Done!');
    expect(rewind.code).toBe(0);
    expect(read(path.join(m4, 'internal.auto.conf'))).toBe('gp_dbid=4\n');
    const auto = read(path.join(m4, 'postgresql.auto.conf'));
    expect(auto).not.toContain('__gprecoverseg_pg_rewind__');
    expect(primaryConninfo(m4).at(-1)).toContain(`host=${ADDR} port=${PORT.p2} `);
    expect(appNames(primaryConninfo(m4).at(-1))).toEqual(['gp_walreceiver']);
    expect(auto.trimEnd().split('\n').at(-1)).toBe(`primary_slot_name = '${SLOT}'`);
    expect(fs.existsSync(path.join(m4, 'standby.signal'))).toBe(true);

    const start = await shell(`env GPSESSID=0000000000 GPERA=1234_20211110 $GPHOME/bin/pg_ctl -D ${m4} -l ${m4}/log/startup.log -w -t 600 -o " -p ${PORT.m4} -c gp_role=execute " start 2>&1`);
    expect(start.code).toBe(0);
    await waitStreaming();
    await waitFor('the rewound mirror with the primary rows', async () => (await sql(PORT.m4, 'SELECT count(*)::int AS n FROM t'))[0].n === 600);
    expect(await sql(PORT.m4, `SELECT 1 FROM pg_class WHERE relname = 'diverged'`)).toEqual([]);
    expect((await stop(m4)).code).toBe(0);
  });

  it('the real pg_basebackup dies with its wrapper (SIGTERM to it, SIGKILL to its process group or to it alone)', async () => {
    const realBb = path.join(pgBin, 'pg_basebackup');
    const copies = () => {
      try {
        return execFileSync('pgrep', ['-f', `^${realBb} -D ${dd('m6')}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    for (const how of ['SIGTERM to the wrapper', 'SIGKILL to the group', 'SIGKILL to the wrapper alone'] as const) {
      fs.rmSync(dd('m6'), { recursive: true, force: true });
      const child = spawn(bin('pg_basebackup'), ['-D', dd('m6'), '-h', ADDR, '-p', String(PORT.p2), '--max-rate=32k', '--wal-method', 'fetch', '--target-gp-dbid', '6'],
        { detached: true, stdio: 'ignore', uid: id?.uid, gid: id?.gid, cwd: '/' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
      await waitFor('the real pg_basebackup to run', async () => copies().length === 1, 20_000);
      if (how === 'SIGTERM to the wrapper') process.kill(child.pid!, 'SIGTERM');
      else if (how === 'SIGKILL to the group') process.kill(-child.pid!, 'SIGKILL');
      else process.kill(child.pid!, 'SIGKILL');
      const code = await exited;
      expect(code).not.toBe(0);
      await waitFor(`the real pg_basebackup gone after ${how}`, async () => copies().length === 0, 10_000);
    }
  });
});
