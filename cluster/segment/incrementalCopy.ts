import { commandArgv } from '../flavor';
import { copyFailed, jobContext, targetExecutor, verifyIdentity, type CopyOutcome, type CopyRequest } from './copy';
import { runCopyJob } from './copyJob';
import { IncrementalRecoveryFailedError } from './errors';
import { probeDir } from './probeDir';
import { ensureSlot, withSegment } from './sql';
import { prepareTablespacesForRewind, sourceTablespaces, targetTablespaces } from './tablespaces';

const ADVICE = 'incremental recovery cannot repair this segment, run again with --differential or -F (full)';

/**
 * Incremental recovery (gpsegsetuprecovery + gpsegrecovery IncrementalRecovery): CHECKPOINT on the source so
 * pg_control shows its timeline, postmaster.pid removed, then pg_rewind, unless the directory is still a mirror
 * (standby.signal): its WAL is a prefix of its primary's and it catches up by streaming.
 */
export async function incrementalCopy(req: CopyRequest): Promise<CopyOutcome> {
  const { ctx } = req;
  const exec = targetExecutor(req);
  const [dir, src, sourceLinks] = await Promise.all([
    probeDir(exec, ctx.bin, { location: req.target }),
    withSegment(ctx, req.source, async (c) => {
      await c.query('CHECKPOINT');
      await ensureSlot(c);
      const r = await c.query(`SELECT (SELECT system_identifier FROM pg_control_system())::text AS sysid`);
      return { sysid: String(r.rows[0].sysid) };
    }),
    sourceTablespaces(ctx, req.source),
  ]);
  const label = `dbid ${req.targetDbid}`;
  if (!dir.pgVersion) {
    throw new IncrementalRecoveryFailedError(`${label}: ${req.target.hostname}:${req.target.datadir} holds no data directory to rewind; run again with -F (full) or --differential`);
  }
  if (dir.systemIdentifier && dir.systemIdentifier !== src.sysid) {
    throw new IncrementalRecoveryFailedError(`${label}: ${req.target.datadir} has system identifier ${dir.systemIdentifier}, its source ${src.sysid}; pg_rewind cannot join them, use -F (full)`);
  }
  if (dir.postmasterLive) throw new Error(`${label}: a postgres still runs in ${req.target.datadir}; it must be stopped before pg_rewind`);
  const wanted = targetTablespaces(ctx, sourceLinks, req.source.dbid, req.targetDbid);
  if (dir.standbySignal) {
    await verifyIdentity(req, []);
    return { method: 'none', attached: false, note: 'still a mirror (standby.signal present); it catches up by streaming' };
  }
  const res = await runCopyJob(jobContext(req, exec), 'pg_rewind', commandArgv(ctx.flavor.rewind({
    bin: ctx.bin, targetDir: req.target.datadir, source: req.source, user: ctx.replicationUser,
  })), async () => {
    await exec.run(['rm', '-f', `${req.target.datadir}/postmaster.pid`]);
    await prepareTablespacesForRewind(exec, req.target.datadir, wanted, req.targetDbid);
  }, { guard: req.assertWritable });
  if (res.code !== 0) {
    const failed = copyFailed(`pg_rewind of ${label}`, res.code, res.output, { run: res.run });
    throw new IncrementalRecoveryFailedError(`${failed.message}; ${ADVICE}`);
  }
  await verifyIdentity(req, wanted);
  return { method: 'pg_rewind', attached: res.attached };
}
