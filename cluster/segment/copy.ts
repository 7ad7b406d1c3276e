import { PermanentError } from '../../domain/failures';
import type { Location, SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';
import { permanentReason } from '../exec/toolFailure';
import { jobDirFor } from '../jobs';
import { MAX_TOOL_RUNS, type CopyJobContext } from './copyJob';
import type { CopyProgress } from './progress';
import { tablespaceLinks, type TablespaceLink } from './tablespaces';

export type { CopyOutcome } from '../../domain/activities';

export interface CopyRequest {
  ctx: ClusterContext;
  /** Where the segment is rebuilt. */
  target: Location;
  targetDbid: number;
  /** The acting primary of the content. */
  source: SegmentRow;
  /** Identifies the run and segment that own the copy job. */
  owner: string;
  /** --max-rate of the run (full copies); else the cluster's copyMaxRate. */
  maxRate?: string;
  signal?: AbortSignal;
  /** Whether an abort means the copy must die (a cancelled run), or may run on for the next attempt (a worker stopping). */
  killOnAbort?: () => boolean;
  onProgress?: (p: CopyProgress) => void;
  /**
   * Before each write into the target, in the same attempt (a copy job's guard, see runCopyJob): the catalog places
   * the segment there and holds it down, no postgres runs there and no other copy writes there (cluster/segment/guard.ts).
   */
  assertWritable: () => Promise<void>;
  /** Empties the target, after assertWritable (for tools that need an empty directory). */
  clearTarget: () => Promise<void>;
}

export function jobContext(req: CopyRequest, exec: Executor): CopyJobContext {
  return { exec, jobDir: jobDirFor(req.target.datadir, 'copy'), owner: req.owner, signal: req.signal, killOnAbort: req.killOnAbort, onProgress: req.onProgress };
}

export function targetExecutor(req: CopyRequest): Executor {
  return req.ctx.host(req.target);
}

/** The tail of a tool's output without its progress lines: what went wrong, in three lines at most. */
export function outputTail(output: string, lines = 3): string {
  return output.split('\n').map((l) => l.trim()).filter((l) => l && !/^\d+\/\d+ kB/.test(l) && !/^[\d,]+\s+\d+%/.test(l)).slice(-lines).join(' | ');
}

/**
 * A failed copy tool: permanent when its output says no retry can help (permission denied, disk full, …) or when it
 * has failed MAX_TOOL_RUNS times for this segment; else the next attempt runs it again.
 */
export function copyFailed(what: string, code: number, output: string, opts: { run?: number; unexplained?: string } = {}): Error {
  const run = opts.run ?? 1;
  // The line nothing accounts for is named apart: the tail leaves out lines that start like progress, and it may.
  const apart = opts.unexplained ? ` (not accounted for: ${opts.unexplained.slice(0, 300)})` : '';
  const message = `${what} failed (exit ${code}): ${outputTail(output)}${apart}`;
  const reason = permanentReason(output, code);
  if (reason) return new PermanentError(`${message} (${reason}; retrying cannot fix this)`);
  if (run >= MAX_TOOL_RUNS) return new PermanentError(`${message} (failed ${run} times)`);
  return new Error(message);
}

/** `gp_dbid=N` of a data directory, or undefined without the file. */
export async function identityOf(exec: Executor, datadir: string, file: string): Promise<number | undefined> {
  const res = await exec.run(['cat', `${datadir}/${file}`], { timeoutMs: 30_000 });
  if (res.code !== 0) return undefined;
  const m = /^\s*gp_dbid\s*=\s*(\d+)/m.exec(res.stdout);
  return m ? Number(m[1]) : undefined;
}

/**
 * After every copy: the segment carries its own dbid and its tablespaces link to its own directories. A mirror with
 * its primary's gp_dbid, or linked into another dbid's tablespace directory, looks fine until it is promoted.
 */
export async function verifyIdentity(req: CopyRequest, expectedTablespaces: TablespaceLink[]): Promise<void> {
  const exec = targetExecutor(req);
  const { identityFile } = req.ctx.flavor;
  const where = `${req.target.hostname}:${req.target.datadir}`;
  // Both read-only, so they share one round trip's time; the dbid is judged first.
  const linksRead = tablespaceLinks(exec, req.target.datadir);
  linksRead.catch(() => undefined);
  const dbid = identityFile ? await identityOf(exec, req.target.datadir, identityFile) : undefined;
  if (identityFile && dbid !== req.targetDbid) {
    throw new PermanentError(`${where} carries gp_dbid=${dbid ?? 'nothing'} in ${identityFile} after the copy, not its own dbid ${req.targetDbid}`);
  }
  const links = new Map((await linksRead).map((t) => [t.oid, t.link.replace(/\/+$/, '')]));
  for (const t of expectedTablespaces) {
    if (links.get(t.oid) !== t.link) {
      throw new PermanentError(`${where}: tablespace ${t.oid} links to ${links.get(t.oid) ?? 'nothing'} after the copy, not to ${t.link}`);
    }
  }
}

/** Writes `content` to `file` on the host through a temporary file, so a crash never leaves half a file. */
export async function writeFileOn(exec: Executor, file: string, content: string): Promise<void> {
  await runChecked(exec, ['sh', '-c', 'cat > "$1.tmp" && mv "$1.tmp" "$1"', 'gprecover-write', file], { input: content });
}
