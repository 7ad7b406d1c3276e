import type pg from 'pg';
import { DIFFERENTIAL_APPLICATION_NAME, REPLICATION_SLOT } from '../../domain/names';
import { PermanentError } from '../../domain/failures';
import { RSYNC_PROGRESS_ONLY_ERE, rsyncVerdict } from '../../domain/decide/rsyncExit';
import { hostProblem } from '../../domain/values';
import { maxRateKbPerSec } from '../config';
import { runChecked, type Executor } from '../exec/executor';
import { commandArgv } from '../flavor';
import { copyFailed, jobContext, targetExecutor, verifyIdentity, writeFileOn, type CopyOutcome, type CopyRequest } from './copy';
import { runCopyJob } from './copyJob';
import { jobOutputLines } from '../jobs';
import { configureAsMirror } from './recoveryConf';
import { replicationConninfo, segmentClient } from './sql';
import { sourceTablespaces, targetTablespaces, type TablespaceLink } from './tablespaces';
import { freeReplicationSlot } from './walsenders';

/**
 * rsync's own flags: archive, checksums, one overall progress line (rsync >= 3.1), and --protect-args, so that the
 * remote side never hands a path to a shell (rsync < 3.2.4 would).
 */
export const RSYNC = ['rsync', '-a', '-c', '--delete', '--protect-args', '--info=progress2', '--no-inc-recursive'] as const;

function rsyncArgs(req: CopyRequest): string[] {
  const rate = req.ctx.cfg.copyMaxRate ? maxRateKbPerSec(req.ctx.cfg.copyMaxRate) : undefined;
  return [...RSYNC, ...(rate ? [`--bwlimit=${rate}`] : [])];
}

/** An rsync's exit judged on `output`: nothing when it copied what WAL replay needs, else the copy's failure. */
export function rsyncOutcome(what: string, code: number, output: string, run = 1): { note?: string } | Error {
  const verdict = rsyncVerdict(code, output);
  return verdict.ok ? { note: verdict.note } : copyFailed(what, code, output, { run, unexplained: verdict.unexplained });
}

/** The source path as rsync on the target host reads it: local when both are one machine, else over ssh. */
function fromSource(req: CopyRequest, path: string): string {
  if (req.ctx.sameMachine(req.target, req.source)) return path;
  // An address reaches rsync's command line: it must be a host, never an option or a remote-shell word.
  const wrong = hostProblem(req.source.address, 'source address');
  if (wrong) throw new PermanentError(`dbid ${req.source.dbid}: ${wrong}`);
  return `${req.source.address}:${path}`;
}

/** An rsync that runs to its end in one command; what it noted (files that shrank) is added to `notes`. */
async function rsyncStep(req: CopyRequest, exec: Executor, args: string[], notes: string[]): Promise<void> {
  const res = await exec.run([...rsyncArgs(req), ...args], { timeoutMs: 24 * 3_600_000, signal: req.signal });
  const outcome = rsyncOutcome(`rsync on ${exec.host}`, res.code, `${res.stderr}\n${res.stdout}`);
  if (outcome instanceof Error) throw outcome;
  if (outcome.note) notes.push(outcome.note);
}

/** gpsegrecovery sync_tablespaces: the target's links go, each tablespace is synced into its own dbid's directory. */
async function syncTablespaces(req: CopyRequest, exec: Executor, source: TablespaceLink[], target: TablespaceLink[], notes: string[]): Promise<void> {
  await runChecked(exec, ['sh', '-c', 'mkdir -p "$1/pg_tblspc" && find "$1/pg_tblspc" -mindepth 1 -maxdepth 1 -type l -delete', 'gprecover-tblspc-reset', req.target.datadir]);
  for (const src of source) {
    const dst = target.find((t) => t.oid === src.oid)!;
    await runChecked(exec, ['mkdir', '-p', '-m', '0700', dst.link]);
    await rsyncStep(req, exec, [fromSource(req, `${src.link}/`), `${dst.link}/`], notes);
    await runChecked(exec, ['ln', '-s', dst.link, `${req.target.datadir}/pg_tblspc/${src.oid}`]);
  }
}

/**
 * The backup that brackets the rsync. Before PostgreSQL 15 (Greenplum 7 is 12, Cloudberry 14) it is the exclusive
 * pg_start_backup gpsegrecovery takes: it outlives a dropped session, its backup_label is copied with the data, and
 * an earlier attempt's is stopped first. PostgreSQL 15 has only the non-exclusive one, held by this session: TCP
 * keepalives keep an idle firewall from dropping it, and a drop fails the copy (the label would be lost with it).
 */
interface Backup {
  exclusive: boolean;
  /** The label pg_backup_stop returns (non-exclusive), to be written as the target's backup_label. */
  stop(): Promise<string | undefined>;
}

