import type { RemovalOutcome } from '../../domain/activities';
import type { SegmentPlan } from '../../domain/recovery';
import { directoryProblem } from '../../domain/values';
import { sameHost, type SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { runChecked, type Executor } from '../exec/executor';
import { SafetyError } from './errors';
import { assertPlanAllows } from './guard';
import { probeDir } from './probeDir';
import { tablespaceLinks } from './tablespaces';

export type { RemovalOutcome } from '../../domain/activities';

/** device:inode of a path on its host, to tell one directory from another when storage is shared. */
async function identity(exec: Executor, path: string): Promise<string | undefined> {
  const res = await exec.run(['stat', '-L', '-c', '%d:%i', path], { timeoutMs: 30_000 });
  return res.code === 0 ? res.stdout.trim() : undefined;
}

/**
 * After a move has synchronized, its old data directory (and its old tablespace directories) go, as gpmovemirrors
 * removes them, with the wipe's care: never a directory the catalog still places a segment in, one a postgres or a
 * copy uses, or the very directory the segment now lives in (storage shared between hosts). A host that cannot be
 * reached keeps its directory, said so.
 */
export async function removeOldLocation(ctx: ClusterContext, item: SegmentPlan, segments: SegmentRow[]): Promise<RemovalOutcome> {
  const out: RemovalOutcome = { removed: [], kept: [] };
  assertPlanAllows('removeOld', item, segments);
  const old = item.failed;
  const badPath = directoryProblem(old.datadir);
  if (badPath) throw new SafetyError(`refusing to remove ${old.hostname}:${old.datadir}: ${badPath}`);
  const where = `${old.hostname}:${old.datadir}`;
  const exec = ctx.host(old);
  const probe = await probeDir(exec, ctx.bin, { location: old }).catch((err: Error) => ({ reachable: false, error: err.message, exists: false, postmasterLive: false, copyRunning: undefined }));
  if (!probe.reachable) return { ...out, kept: [`${where} (host not reachable: ${probe.error ?? 'unknown'})`] };
  if (!probe.exists) return out;
  const user = segments.find((s) => sameHost(s, old) && s.datadir === old.datadir);
  if (user) return { ...out, kept: [`${where} (the catalog places dbid ${user.dbid} there)`] };
  if (probe.postmasterLive || probe.copyRunning) return { ...out, kept: [`${where} (${probe.postmasterLive ? 'a postgres runs in it' : 'a copy runs into it'})`] };
  const [oldId, newId] = await Promise.all([identity(exec, old.datadir), identity(ctx.host(item.target), item.target.datadir)]);
  if (oldId && oldId === newId) return { ...out, kept: [`${where} (the same directory as the new location: shared storage)`] };

  const newTablespaces = await tablespaceLinks(ctx.host(item.target), item.target.datadir).catch(() => []);
  const newIds = new Set(await Promise.all(newTablespaces.map((t) => identity(ctx.host(item.target), t.link))));
  const oldTablespaces = await tablespaceLinks(exec, old.datadir).catch(() => []);
  for (const t of oldTablespaces) {
    if (!ctx.flavor.ownsTablespaceDirectory(t.link, item.dbid)) {
      out.kept.push(`${old.hostname}:${t.link} (not this dbid's own tablespace directory)`);
    } else if (newIds.has(await identity(exec, t.link))) {
      out.kept.push(`${old.hostname}:${t.link} (the new location uses it: shared storage)`);
    } else {
      await runChecked(exec, ['rm', '-rf', '--one-file-system', t.link], { timeoutMs: 6 * 3_600_000 });
      out.removed.push(`${old.hostname}:${t.link}`);
    }
  }
  await runChecked(exec, ['rm', '-rf', '--one-file-system', old.datadir], { timeoutMs: 6 * 3_600_000 });
  out.removed.push(where);
  return out;
}
