import type { WipeOutcome } from '../../domain/activities';
import { PermanentError } from '../../domain/failures';
import type { SegmentPlan } from '../../domain/recovery';
import { sameHost, type SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { runChecked } from '../exec/executor';
import { assertSafeToWrite } from './guard';
import { sourceTablespaces, targetTablespaces } from './tablespaces';

export type { WipeOutcome } from '../../domain/activities';

// The directory itself stays (it may be a mount point or a symlink); only what is inside goes, and never across
// into another filesystem mounted below it.
const EMPTY = String.raw`[ -d "$1" ] || exit 0; find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +`;

/**
 * Full recovery's wipe: the write guard (the catalog places the segment there and holds it down, no postgres and no
 * other copy in it), then what the copy tool needs. Greenplum's pg_basebackup --force-overwrite copies over the
 * directory and keeps log/, so nothing is deleted; plain PostgreSQL's pg_basebackup needs it and its tablespace
 * directories empty. With `checkOnly` (a short step, which cannot heartbeat through hours of removal) the emptying is
 * left to a wipe that can.
 */
export async function wipeTarget(ctx: ClusterContext, item: SegmentPlan, segments: SegmentRow[], opts: { checkOnly?: boolean } = {}): Promise<WipeOutcome> {
  await assertSafeToWrite(ctx, item, segments);
  if (ctx.flavor.copiesOverExistingDirectory) {
    return { cleared: false, note: 'passed the safety checks; pg_basebackup --force-overwrite copies over it, keeping log/' };
  }
  if (opts.checkOnly) return { cleared: false, emptyingLeft: true, note: 'passed the safety checks; pg_basebackup needs it empty, which is done next' };
  const tablespaces = await wipeContents(ctx, item);
  return { cleared: true, note: `emptied${tablespaces ? ` with ${tablespaces} tablespace directories` : ''} for pg_basebackup` };
}

/** Empties the target and its tablespace directories (plain PostgreSQL's pg_basebackup); the caller has guarded it. */
export async function wipeContents(ctx: ClusterContext, item: SegmentPlan): Promise<number> {
  if (ctx.flavor.copiesOverExistingDirectory) return 0;
  const tablespaces = targetTablespaces(ctx, await sourceTablespaces(ctx, item.source), item.source.dbid, item.dbid);
  if (tablespaces.length && sameHost(item.source, item.target)) {
    throw new PermanentError(
      `dbid ${item.dbid}: plain PostgreSQL tools would copy its primary's tablespaces into the primary's own directories on ${item.target.hostname}; use Greenplum's tools (flavour gp7 or cloudberry)`,
    );
  }
  const exec = ctx.host(item.target);
  for (const dir of [item.target.datadir, ...tablespaces.map((t) => t.link)]) {
    await runChecked(exec, ['sh', '-c', EMPTY, 'gprecover-wipe', dir], { timeoutMs: 6 * 3_600_000 });
  }
  return tablespaces.length;
}