async function startBackup(c: pg.Client): Promise<Backup> {
  const version = Number((await c.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
  if (version < 150000) {
    if ((await c.query('SELECT pg_is_in_backup() AS b')).rows[0].b === true) await c.query('SELECT pg_stop_backup()');
    await c.query(`SELECT pg_start_backup('differential_backup')`);
    return { exclusive: true, stop: async () => { await c.query('SELECT pg_stop_backup()'); return undefined; } };
  }
  await c.query(`SELECT pg_backup_start('differential_backup', true)`);
  return { exclusive: false, stop: async () => String((await c.query('SELECT labelfile FROM pg_backup_stop(false)')).rows[0].labelfile) };
}

/**
 * Differential recovery (gprecoverseg --differential, gpsegrecovery DifferentialRecovery): a backup on the source
 * brackets an rsync of only the changed files and of each tablespace into the target's own directory; then the
 * target's identity and recovery settings, and pg_wal and pg_control last. Every attempt starts over (a new backup,
 * a new rsync): files an earlier attempt's rsync copied before the new backup's start point may lack later writes.
 */
export async function differentialCopy(req: CopyRequest): Promise<CopyOutcome> {
  const { ctx } = req;
  if (!ctx.flavor.differential) throw new PermanentError(`${ctx.summary.title} has no differential recovery; use incremental or -F (full)`);
  const exec = targetExecutor(req);
  const dir = req.target.datadir;
  const notes: string[] = [];
  const sourceLinks = await sourceTablespaces(ctx, req.source);
  const targetLinks = targetTablespaces(ctx, sourceLinks, req.source.dbid, req.targetDbid);
  await freeReplicationSlot(ctx, req.source);

  const session = segmentClient(ctx, req.source, DIFFERENTIAL_APPLICATION_NAME, { keepAlive: true });
  let dropped: Error | undefined;
  session.on('error', (err) => { dropped ??= err; });
  await session.connect();
  let attached: boolean;
  try {
    const backup = await startBackup(session);
    let stopped = false;
    try {
      await session.query('SELECT pg_create_physical_replication_slot($1, true, false)', [REPLICATION_SLOT]);
      const job = jobContext(req, exec);
      const res = await runCopyJob(job, 'rsync',
        [...rsyncArgs(req), ...ctx.flavor.differentialExcludes.map((e) => `--exclude=${e}`),
          // pg_wal and pg_control go last; the target keeps its own identity. An exclusive backup's label travels
          // with the data, as gpsegrecovery copies it; a non-exclusive one's comes from pg_backup_stop.
          '--exclude=/pg_wal', '--exclude=/global/pg_control', '--exclude=/internal.auto.conf',
          ...(backup.exclusive ? [] : ['--exclude=/backup_label']),
          '--exclude=/backup_label.old', '--exclude=/standby.signal', '--exclude=/recovery.signal',
          fromSource(req, `${req.source.datadir}/`), `${dir}/`],
        async () => {
          await req.assertWritable();
          await runChecked(exec, ['mkdir', '-p', '-m', '0700', dir]);
        }, { restart: true });
      attached = res.attached;
      // An exit 23 is judged on every line of the run but its progress: the output the job's state keeps is its tail.
      const lines = res.code === 23 ? await jobOutputLines(exec, job.jobDir, RSYNC_PROGRESS_ONLY_ERE) : undefined;
      const what = `rsync into ${req.target.hostname}:${dir}`;
      if (lines && !lines.complete) throw copyFailed(what, res.code, `${lines.lines}\n(more lines than could be read)`, { run: res.run });
      const outcome = rsyncOutcome(what, res.code, lines?.lines ?? res.output, res.run);
      if (outcome instanceof Error) throw outcome;
      if (outcome.note) notes.push(outcome.note);
      await syncTablespaces(req, exec, sourceLinks, targetLinks, notes);
      if (dropped) throw new Error(`the session holding the backup on dbid ${req.source.dbid} was lost (${dropped.message}); the copy starts over`);
      // tablespace_map stays out: it would point the target's links back at the source's directories.
      const label = await backup.stop();
      stopped = true;
      if (label !== undefined) await writeFileOn(exec, `${dir}/backup_label`, label);
    } finally {
      if (!stopped) await backup.stop().catch(() => undefined);
    }
  } finally {
    await session.end().catch(() => undefined);
  }
  const writeConf = ctx.flavor.writeConfFiles({ bin: ctx.bin, targetDir: dir, targetDbid: req.targetDbid, source: req.source, user: ctx.replicationUser });
  await req.assertWritable();
  if (writeConf) {
    await runChecked(exec, commandArgv(writeConf), { timeoutMs: 600_000 });
  } else {
    await configureAsMirror(exec, dir, { port: req.target.port, primaryConninfo: replicationConninfo(ctx.cfg, req.source) });
  }
  await rsyncStep(req, exec, ['--exclude=archive_status/*', fromSource(req, `${req.source.datadir}/pg_wal/`), `${dir}/pg_wal/`], notes);
  await runChecked(exec, ['mkdir', '-p', `${dir}/global`]);
  await rsyncStep(req, exec, [fromSource(req, `${req.source.datadir}/global/pg_control`), `${dir}/global/pg_control`], notes);
  await runChecked(exec, ['sh', '-c', 'for d in pg_replslot pg_stat_tmp pg_dynshmem pg_notify pg_serial pg_snapshots pg_subtrans log; do mkdir -p "$1/$d"; done; chmod 0700 "$1"', 'gprecover-dirs', dir]);
  await verifyIdentity(req, targetLinks);
  return { method: 'rsync', attached, ...(notes.length ? { note: notes.join('; ') } : {}) };
}
