import { DIFFERENTIAL_APPLICATION_NAME, REPLICATION_SLOT } from '../../domain/names';
import { PermanentError } from '../../domain/failures';
import { maxRateKbPerSec } from '../config';
import { runChecked, type Executor } from '../exec/executor';
import { commandArgv } from '../flavor';
import { copyFailed, jobContext, sourceExecutor, targetExecutor, verifyIdentity, writeFileOn, type CopyOutcome, type CopyRequest } from './copy';
import { runCopyJob } from './copyJob';
import { configureAsMirror } from './recoveryConf';
import { replicationConninfo, withSegment } from './sql';
import { tablespaceLinks, targetTablespaces, type TablespaceLink } from './tablespaces';

/** rsync's own flags: archive, checksums, one overall progress line (rsync >= 3.1). */
function rsyncArgs(req: CopyRequest): string[] {
  const rate = req.ctx.cfg.copyMaxRate ? maxRateKbPerSec(req.ctx.cfg.copyMaxRate) : undefined;
  return ['rsync', '-a', '-c', '--delete', '--info=progress2', '--no-inc-recursive', ...(rate ? [`--bwlimit=${rate}`] : [])];
}

/** The source path as rsync on the target host reads it: local when both are one machine, else over ssh. */
function fromSource(req: CopyRequest, path: string): string {
  const local = targetExecutor(req).kind === 'local' && sourceExecutor(req).kind === 'local';
  return local ? path : `${req.source.address}:${path}`;
}

async function rsyncStep(req: CopyRequest, exec: Executor, args: string[]): Promise<void> {
  await runChecked(exec, [...rsyncArgs(req), ...args], { timeoutMs: 24 * 3_600_000, signal: req.signal });
}

/** gpsegrecovery sync_tablespaces: the target's links go, each tablespace is synced into its own dbid's directory. */
async function syncTablespaces(req: CopyRequest, exec: Executor, source: TablespaceLink[], target: TablespaceLink[]): Promise<void> {
  await runChecked(exec, ['sh', '-c', 'mkdir -p "$1/pg_tblspc" && find "$1/pg_tblspc" -mindepth 1 -maxdepth 1 -type l -delete', 'sh', req.target.datadir]);
  for (const src of source) {
    const dst = target.find((t) => t.oid === src.oid)!;
    await runChecked(exec, ['mkdir', '-p', '-m', '0700', dst.link]);
    await rsyncStep(req, exec, [fromSource(req, `${src.link}/`), `${dst.link}/`]);
    await runChecked(exec, ['ln', '-s', dst.link, `${req.target.datadir}/pg_tblspc/${src.oid}`]);
  }
}

/**
 * Differential recovery (gprecoverseg --differential, gpsegrecovery DifferentialRecovery): a backup on the source
 * brackets an rsync of only the changed files and of each tablespace into the target's own directory; then the
 * target's identity and recovery settings, and pg_wal and pg_control last. The backup is non-exclusive, held by this
 * activity's session: a worker that dies ends it, and the next attempt starts a fresh one.
 */
export async function differentialCopy(req: CopyRequest): Promise<CopyOutcome> {
  const { ctx } = req;
  if (!ctx.flavor.differential) throw new PermanentError(`${ctx.summary.title} has no differential recovery; use incremental or -F (full)`);
  const exec = targetExecutor(req);
  const dir = req.target.datadir;
  const sourceLinks = await tablespaceLinks(sourceExecutor(req), req.source.datadir);
  const targetLinks = targetTablespaces(ctx, sourceLinks, req.source.dbid, req.targetDbid);
  let attached = false;
  await runChecked(exec, ['mkdir', '-p', '-m', '0700', dir]);
  await withSegment(ctx, req.source, async (c) => {
    await c.query(`SET application_name = '${DIFFERENTIAL_APPLICATION_NAME}'`);
    const slot = await c.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [REPLICATION_SLOT]);
    if (slot.rows[0]?.active) throw new PermanentError(`replication slot ${REPLICATION_SLOT} on dbid ${req.source.dbid} is in use: a mirror still streams from this primary`);
    if (slot.rowCount) await c.query('SELECT pg_drop_replication_slot($1)', [REPLICATION_SLOT]);
    const version = Number((await c.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
    const [start, stop] = version >= 150000
      ? ['SELECT pg_backup_start($1, true)', 'SELECT labelfile FROM pg_backup_stop(false)']
      : ['SELECT pg_start_backup($1, true, false)', 'SELECT labelfile FROM pg_stop_backup(false, false)'];
    await c.query(start, ['differential_backup']);
    let stopped = false;
    try {
      await c.query('SELECT pg_create_physical_replication_slot($1, true, false)', [REPLICATION_SLOT]);
      const res = await runCopyJob(jobContext(req, exec), 'rsync',
        [...rsyncArgs(req), ...ctx.flavor.differentialExcludes.map((e) => `--exclude=${e}`),
          // pg_wal and pg_control go last; the target keeps its own identity and the label comes from pg_backup_stop.
          '--exclude=/pg_wal', '--exclude=/global/pg_control', '--exclude=/internal.auto.conf', '--exclude=/backup_label',
          '--exclude=/backup_label.old', '--exclude=/standby.signal', '--exclude=/recovery.signal',
          fromSource(req, `${req.source.datadir}/`), `${dir}/`],
        // The backup session of an earlier attempt died with its worker, so its rsync is not worth attaching to.
        async () => undefined);
      attached = res.attached;
      if (res.code !== 0 && res.code !== 24) throw copyFailed(`rsync into ${req.target.hostname}:${dir}`, res.code, res.output);
      await syncTablespaces(req, exec, sourceLinks, targetLinks);
      // tablespace_map stays out: it would point the target's links back at the source's directories.
      const label = await c.query(stop);
      stopped = true;
      await writeFileOn(exec, `${dir}/backup_label`, label.rows[0].labelfile);
    } finally {
      if (!stopped) await c.query(stop).catch(() => undefined);
    }
  });
  const writeConf = ctx.flavor.writeConfFiles({ bin: ctx.bin, targetDir: dir, targetDbid: req.targetDbid, source: req.source, user: ctx.replicationUser });
  if (writeConf) {
    await runChecked(exec, commandArgv(writeConf), { timeoutMs: 600_000 });
  } else {
    await configureAsMirror(exec, dir, { port: req.target.port, primaryConninfo: replicationConninfo(ctx.cfg, req.source) });
  }
  await rsyncStep(req, exec, ['--exclude=archive_status/*', fromSource(req, `${req.source.datadir}/pg_wal/`), `${dir}/pg_wal/`]);
  await runChecked(exec, ['mkdir', '-p', `${dir}/global`]);
  await rsyncStep(req, exec, [fromSource(req, `${req.source.datadir}/global/pg_control`), `${dir}/global/pg_control`]);
  await runChecked(exec, ['sh', '-c', 'for d in pg_replslot pg_stat_tmp pg_dynshmem pg_notify pg_serial pg_snapshots pg_subtrans log; do mkdir -p "$1/$d"; done; chmod 0700 "$1"', 'sh', dir]);
  await verifyIdentity(req, targetLinks);
  return { method: 'rsync', attached };
}
