import { activityInfo, getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AdmitPlanInput, RecoveryActivities } from '../domain/activities';
import { InvalidRequestError, UnavailableError, shortError } from '../domain/failures';
import { planRefusal } from '../domain/planGuards';
import type { SegmentPlan } from '../domain/recovery';
import { plannedItemsQuery } from '../workflows/messages';
import type { ActivityContext } from './context';
import { RunPlanCache } from './runPlanCache';

/** The workflow types that plan segments and start their children. */
export const PLANNING_WORKFLOWS = ['recoveryWorkflow', 'rebalanceWorkflow'];

const canonical = (item: SegmentPlan) => JSON.stringify(item, Object.keys(item).sort());

export function createAdmitActivities(actx: ActivityContext) {
  const plans = new RunPlanCache<SegmentPlan[]>();
  return {
    /**
     * A segment's child workflow acts only on a plan its own parent made: the parent is a running recovery or
     * rebalance on this task queue whose plan holds this very item, and the catalog still matches it. Anything else
     * (a child started by hand with a made-up item, a parent that ended) is refused before the child touches anything.
     */
    async admitSegmentPlan(input: AdmitPlanInput): Promise<void> {
      const { item, parent } = input;
      const who = `${parent.workflowId}/${parent.runId}`;
      const holds = (planned: SegmentPlan[]) => {
        const mine = planned.find((p) => p.dbid === item.dbid);
        return !!mine && canonical(mine) === canonical(item);
      };
      let admitted: boolean;
      try {
        const handle = getClient().workflow.getHandle(parent.workflowId, parent.runId);
        // Every child: the server's word that the parent runs, is a planner, and on this worker's task queue.
        const desc = await handle.describe();
        if (!PLANNING_WORKFLOWS.includes(desc.type) || desc.status.name !== 'RUNNING' || desc.taskQueue !== activityInfo().taskQueue) {
          throw new InvalidRequestError(`the parent ${who} is not a running recovery or rebalance of this worker (${desc.type}, ${desc.status.name})`);
        }
        const ask = () => handle.query(plannedItemsQuery);
        // A plan remembered without this item is asked again before the child is refused.
        admitted = holds(await plans.get(who, ask)) || holds(await plans.get(who, ask, true));
      } catch (err) {
        if (err instanceof InvalidRequestError) throw err;
        if (err instanceof WorkflowNotFoundError) throw new InvalidRequestError(`the parent ${who} does not exist`);
        throw new UnavailableError(`the parent run ${who}`, shortError(err), `cannot ask the parent run ${who} for its plan: ${(err as Error).message}`);
      }
      if (!admitted) {
        throw new InvalidRequestError(`dbid ${item.dbid}: the plan of ${who} does not hold this segment as given; a segment's recovery acts only on its parent's plan`);
      }
      const ctx = await actx.cluster(input.cluster);
      const refusal = planRefusal('before', item, await actx.segments(ctx));
      if (refusal) throw new InvalidRequestError(`dbid ${item.dbid}: ${refusal}`);
      log.info(`dbid ${item.dbid}: admitted, as planned by ${who}`);
    },
  } satisfies Pick<RecoveryActivities, 'admitSegmentPlan'>;
}
