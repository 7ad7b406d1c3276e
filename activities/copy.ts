import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import { differentialCopy } from '../cluster/segment/differentialCopy';
import { fullCopy } from '../cluster/segment/fullCopy';
import { incrementalCopy } from '../cluster/segment/incrementalCopy';
import type { CopyOutcome, CopyRequest } from '../cluster/segment/copy';
import { formatProgress } from '../cluster/segment/progress';
import { wipeTarget } from '../cluster/segment/wipe';
import type { SegmentPlan } from '../domain/recovery';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

const COPIES = { full: fullCopy, incremental: incrementalCopy, differential: differentialCopy };

/** The run and segment a copy job belongs to: a retry of the same run attaches to it, another run is refused. */
function owner(dbid: number): string {
  const run = activityInfo().workflowExecution;
  return `${run ? `${run.workflowId}/${run.runId}` : 'standalone'}/dbid${dbid}`;
}

export function createCopyActivities(actx: ActivityContext) {
  return {
    /** pg_basebackup (full), pg_rewind (incremental) or rsync (differential), heartbeating the tool's progress. */
    async copySegment(input: { cluster: string; item: SegmentPlan; maxRate?: string }): Promise<CopyOutcome> {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      return beating(async (report) => {
        report('starting');
        const req: CopyRequest = {
          ctx,
          target: item.target,
          targetDbid: item.dbid,
          source: item.source,
          owner: owner(item.dbid),
          maxRate: input.maxRate,
          signal: cancellationSignal(),
          onProgress: (p) => report(formatProgress(p)),
          clearTarget: async () => {
            await wipeTarget(ctx, item, await actx.segments(ctx));
          },
        };
        const out = await COPIES[item.type](req);
        log.info(`dbid ${item.dbid}: ${item.type} copy from dbid ${item.source.dbid} done with ${out.method}${out.attached ? ' (attached to the running copy of an earlier attempt)' : ''}${out.note ? `: ${out.note}` : ''}`);
        return out;
      });
    },
  };
}
