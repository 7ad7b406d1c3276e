import type { ClusterConfig } from '../config';
import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';
import { jobDirFor } from '../jobs';
import { runCopyJob, outputTail } from './copyJob';
import { IncrementalRecoveryFailedError } from './errors';
import { probeDir } from './probeDir';
import type { CopyProgress } from './progress';
import { REPLICATION_SLOT } from './recoveryConf';
import { dropSlotForFullCopy, ensureSlot } from './sourceSlot';
import { COPY_APPLICATION_NAME, replicationConninfo, withSegment, type Endpoint } from './sql';

export interface CopyRequest {
  cfg: ClusterConfig;
  /** Executor on the target host (where the segment is rebuilt). */
  target: Executor;
  targetDir: string;
  source: Endpoint & { datadir: string; hostname: string };
  /** Whether the target host can read the source's directory directly (same machine), for rsync. */
  sourceIsLocalToTarget: boolean;
  owner: string;
  dbid: number;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
  /** Clears the target directory after the same safety checks as the wipe step. */
  clearTarget: () => Promise<void>;
}

export interface CopyOutcome {
  method: 'pg_basebackup' | 'pg_rewind' | 'rsync' | 'none';
  attached: boolean;
  note?: string;
}

/** Full recovery: pg_basebackup streams a fresh copy with its WAL and writes the recovery settings. */
export async function fullCopy(req: CopyRequest): Promise<CopyOutcome> {
  const argv = [`${req.cfg.pgBin}/pg_basebackup`, '-c', 'fast', '-D', req.targetDir, '-d', replicationConninfo(req.cfg, req.source, COPY_APPLICATION_NAME),
    '--slot', REPLICATION_SLOT, '--create-slot', '--wal-method', 'stream', '--write-recovery-conf', '--progress', '--verbose',
    ...(req.cfg.copyMaxRate ? [`--max-rate=${req.cfg.copyMaxRate}`] : [])];
  const res = await runCopyJob(
    { exec: req.target, jobDir: jobDirFor(req.targetDir, 'copy'), owner: req.owner, signal: req.signal, onProgress: req.onProgress },
    'pg_basebackup',
    argv,
    async () => {
      await req.clearTarget();
      await withSegment(req.cfg, req.source, dropSlotForFullCopy);
    },
  );
  if (res.code !== 0) {
    throw new Error(`pg_basebackup into ${req.target.host}:${req.targetDir} failed (exit ${res.code}): ${outputTail(res.output)}`);
  }
  return { method: 'pg_basebackup', attached: res.attached };
}

/** Incremental recovery: pg_rewind back to the source's timeline, or nothing when the mirror only fell behind. */
export async function incrementalCopy(req: CopyRequest): Promise<CopyOutcome> {
  const [dir, src] = await Promise.all([
    probeDir(req.target, req.cfg.pgBin, { hostname: req.target.host, address: req.target.host, datadir: req.targetDir }),
    withSegment(req.cfg, req.source, async (c) => {
      await c.query('CHECKPOINT');
      await ensureSlot(c);
      const r = await c.query(`SELECT (SELECT system_identifier FROM pg_control_system())::text AS sysid,
        (SELECT timeline_id FROM pg_control_checkpoint()) AS tli`);
      return { sysid: String(r.rows[0].sysid), timeline: Number(r.rows[0].tli) };
    }),
  ]);
  if (!dir.pgVersion) {
    throw new IncrementalRecoveryFailedError(`dbid ${req.dbid}: ${req.target.host}:${req.targetDir} holds no data directory to rewind; run again with -F (full) or --differential`);
  }
  if (dir.systemIdentifier && dir.systemIdentifier !== src.sysid) {
    throw new IncrementalRecoveryFailedError(`dbid ${req.dbid}: ${req.targetDir} has system identifier ${dir.systemIdentifier}, the source ${src.sysid}; pg_rewind cannot join them, use -F (full)`);
  }
  if (dir.postmasterLive) throw new Error(`dbid ${req.dbid}: a postgres still runs in ${req.targetDir}; it must be stopped before pg_rewind`);
  // A directory that still has standby.signal was never promoted, so its WAL is a prefix of its primary's
  // (gprecoverseg skips pg_rewind then too); pg_rewind could not even run on it: single-user crash recovery
  // refuses standby mode.
  if (dir.standbySignal) {
    return { method: 'none', attached: false, note: 'still a mirror (standby.signal present); it catches up by streaming' };
  }
  const argv = [`${req.cfg.pgBin}/pg_rewind`, `--target-pgdata=${req.targetDir}`, `--source-server=${replicationConninfo(req.cfg, req.source, COPY_APPLICATION_NAME)}`,
    '--progress', '--write-recovery-conf'];
  const res = await runCopyJob(
    { exec: req.target, jobDir: jobDirFor(req.targetDir, 'copy'), owner: req.owner, signal: req.signal, onProgress: req.onProgress },
    'pg_rewind',
    argv,
    async () => {
      await req.target.run(['rm', '-f', `${req.targetDir}/postmaster.pid`]);
    },
  );
  if (res.code !== 0) {
    throw new IncrementalRecoveryFailedError(
      `pg_rewind of dbid ${req.dbid} failed (exit ${res.code}): ${outputTail(res.output)}; incremental recovery cannot repair this segment, run again with --differential or -F (full)`,
    );
  }
  return { method: 'pg_rewind', attached: res.attached };
}

