import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import { readDownSince, withCoordinator } from '../cluster/catalog';
import { buildDecisionQuery, clusterNeedsExactCheck } from '../domain/visibilityQuery';
import type { AutomaticRuns, AutomaticRunsInput, DownSinceInput, RecoveryActivities } from '../domain/activities';
import type { AutoFacts, AutoRunMemo, AutoRunRecord, PreviousDecision } from '../domain/autoPolicy';
import { clusterWorkflowId } from '../domain/recovery';
import { AutoDecisionKey, ClusterNameKey, ContentIdsKey, RecoveryOutcomeKey, RecoveryTypeKey } from '../domain/searchAttributes';
import type { ActivityContext } from './context';

export type { AutomaticRuns } from '../domain/activities';

const PAGE = 100;

function record(info: WorkflowExecutionInfo): AutoRunRecord {
  const sa = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    startTime: info.startTime.toISOString(),
    type: sa.get(RecoveryTypeKey),
    outcome: sa.get(RecoveryOutcomeKey),
    contents: (sa.get(ContentIdsKey) ?? []).map(Number),
  };
}

export function createAutoRecoveryActivities(actx: ActivityContext) {
  return {
    /** When FTS last marked each of these segments down (gp_configuration_history); null when it does not say. */
    async downSince(input: DownSinceInput): Promise<Record<number, string | null>> {
      const ctx = await actx.cluster(input.cluster);
      return withCoordinator(ctx.cfg, (c) => readDownSince(c, input.dbids));
    },

    /**
     * From Temporal's visibility: the cluster's automatic runs that started a recovery since `since` (the daily budget
     * and the failures that escalate the type), the previous decision, and the recovery or rebalance running now.
     */
    async automaticRuns(input: AutomaticRunsInput): Promise<AutomaticRuns> {
      const client = getClient();
      const ours = (info: WorkflowExecutionInfo) => info.runId !== input.thisRunId
        && (!clusterNeedsExactCheck(input.cluster) || info.typedSearchAttributes.get(ClusterNameKey) === input.cluster);
      const started: AutoRunRecord[] = [];
      for await (const info of client.workflow.list({ query: buildDecisionQuery({ cluster: input.cluster, since: new Date(input.since), decision: 'started' }), pageSize: PAGE })) {
        if (ours(info)) started.push(record(info));
        if (started.length >= 1000) break;
      }
      started.sort((a, b) => b.startTime.localeCompare(a.startTime));
      let previous: PreviousDecision | undefined;
      for await (const info of client.workflow.list({ query: `${buildDecisionQuery({ cluster: input.cluster })} AND AutoDecision IS NOT NULL`, pageSize: 10 })) {
        if (!ours(info)) continue;
        const memo = (info.memo ?? {}) as AutoRunMemo;
        previous = { workflowId: info.workflowId, runId: info.runId, decision: info.typedSearchAttributes.get(AutoDecisionKey), key: memo.key };
        break;
      }
      let runInProgress: AutoFacts['runInProgress'];
      try {
        const desc = await client.workflow.getHandle(clusterWorkflowId(input.cluster)).describe();
        if (desc.status.name === 'RUNNING') runInProgress = { workflowId: desc.workflowId, runId: desc.runId, startTime: desc.startTime.toISOString() };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      log.info(`cluster ${input.cluster}: ${started.length} automatic run(s) started since ${input.since}${runInProgress ? `; ${runInProgress.workflowId} is running` : ''}`);
      return { started, previous, runInProgress };
    },
  } satisfies Pick<RecoveryActivities, 'downSince' | 'automaticRuns'>;
}
