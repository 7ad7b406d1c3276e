import { activityInfo, cancellationDetails, cancellationSignal, log } from '@temporalio/activity';
import type { CopyOutcome, CopySegmentInput, RecoveryActivities } from '../domain/activities';
import { differentialCopy } from '../cluster/segment/differentialCopy';
import { fullCopy } from '../cluster/segment/fullCopy';
import { assertSafeToWrite } from '../cluster/segment/guard';
import { incrementalCopy } from '../cluster/segment/incrementalCopy';
import type { CopyRequest } from '../cluster/segment/copy';
import { wipeContents } from '../cluster/segment/wipe';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

const COPIES = { full: fullCopy, incremental: incrementalCopy, differential: differentialCopy };

/** The run and segment a copy job belongs to: a retry of the same run attaches to it, another run is refused. */
function owner(dbid: number): string {
  const run = activityInfo().workflowExecution;
  return `${run ? `${run.workflowId}/${run.runId}` : 'standalone'}/dbid${dbid}`;
}

/**
 * A cancelled run's copy dies, and so does one whose run no longer exists (terminated, reset); a worker that is shut
 * down (a deploy, a systemd restart) or that lost its heartbeat leaves it running for the next attempt to attach to.
 */
function killOnAbort(): boolean {
  const why = cancellationDetails();
  return !why || why.cancelRequested || why.notFound || why.reset;
}

export function createCopyActivities(actx: ActivityContext) {
  return {
    /** pg_basebackup (full), pg_rewind (incremental) or rsync (differential), heartbeating the tool's progress. */
    async copySegment(input: CopySegmentInput): Promise<CopyOutcome> {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      reportProgress({ phase: 'copying' });
      const req: CopyRequest = {
        ctx,
        target: item.target,
        targetDbid: item.dbid,
        source: item.source,
        owner: owner(item.dbid),
        maxRate: input.maxRate,
        signal: cancellationSignal(),
        killOnAbort,
        onProgress: (p) => reportProgress({
          phase: 'copying', tool: p.tool === 'start' ? undefined : p.tool, percent: p.percent, line: p.line,
          ...(p.doneKb !== undefined ? { bytesDone: p.doneKb * 1024 } : {}), ...(p.totalKb !== undefined ? { bytesTotal: p.totalKb * 1024 } : {}),
        }),
        assertWritable: async () => {
          await assertSafeToWrite(ctx, item, actx.segments(ctx));
        },
        clearTarget: async () => {
          await wipeContents(ctx, item);
        },
      };
      const out = await COPIES[item.type](req);
      log.info(`dbid ${item.dbid}: ${item.type} copy from dbid ${item.source.dbid} done with ${out.method}${out.attached ? ' (attached to the running copy of an earlier attempt)' : ''}${out.note ? `: ${out.note}` : ''}`);
      return out;
    },
  } satisfies Pick<RecoveryActivities, 'copySegment'>;
}
