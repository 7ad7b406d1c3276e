import { PermanentError } from '../../domain/failures';
import type { Executor } from '../exec/executor';
import { jobState, killJob, startJob, type JobState } from '../jobs';
import { CopyConflictError } from './errors';
import { parseProgress, type CopyProgress } from './progress';

/** A copy tool that failed is run this many times in all, however many workers the attempts ran on. */
export const MAX_TOOL_RUNS = 3;

export interface CopyJobContext {
  exec: Executor;
  jobDir: string;
  /** Identifies the run and segment that owns the job: an attempt of the same run attaches, another run is refused. */
  owner: string;
  signal?: AbortSignal;
  /**
   * Whether an abort means the copy must die: a cancelled run or one that no longer exists, yes; a worker that is
   * shutting down or lost its heartbeat, no — the next attempt attaches to the copy still running on the host.
   */
  killOnAbort?: () => boolean;
  onProgress?: (p: CopyProgress) => void;
  /** How long the host waits for the job to end per status call (the end is noticed within ~50 ms of it). */
  waitMs?: number;
}

export class CopyCancelledError extends Error {
  override name = 'CopyCancelledError';
}

export interface CopyJobOptions {
  /**
   * Start over: never attach to an earlier attempt's job, nor take its result (a differential copy's rsync belongs to
   * the backup it was started in, and that backup is gone with the attempt).
   */
  restart?: boolean;
  /**
   * The write guard (only reading: the catalog, the directory's writers). It starts while the job's state is read,
   * one round trip less before the copy starts, and is waited for before `prepare`; its word is not asked when the
   * run attaches to its own job or takes its result, which write nothing. It looks again after a job was killed, and
   * when its look is older than GUARD_FRESH_MS by the time the job would start (a slow state read).
   */
  guard?: () => Promise<void>;
}

/** How old the guard's look may be when the copy starts; older, it looks again. */
export const GUARD_FRESH_MS = 1_000;

/** How many tool runs of this owner are behind a job that is to start, and whether the last one failed. */
function runsSoFar(st: JobState, owner: string): { runs: number; lastFailed: boolean } {
  if (st.state === 'absent' || st.owner !== owner) return { runs: 0, lastFailed: false };
  const failed = st.state === 'vanished' || (st.state === 'exited' && st.code !== 0);
  return { runs: st.run, lastFailed: failed };
}

/**
 * Runs `argv` as a detached job on the target host, or attaches to the one an earlier attempt of the same run left
 * running, and polls it to its end while reporting progress. Never starts a second copy into the same directory.
 */
export async function runCopyJob(
  ctx: CopyJobContext,
  tool: CopyProgress['tool'],
  /** Built after `prepare`, which may decide part of it (the slot pg_basebackup creates). */
  argv: string[] | (() => string[]),
  /** Right before the job starts, after the guard: the preparations of the directory it writes into. */
  prepare: () => Promise<void>,
  opts: CopyJobOptions = {},
): Promise<{ attached: boolean; output: string; code: number; run: number }> {
  const guard = opts.guard;
  /** The guard's look, settled with the time it ended; a guard that throws at once rejects like one that looks. */
  const look = (): Promise<number> | undefined => {
    if (!guard) return undefined;
    const looked = Promise.resolve().then(guard).then(() => Date.now());
    looked.catch(() => undefined);
    return looked;
  };
  let guarded = look();
  let st: JobState = await jobState(ctx.exec, ctx.jobDir);
  let attached = false;
  if (st.state === 'running' && st.owner !== ctx.owner) {
    throw new CopyConflictError(`a ${tool} started by another run (${st.owner}) is still running on ${ctx.exec.host} (job ${ctx.jobDir}); wait for it or stop it first`);
  }
  if (st.state === 'running' && !opts.restart) {
    attached = true;
  } else if (st.state === 'exited' && st.code === 0 && st.owner === ctx.owner && !opts.restart) {
    // This run's copy finished but the attempt that started it never reported back (worker crash).
    return { attached: true, output: st.output, code: 0, run: st.run };
  } else {
    if (st.state === 'running') {
      await killJob(ctx.exec, ctx.jobDir);
      // The guard saw the killed job writing into the directory.
      guarded = look();
    }
    const before = runsSoFar(st, ctx.owner);
    const run = before.lastFailed ? before.runs + 1 : Math.max(1, before.runs);
    if (before.lastFailed && before.runs >= MAX_TOOL_RUNS) {
      throw new PermanentError(`${tool} on ${ctx.exec.host} failed ${before.runs} times: ${(st as { lastLine?: string }).lastLine ?? ''}`.trim());
    }
    if (guarded && Date.now() - (await guarded) > GUARD_FRESH_MS) await look();
    await prepare();
    await startJob(ctx.exec, ctx.jobDir, ctx.owner, typeof argv === 'function' ? argv() : argv, run);
  }
  for (let first = true; ; first = false) {
    if (ctx.signal?.aborted) {
      if (ctx.killOnAbort?.() ?? true) await killJob(ctx.exec, ctx.jobDir);
      // Temporal's own cancellation reason, so the activity ends CANCELLED rather than FAILED.
      const reason: unknown = ctx.signal.reason;
      throw reason instanceof Error ? reason : new CopyCancelledError(`${tool} on ${ctx.exec.host} cancelled`);
    }
    st = await jobState(ctx.exec, ctx.jobDir, first ? 0 : (ctx.waitMs ?? 1000));
    if (st.state === 'absent') throw new Error(`${tool} job ${ctx.jobDir} on ${ctx.exec.host} disappeared`);
    if (st.lastLine) ctx.onProgress?.(parseProgress(tool, st.lastLine));
    if (st.state === 'exited') return { attached, output: st.output, code: st.code, run: st.run };
    if (st.state === 'vanished') return { attached, output: st.output, code: -1, run: st.run };
  }
}
