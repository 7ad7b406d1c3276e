import { log, sleep } from '@temporalio/activity';
import type { ProgressFileInput, RecoveryActivities, WatchedCopy } from '../domain/activities';
import { directoryProblem } from '../domain/values';
import { InvalidRequestError } from '../domain/failures';
import { jobDirFor, jobTails } from '../cluster/jobs';
import { progressFileLines, removeProgressFile, writeProgressFile } from '../cluster/progressFile';
import type { SegmentRow } from '../domain/segment';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

export function createWatchActivities(actx: ActivityContext) {
  return {
    /**
     * gprecoverseg's recovery_progress.file for gpstate -e, for as long as the run's copies go: every second the last
     * progress line of each copy (one round trip per target host), written on the coordinator host; removed when the
     * workflow cancels this activity at the end of the copies, as gprecoverseg removes it.
     */
    async writeRecoveryProgress(input: ProgressFileInput): Promise<void> {
      const badDir = input.logDirectory !== undefined ? directoryProblem(input.logDirectory, 'log directory (-l)') : undefined;
      if (badDir) throw new InvalidRequestError(badDir);
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      const coordinator = segments.find((s) => s.content === -1 && s.role === 'p') as SegmentRow;
      for (const c of input.copies) {
        const wrong = directoryProblem(c.target.datadir) ?? (segments.some((s) => s.hostname === c.target.hostname) || ctx.cfg.hosts?.[c.target.hostname] ? undefined : `host '${c.target.hostname}' is not a host of cluster '${input.cluster}'`);
        if (wrong) throw new InvalidRequestError(`refusing to follow the copy of dbid ${c.dbid}: ${wrong}`);
      }
      const at = ctx.host(coordinator);
      const byHost = new Map<string, WatchedCopy[]>();
      for (const c of input.copies) byHost.set(c.target.hostname, [...(byHost.get(c.target.hostname) ?? []), c]);
      let lastProblem: string | undefined;
      try {
        // The activity's sleep throws when the workflow cancels it: the copies are over.
        for (;;) {
          await sleep(1000);
          const lines = (await Promise.all([...byHost.values()].map(async (copies) => {
            const tails = await jobTails(ctx.host(copies[0].target), copies.map((c) => jobDirFor(c.target.datadir, 'copy'))).catch(() => new Map<string, string>());
            return copies.map((c) => ({ type: c.type, dbid: c.dbid, line: tails.get(jobDirFor(c.target.datadir, 'copy')) ?? '' }));
          }))).flat();
          const content = progressFileLines(lines);
          // Said once, not every second: gpstate -e loses its view, the recovery goes on.
          const problem = await writeProgressFile(at, input.logDirectory, content).then(() => undefined, (err: Error) => err.message);
          if (problem && problem !== lastProblem) log.warn(`recovery_progress.file not written: ${problem}`);
          lastProblem = problem;
          reportProgress({ phase: `${content.split('\n').filter(Boolean).length} copies in progress` });
        }
      } finally {
        await removeProgressFile(at, input.logDirectory).catch((err: Error) => log.warn(`recovery_progress.file not removed: ${err.message}`));
      }
    },
  } satisfies Pick<RecoveryActivities, 'writeRecoveryProgress'>;
}
