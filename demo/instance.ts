import path from 'node:path';
import type { Executor } from '../cluster/exec/executor';
import { runChecked } from '../cluster/exec/executor';
import { REPLICATION_SLOT, WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { Endpoint, SegmentRow } from '../domain/segment';
import { DemoError } from './errors';
import { sleep } from './sql';

/** Where one PostgreSQL instance lives, as the catalog describes it. */
export type InstanceLocation = Pick<SegmentRow, 'dbid' | 'hostname' | 'address' | 'port' | 'datadir'>;

const startupLog = (datadir: string) => path.join(datadir, 'log', 'startup.log');

export async function initdb(exec: Executor, pgBin: string, datadir: string, dbUser: string, dataChecksums = false): Promise<void> {
  await runChecked(exec, [path.join(pgBin, 'initdb'), '-D', datadir, '-U', dbUser, '--auth=trust', '--no-sync',
    '--no-instructions', '-E', 'UTF8', '--locale=C', ...(dataChecksums ? ['--data-checksums'] : [])], { timeoutMs: 120_000 });
}

/** pg_ctl status, except that a killed postmaster nobody has reaped yet (a zombie) counts as stopped. */
export async function isRunning(exec: Executor, pgBin: string, datadir: string): Promise<boolean> {
  const r = await exec.run([path.join(pgBin, 'pg_ctl'), '-D', datadir, 'status'], { timeoutMs: 10_000 });
  if (r.code !== 0) return false;
  const pid = /PID: (\d+)/.exec(r.stdout)?.[1];
  if (!pid) return true;
  const ps = await exec.run(['ps', '-o', 'stat=', '-p', pid], { timeoutMs: 5_000 });
  if (ps.code !== 0 || ps.stdout.trim().startsWith('Z')) return false;
  // pg_ctl only checks that the pid is alive; a recycled pid is some other process, with another working directory.
  const cwd = await exec.run(['sh', '-c', '[ "$(readlink "/proc/$1/cwd")" = "$(cd "$2" && pwd -P)" ]', 'sh', pid, datadir], { timeoutMs: 5_000 });
  return cwd.code === 0;
}

async function logTail(exec: Executor, datadir: string): Promise<string> {
  const r = await exec.run(['tail', '-n', '3', startupLog(datadir)], { timeoutMs: 5_000 });
  return r.code === 0 ? r.stdout.trim().split('\n').join(' | ') : '';
}

/** Greenplum starts its coordinator with gp_role=dispatch and its segments with gp_role=execute. */
export type GpRole = 'dispatch' | 'execute';

/**
 * Starts the instance unless it runs already; returns whether it had to be started. `portOnCommandLine`: as
 * Cloudberry's gpstart passes the catalog's port (`-o " -p PORT … "`), where Greenplum 7 leaves it to postgresql.conf.
 */
export async function startInstance(exec: Executor, pgBin: string, inst: InstanceLocation, gpRole?: GpRole, portOnCommandLine = false): Promise<boolean> {
  if (await isRunning(exec, pgBin, inst.datadir)) return false;
  // The postmaster.pid of a killed instance names a pid that may belong to another process by now, and postgres
  // would refuse to start over it.
  await exec.run(['rm', '-f', path.join(inst.datadir, 'postmaster.pid')], { timeoutMs: 10_000 });
  await runChecked(exec, ['mkdir', '-p', path.dirname(startupLog(inst.datadir))], { timeoutMs: 10_000 });
  const options = `${portOnCommandLine ? ` -p ${inst.port}` : ''}${gpRole ? ` -c gp_role=${gpRole}` : ''}`;
  const role = options ? ['-o', `${options} `] : [];
  const r = await exec.run([path.join(pgBin, 'pg_ctl'), '-D', inst.datadir, '-l', startupLog(inst.datadir), '-w', '-t', '60', ...role, 'start'],
    { timeoutMs: 90_000 });
  if (r.code !== 0) {
    const tail = await logTail(exec, inst.datadir);
    throw new DemoError(`dbid ${inst.dbid} (${inst.hostname} ${inst.address}:${inst.port} ${inst.datadir}) did not start${tail ? `: ${tail}` : ''}`);
  }
  return true;
}

/** Stops the instance if it runs; returns whether it was running. */
export async function stopInstance(exec: Executor, pgBin: string, datadir: string, mode: 'fast' | 'immediate' = 'fast'): Promise<boolean> {
  if (!(await isRunning(exec, pgBin, datadir))) return false;
  const r = await exec.run([path.join(pgBin, 'pg_ctl'), '-D', datadir, '-m', mode, '-w', '-t', '60', 'stop'], { timeoutMs: 90_000 });
  // Lost a race with another stop (or a crash): only a postmaster still alive is a failure.
  if (r.code !== 0 && (await isRunning(exec, pgBin, datadir))) {
    throw new DemoError(`could not stop ${datadir}: ${(r.stderr || r.stdout).trim()}`);
  }
  return true;
}

export async function postmasterPid(exec: Executor, datadir: string): Promise<number | undefined> {
  const r = await exec.run(['head', '-n', '1', path.join(datadir, 'postmaster.pid')], { timeoutMs: 5_000 });
  const pid = Number(r.stdout.trim());
  return r.code === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * SIGKILL to the postmaster and its children at once, like a host losing power: no shutdown checkpoint, no
 * goodbye to the walreceiver. The postmaster's children are their own process groups, hence the list.
 */
export async function killInstanceHard(exec: Executor, pgBin: string, inst: InstanceLocation): Promise<void> {
  const pid = (await isRunning(exec, pgBin, inst.datadir)) ? await postmasterPid(exec, inst.datadir) : undefined;
  if (!pid) throw new DemoError(`dbid ${inst.dbid} is not running (${inst.datadir})`);
  const children = (await exec.run(['pgrep', '-P', String(pid)], { timeoutMs: 5_000 })).stdout.split('\n').filter((s) => /^\d+$/.test(s.trim()));
  await exec.run(['kill', '-9', String(pid), ...children.map((c) => c.trim())], { timeoutMs: 5_000 });
  const deadline = Date.now() + 5_000;
  while ((await isRunning(exec, pgBin, inst.datadir)) && Date.now() < deadline) await sleep(50);
}

/** A segment's own dbid, where Greenplum keeps it (internal.auto.conf, never copied from its peer). */
export async function writeIdentity(exec: Executor, datadir: string, dbid: number): Promise<void> {
  await runChecked(exec, ['sh', '-c', 'printf "gp_dbid=%s\\n" "$2" > "$1/internal.auto.conf"', 'sh', datadir, String(dbid)], { timeoutMs: 10_000 });
}

/** The coordinator's era file, as gpstart writes it (gppylib gp_era: `era = <hash>_<time>`). */
export async function writeEra(exec: Executor, coordinatorDir: string, era: string): Promise<void> {
  const text = `# Greenplum Database era.\n# Do not change the contents of this file.\nera = ${era}\n`;
  await runChecked(exec, ['sh', '-c', 'mkdir -p "$1/log" && cat > "$1/log/gp_era"', 'sh', coordinatorDir], { input: text, timeoutMs: 10_000 });
}

/** A plain PostgreSQL mirror: streamed base backup through the content's replication slot. */
export async function baseBackupMirror(exec: Executor, pgBin: string, source: Endpoint, datadir: string, dbUser: string): Promise<void> {
  const conninfo = `host=${source.address} port=${source.port} user=${dbUser} application_name=${WALRECEIVER_APPLICATION_NAME}`;
  await runChecked(exec, [path.join(pgBin, 'pg_basebackup'), '-d', conninfo, '-D', datadir, '-c', 'fast',
    '--slot', REPLICATION_SLOT, '--create-slot', '--wal-method', 'stream', '--write-recovery-conf'], { timeoutMs: 300_000 });
}
