import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { CopyOutcome, CopySegmentInput } from '../domain/activities';
import { segmentWorkflowId } from '../domain/recovery';
import { copyEndedSignal } from '../workflows/messages';

/** A run that does not answer within this is told by the segment's workflow instead, as before. */
const TELL_WITHIN_MS = 10_000;

/**
 * A copy step asked to (CopySegmentInput.tellRun) tells its recovery the moment its copy is over, before the step
 * completes: its -B/-b slot goes to the next segment at once. Told by the segment's workflow instead, the signal
 * would leave only with the workflow task that also runs the segment's start (a local activity: its commands wait for
 * it), so the slot stayed taken for as long as pg_ctl start -w took. Told here, the outcome says so (runTold) and
 * the workflow does not tell it again; a run that could not be told (gone, unreachable, a worker without a client) is
 * told by the workflow, as before.
 *
 * The run told is the one whose child this step runs in: the step's own workflow id must be the id that run gives
 * the segment's child (segmentWorkflowId), or no one is told. The signal can do no more than anyone who may signal
 * the run (messages.ts). A step whose completion is lost after it told the run is run again while its slot may
 * already be the next segment's: a full or incremental copy attaches to its finished job, a differential one copies
 * again, one copy more on that host for as long as it takes.
 */
export const copyEndInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const out = await next(input);
      const req = ctx.info.activityType === 'copySegment' && !ctx.info.isLocal ? (input.args[0] as CopySegmentInput | undefined) : undefined;
      if (!req?.tellRun || !out || typeof out !== 'object') return out;
      const dbid = req.item.dbid;
      const ownRun = ctx.info.workflowType === 'segmentRecoveryWorkflow' && ctx.info.workflowExecution?.workflowId === segmentWorkflowId(req.tellRun, dbid);
      if (!ownRun) {
        ctx.log.warn(`dbid ${dbid}: the copy step tells no run of its copy's end: ${req.tellRun.workflowId} is not the run of its workflow (${ctx.info.workflowType} ${ctx.info.workflowExecution?.workflowId ?? 'none'})`);
        return out;
      }
      const { workflowId, runId } = req.tellRun;
      try {
        const client = ctx.client;
        await client.withDeadline(Date.now() + TELL_WITHIN_MS, () => client.workflow.getHandle(workflowId, runId).signal(copyEndedSignal, { dbid }));
        return { ...(out as CopyOutcome), runTold: true } satisfies CopyOutcome;
      } catch (err) {
        ctx.log.warn(`dbid ${dbid}: the copy step could not tell its run the copy is over, the segment will: ${err instanceof Error ? err.message : String(err)}`);
        return out;
      }
    },
  },
});
