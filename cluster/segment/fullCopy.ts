import { REPLICATION_SLOT } from '../../domain/names';
import { commandArgv } from '../flavor';
import { copyFailed, jobContext, sourceExecutor, targetExecutor, verifyIdentity, type CopyOutcome, type CopyRequest } from './copy';
import { runCopyJob } from './copyJob';
import { CopyConflictError } from './errors';
import { withSegment } from './sql';
import { tablespaceLinks, targetTablespaces } from './tablespaces';

/**
 * PgBaseBackup's slot logic: drop the source's slot so pg_basebackup can create it afresh; an active slot means a
 * mirror still streams from this primary, and nothing is dropped then.
 */
async function dropSlot(req: CopyRequest): Promise<boolean> {
  return withSegment(req.ctx, req.source, async (c) => {
    const r = await c.query(`SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1`, [REPLICATION_SLOT]);
    if (r.rowCount === 0) return true;
    if (r.rows[0].active) {
      throw new CopyConflictError(`replication slot ${REPLICATION_SLOT} on dbid ${req.source.dbid} is in use by walsender pid ${r.rows[0].active_pid}: a mirror still streams from this primary`);
    }
    await c.query('SELECT pg_drop_replication_slot($1)', [REPLICATION_SLOT]);
    return true;
  });
}

/**
 * Full recovery (gprecoverseg -F, moves, -p): pg_basebackup streams a fresh copy with its WAL, writes the target's
 * own gp_dbid and recovery settings, and lays tablespaces out under the target's dbid. Greenplum's copies over the
 * existing directory (--force-overwrite, keeping log/); plain PostgreSQL's needs it empty.
 */
export async function fullCopy(req: CopyRequest): Promise<CopyOutcome> {
  const { ctx } = req;
  const sourceLinks = await tablespaceLinks(sourceExecutor(req), req.source.datadir);
  const wanted = targetTablespaces(ctx, sourceLinks, req.source.dbid, req.targetDbid);
  let createSlot = true;
  const res = await runCopyJob(jobContext(req, targetExecutor(req)), 'pg_basebackup', () => commandArgv(ctx.flavor.fullCopy({
    bin: ctx.bin, targetDir: req.target.datadir, targetDbid: req.targetDbid, source: req.source, createSlot,
    user: ctx.replicationUser, maxRate: req.maxRate ?? ctx.cfg.copyMaxRate,
  })), async () => {
    if (!ctx.flavor.copiesOverExistingDirectory) await req.clearTarget();
    createSlot = await dropSlot(req);
  });
  if (res.code !== 0) throw copyFailed(`pg_basebackup into ${req.target.hostname}:${req.target.datadir}`, res.code, res.output);
  await verifyIdentity(req, wanted);
  return { method: 'pg_basebackup', attached: res.attached };
}
