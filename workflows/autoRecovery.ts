import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure, CancellationScope, log, ParentClosePolicy, startChild, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { autoInputProblems } from '../domain/autoInput';
import {
  needsApproval, withPolicyDefaults, type AutoDecision, type AutoReasonCode, type AutoRecoveryInput, type AutoRecoveryResult, type PreviousDecision,
} from '../domain/autoPolicy';
import { autoNeeds, DAY_MS, decide, recoveryInputFor } from '../domain/decide';
import { FailureType } from '../domain/failures';
import { clusterWorkflowId } from '../domain/recovery';
import { ClusterNameKey, OUTCOMES, RecoveryOutcomeKey, type Outcome } from '../domain/searchAttributes';
import { activityProfiles, checkProfiles } from './activityProfiles';
import { approvalGate } from './approvalGate';
import { gatherFacts } from './autoFacts';
import { autoNotifier } from './autoNotify';
import { keyOf, recordDecision, recordRefusedInput } from './autoRecord';
import { cancelledCause, rootFailureType, rootMessage, runFailure } from './failures';
import { recoveryWorkflow } from './recovery';

/** A check waits out a coordinator outage this long at most: the schedule's next period looks again. */
const CHECK_OUTAGE_SECONDS = 60;

const { look, notifier } = checkProfiles(CHECK_OUTAGE_SECONDS);

type Skip = Extract<AutoDecision, { action: 'skip' }>;

/**
 * One automatic check of a cluster, started by its schedule (gprecover auto enable): reads the catalog and what the
 * policy asks about, decides (domain/decide), and either records why it skips or starts the normal recovery
 * workflow under the one-run-per-cluster workflow id and waits for it, so that its end can be notified. Every
 * decision is on this run's search attributes (AutoDecision, RecoveryType, ContentIds, RecoveryOutcome) and memo
 * (reason), where `gprecover history --auto` and `gprecover auto status` read it.
 */
