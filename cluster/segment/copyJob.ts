import type { Executor } from '../exec/executor';
import { jobState, killJob, startJob, type JobState } from '../jobs';
import { CopyConflictError } from './errors';
import { parseProgress, type CopyProgress } from './progress';

export interface CopyJobContext {
  exec: Executor;
  jobDir: string;
  /** Identifies the run and segment that owns the job: an attempt of the same run attaches, another run is refused. */
  owner: string;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
  /** How long the host waits for the job to end per status call (the end is noticed within ~50 ms of it). */
  waitMs?: number;
}

export class CopyCancelledError extends Error {
  override name = 'CopyCancelledError';
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
  prepare: () => Promise<void>,
): Promise<{ attached: boolean; output: string; code: number }> {
  let st: JobState = await jobState(ctx.exec, ctx.jobDir);
  let attached = false;
  if (st.state === 'running') {
    if (st.owner !== ctx.owner) {
      throw new CopyConflictError(`a ${tool} started by another run (${st.owner}) is still running on ${ctx.exec.host} (job ${ctx.jobDir}); wait for it or stop it first`);
    }
    attached = true;
  } else if (st.state === 'exited' && st.code === 0 && st.owner === ctx.owner) {
    // This run's copy finished but the attempt that started it never reported back (worker crash).
    return { attached: true, output: st.output, code: 0 };
  } else {
    await prepare();
    await startJob(ctx.exec, ctx.jobDir, ctx.owner, typeof argv === 'function' ? argv() : argv);
  }
  for (let first = true; ; first = false) {
    if (ctx.signal?.aborted) {
      await killJob(ctx.exec, ctx.jobDir);
      // Temporal's own cancellation reason, so the activity ends CANCELLED rather than FAILED.
      const reason: unknown = ctx.signal.reason;
      throw reason instanceof Error ? reason : new CopyCancelledError(`${tool} on ${ctx.exec.host} cancelled`);
    }
    st = await jobState(ctx.exec, ctx.jobDir, first ? 0 : (ctx.waitMs ?? 1000));
    if (st.state === 'absent') throw new Error(`${tool} job ${ctx.jobDir} on ${ctx.exec.host} disappeared`);
    if (st.lastLine) ctx.onProgress?.(parseProgress(tool, st.lastLine));
    if (st.state === 'exited') return { attached, output: st.output, code: st.code };
    if (st.state === 'vanished') return { attached, output: st.output, code: -1 };
  }
}

