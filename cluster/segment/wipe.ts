import { PermanentError } from '../../domain/failures';
import type { SegmentPlan } from '../../domain/recovery';
import { sameHost, type SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { ExecutorUnavailableError, runChecked } from '../exec/executor';
import { probeDir } from './probeDir';
import { assertSafeToWipe } from './safety';
import { tablespaceLinks, targetTablespaces } from './tablespaces';

export interface WipeOutcome {
  cleared: boolean;
  note: string;
}

// The directory itself stays (it may be a mount point or a symlink); only what is inside goes, and never across
// into another filesystem mounted below it.
const EMPTY = String.raw`[ -d "$1" ] || exit 0; find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +`;

/**
 * Full recovery's wipe: the safety checks (never the acting primary, a live postmaster, a running copy), then what
 * the copy tool needs. Greenplum's pg_basebackup --force-overwrite copies over the directory and keeps log/, so
 * nothing is deleted; plain PostgreSQL's pg_basebackup needs the directory and its tablespace directories empty.
 */
export async function wipeTarget(ctx: ClusterContext, item: SegmentPlan, segments: SegmentRow[]): Promise<WipeOutcome> {
  const exec = ctx.host(item.target);
  const probe = await probeDir(exec, ctx.bin, { location: item.target });
  if (!probe.reachable) throw new ExecutorUnavailableError(`cannot reach ${item.target.hostname}: ${probe.error}`, item.target.hostname);
  assertSafeToWipe(item.target, segments, probe);
  if (ctx.flavor.copiesOverExistingDirectory) {
    return { cleared: false, note: 'passed the safety checks; pg_basebackup --force-overwrite copies over it, keeping log/' };
  }
  const source = await tablespaceLinks(ctx.host(item.source), item.source.datadir);
  const tablespaces = targetTablespaces(ctx, source, item.source.dbid, item.dbid);
  if (tablespaces.length && sameHost(item.source, item.target)) {
    throw new PermanentError(
      `dbid ${item.dbid}: plain PostgreSQL tools would copy its primary's tablespaces into the primary's own directories on ${item.target.hostname}; use Greenplum's tools (flavour gp7 or cloudberry)`,
    );
  }
  for (const dir of [item.target.datadir, ...tablespaces.map((t) => t.link)]) {
    await runChecked(exec, ['sh', '-c', EMPTY, 'gprecover-wipe', dir], { timeoutMs: 6 * 3_600_000 });
  }
  return { cleared: true, note: `emptied${tablespaces.length ? ` with ${tablespaces.length} tablespace directories` : ''} for pg_basebackup` };
}
