import { commandArgv } from '../flavor';
import { copyFailed, jobContext, targetExecutor, verifyIdentity, type CopyOutcome, type CopyRequest } from './copy';
import { runCopyJob } from './copyJob';
import { freeReplicationSlot } from './walsenders';
import { sourceTablespaces, targetTablespaces } from './tablespaces';

/**
 * Full recovery (gprecoverseg -F, moves, -p): pg_basebackup streams a fresh copy with its WAL, writes the target's
 * own gp_dbid and recovery settings, and lays tablespaces out under the target's dbid. Greenplum's copies over the
 * existing directory (--force-overwrite, keeping log/); plain PostgreSQL's needs it empty.
 */
export async function fullCopy(req: CopyRequest): Promise<CopyOutcome> {
  const { ctx } = req;
  // Read beside the look at an earlier attempt's job; a failed read still stops a new copy before it starts.
  const wanted = sourceTablespaces(ctx, req.source).then((ts) => targetTablespaces(ctx, ts, req.source.dbid, req.targetDbid));
  wanted.catch(() => undefined);
  let createSlot = true;
  // --force-overwrite writes over the directory: the same checks as a wipe (the guard), in this attempt, before it;
  // the guard looks once the source's tablespaces are read, so that its look is no older than the write needs.
  const res = await runCopyJob(jobContext(req, targetExecutor(req)), 'pg_basebackup', () => commandArgv(ctx.flavor.fullCopy({
    bin: ctx.bin, targetDir: req.target.datadir, targetDbid: req.targetDbid, source: req.source, createSlot,
    user: ctx.replicationUser, maxRate: req.maxRate ?? ctx.cfg.copyMaxRate,
  })), async () => {
    await wanted;
    if (!ctx.flavor.copiesOverExistingDirectory) await req.clearTarget();
    createSlot = await freeReplicationSlot(ctx, req.source);
  }, { guard: async () => { await wanted; await req.assertWritable(); } });
  if (res.code !== 0) throw copyFailed(`pg_basebackup into ${req.target.hostname}:${req.target.datadir}`, res.code, res.output, { run: res.run });
  await verifyIdentity(req, await wanted);
  return { method: 'pg_basebackup', attached: res.attached };
}