export async function autoRecoveryWorkflow(input: AutoRecoveryInput): Promise<AutoRecoveryResult> {
  const problems = autoInputProblems(input);
  if (problems.length) {
    const message = problems.join('; ');
    recordRefusedInput(input, message);
    throw ApplicationFailure.create({ type: FailureType.InvalidRequest, nonRetryable: true, message });
  }
  const { cluster } = input;
  const policy = withPolicyDefaults(input.policy);
  const info = workflowInfo();
  const requestedBy = typeof info.memo?.requestedBy === 'string' ? info.memo.requestedBy : `auto:${info.workflowId}`;
  upsertSearchAttributes([{ key: ClusterNameKey, value: cluster }]);
  const activities = activityProfiles(CHECK_OUTAGE_SECONDS);
  const notify = autoNotifier(notifier, policy.notify, { cluster, requestedBy, autoRun: { workflowId: info.workflowId, runId: info.runId } });
  const gate = approvalGate();

  const skipped = async (d: Skip, previous: PreviousDecision | undefined): Promise<AutoRecoveryResult> => {
    const key = keyOf(d.code, d.contents);
    recordDecision(requestedBy, 'skipped', { reason: d.reason, code: d.code, actionable: d.actionable, key }, d.contents);
    log.info(`skipped (${d.code}): ${d.reason}`);
    // A DBA hears of a condition once, not every period: again only when the reason changes.
    const notified = d.actionable && previous?.key !== key
      ? await notify('skipped', { code: d.code, reason: d.reason, actionable: true, contents: d.contents })
      : false;
    return { decision: 'skipped', code: d.code, reason: d.reason, actionable: d.actionable, notified };
  };

  /** The catalog and the facts the policy asks about, as they are now, and what the policy makes of them. */
  const lookAndDecide = async (): Promise<{ decision: AutoDecision; previous: PreviousDecision | undefined }> => {
    const now = new Date();
    let previous: PreviousDecision | undefined;
    try {
      const runs = await look.automaticRuns({ cluster, since: new Date(now.getTime() - DAY_MS).toISOString(), thisRunId: info.runId });
      previous = runs.previous;
      const snapshot = await activities.catalog.readCluster({ cluster });
      const needs = autoNeeds(snapshot, policy);
      const facts = await gatherFacts(cluster, policy, activities, look, { downSince: {}, sources: [], recentRuns: runs.started, runInProgress: runs.runInProgress }, needs);
      return { decision: decide(snapshot, policy, facts, now), previous };
    } catch (err) {
      if (cancelledCause(err)) throw err;
      const failure = runFailure(err);
      const reason = `the check failed: ${failure.message}`;
      const key = keyOf('check-failed', []);
      recordDecision(requestedBy, 'failed', { reason: reason.slice(0, 500), code: 'check-failed', actionable: true, key }, []);
      if (previous?.key !== key) await notify('skipped', { code: 'check-failed', reason, actionable: true, contents: [] });
      throw failure;
    }
  };
  let { decision, previous } = await lookAndDecide();
  if (decision.action === 'skip') return skipped(decision, previous);

  const type = decision.action === 'recover' ? decision.type : 'rebalance';
  const code: AutoReasonCode = decision.action;
  const dbids = decision.action === 'recover' ? decision.dbids : undefined;
  const workflowId = clusterWorkflowId(cluster);

  let approvedBy: string | undefined;
  if (decision.action === 'recover' && policy.approval && needsApproval(policy, decision.type)) {
    // Only a policy with an approval reaches here: runs recorded before it existed never take this path.
    const minutes = policy.approval.expiresAfterMinutes;
    const untilMs = Date.now() + minutes * 60_000;
    const until = new Date(untilMs).toISOString();
    const command = `gprecover approve ${info.workflowId}`;
    const reason = `${decision.reason}; waiting until ${until} for an approval: ${command}`;
    // Open before anyone is told: a DBA who acts on the first message (a webhook may arrive before the command hook
    // ends) is not refused, and the deadline told is the one kept.
    gate.open();
    recordDecision(requestedBy, 'awaiting-approval', { reason, code: 'awaiting-approval', actionable: true, key: keyOf('awaiting-approval', decision.contents) }, decision.contents, type);
    log.info(`waiting for an approval of the ${type} recovery (${command}, until ${until})`);
    await notify('approval-needed', { code: 'awaiting-approval', reason, actionable: true, type, contents: decision.contents, dbids, approve: { command, until } });
    const approval = await gate.wait(untilMs);
    if (!approval) {
      return skipped({
        action: 'skip', code: 'approval-expired', actionable: true, contents: decision.contents,
        reason: `no approval of the ${type} recovery of content(s) ${decision.contents.join(', ')} within ${minutes} minute(s); the next check asks again`,
      }, previous);
    }
    approvedBy = approval.by;
    // What was approved is what was shown: the cluster may have changed while the approval was awaited (another
    // segment down, quiet hours begun, a run started), so the policy decides again and anything else is not run.
    const approved = decision;
    ({ decision, previous } = await lookAndDecide());
    if (decision.action !== 'recover' || decision.type !== approved.type || decision.dbids.join(',') !== approved.dbids.join(',')) {
      const now = decision.action === 'recover' ? `a ${decision.type} recovery of dbid(s) ${decision.dbids.join(', ')}` : decision.action === 'skip' ? `${decision.code}: ${decision.reason}` : `a rebalance: ${decision.reason}`;
      return skipped({
        action: 'skip', code: 'approval-stale', actionable: true, contents: approved.contents,
        reason: `approved by ${approval.by}: the ${approved.type} recovery of dbid(s) ${approved.dbids.join(', ')}, but the cluster changed meanwhile and the policy now decides ${now}; nothing was started, the next check asks again`,
      }, previous);
    }
  }
  let child;
  try {
    child = await startChild(recoveryWorkflow, {
      workflowId,
      args: [recoveryInputFor(cluster, decision, policy, requestedBy)],
      memo: { requestedBy, command: `automatic run ${info.workflowId}` },
      // The automatic run owns its recovery: cancelling or terminating it cancels the recovery as `gprecover cancel` does.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) && (err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    // Someone started one between the look and the start: the one-run-per-cluster rule holds.
    return skipped({ action: 'skip', code: 'run-in-progress', reason: `${workflowId} started meanwhile and is at work on the cluster`, actionable: false, contents: decision.contents }, previous);
  }
  const recovery = { workflowId, runId: child.firstExecutionRunId };
  recordDecision(requestedBy, 'started', { reason: decision.reason, code, actionable: false, key: keyOf(code, decision.contents), recovery, approvedBy }, decision.contents, type);
  log.info(`started ${workflowId} run ${recovery.runId} (${type}): ${decision.reason}`);
  const common = { code, reason: decision.reason, actionable: false, type, contents: decision.contents, dbids, recovery, approvedBy };
  const toldStart = await notify('started', common);

  let outcome: Outcome = OUTCOMES.succeeded;
  let error: string | undefined;
  let cancelled: unknown;
  try {
    await child.result();
  } catch (err) {
    if (cancelledCause(err)) {
      outcome = OUTCOMES.cancelled;
      if (CancellationScope.current().consideredCancelled) cancelled = err;
    } else {
      outcome = rootFailureType(err) === FailureType.InvalidRequest ? OUTCOMES.invalid : OUTCOMES.failed;
    }
    error = rootMessage(err).slice(0, 500);
  }
  const toldEnd = await CancellationScope.nonCancellable(async () => {
    upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: outcome }]);
    if (error) upsertMemo({ error });
    return notify('ended', { ...common, outcome, error });
  });
  if (cancelled) throw cancelled;
  return { decision: 'started', code, reason: decision.reason, actionable: false, notified: toldStart || toldEnd, recovery: { ...recovery, type, outcome, ...(error ? { error } : {}) } };
}