const RSYNC_EXCLUDES = ['log', 'postmaster.pid', 'postmaster.opts', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial',
  'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans', 'pgsql_tmp*', 'backup_label', 'backup_label.old', 'tablespace_map',
  'pg_wal', 'global/pg_control', 'standby.signal', 'recovery.signal', 'postgresql.auto.conf', 'backup_manifest'];

/**
 * Differential recovery (gprecoverseg --differential): a non-exclusive backup on the source brackets an rsync of
 * only the changed files; pg_wal and pg_control go last, after the backup has ended.
 */
export async function differentialCopy(req: CopyRequest): Promise<CopyOutcome> {
  const from = (sub = '') => `${req.sourceIsLocalToTarget ? '' : `${req.source.address}:`}${req.source.datadir}/${sub}`;
  const jobDir = jobDirFor(req.targetDir, 'copy');
  let attached = false;
  await runChecked(req.target, ['mkdir', '-p', '-m', '0700', req.targetDir]);
  await withSegment(req.cfg, req.source, async (c) => {
    await ensureSlot(c);
    const version = Number((await c.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
    const [start, stop] = version >= 150000
      ? ['SELECT pg_backup_start($1, true)', 'SELECT labelfile, spcmapfile FROM pg_backup_stop(false)']
      : ['SELECT pg_start_backup($1, true, false)', 'SELECT labelfile, spcmapfile FROM pg_stop_backup(false, false)'];
    await c.query(start, [`gprecover differential dbid ${req.dbid}`]);
    let stopped = false;
    try {
      const res = await runCopyJob(
        { exec: req.target, jobDir, owner: req.owner, signal: req.signal, onProgress: req.onProgress },
        'rsync',
        ['rsync', '-a', '--delete', '--checksum', '--info=progress2', '--no-inc-recursive',
          ...(req.cfg.copyMaxRate ? [`--bwlimit=${rsyncRate(req.cfg.copyMaxRate)}`] : []),
          ...RSYNC_EXCLUDES.map((e) => `--exclude=/${e}`), from(), `${req.targetDir}/`],
        // The backup session of an earlier attempt died with its worker, so its rsync is not worth attaching to.
        async () => undefined,
      );
      attached = res.attached;
      if (res.code !== 0) throw new Error(`rsync into ${req.target.host}:${req.targetDir} failed (exit ${res.code}): ${outputTail(res.output)}`);
      const label = await c.query(stop);
      stopped = true;
      await runChecked(req.target, ['sh', '-c', 'cat > "$1/backup_label"', 'sh', req.targetDir], { input: label.rows[0].labelfile });
      if (label.rows[0].spcmapfile) {
        await runChecked(req.target, ['sh', '-c', 'cat > "$1/tablespace_map"', 'sh', req.targetDir], { input: label.rows[0].spcmapfile });
      }
    } finally {
      if (!stopped) await c.query(stop).catch(() => undefined);
    }
  });
  await runChecked(req.target, ['rsync', '-a', '--delete', '--exclude=archive_status/*', from('pg_wal/'), `${req.targetDir}/pg_wal/`], { timeoutMs: 3_600_000 });
  await runChecked(req.target, ['mkdir', '-p', `${req.targetDir}/global`]);
  await runChecked(req.target, ['rsync', '-a', from('global/pg_control'), `${req.targetDir}/global/pg_control`]);
  await runChecked(req.target, ['sh', '-c', 'mkdir -p "$1/pg_replslot" "$1/pg_stat_tmp" "$1/pg_dynshmem" "$1/pg_notify" "$1/pg_serial" "$1/pg_snapshots" "$1/pg_subtrans" "$1/log" && chmod 0700 "$1"', 'sh', req.targetDir]);
  return { method: 'rsync', attached };
}

/** pg_basebackup's rate ('32k', '100M', bare = kB/s) in rsync's --bwlimit units (KiB/s). */
export function rsyncRate(rate: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(rate.trim());
  if (!m) throw new Error(`copyMaxRate '${rate}' is not like 32k or 100M`);
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1024 : 1);
}
