import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure, CancellationScope, log, ParentClosePolicy, startChild, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { autoInputProblems } from '../domain/autoInput';
import {
  withPolicyDefaults, type AutoDecision, type AutoDecisionName, type AutoFacts,
  type AutoNotification, type AutoPolicy, type AutoReasonCode, type AutoRecoveryInput, type AutoRunMemo, type PreviousDecision,
} from '../domain/autoPolicy';
import { FailureType, type LockHolder } from '../domain/failures';
import { clusterWorkflowId, type RecoveryInput } from '../domain/recovery';
import { activityProfiles, checkProfiles, type ActivityProfiles } from './activityProfiles';
import { autoNeeds, DAY_MS, decide, type AutoNeeds } from '../domain/decide';
import { cancelledCause, rootFailureType, rootMessage, runFailure } from './failures';
import { recoveryWorkflow } from './recovery';
import { AutoDecision as AutoDecisionAttr, ClusterName, ContentIds, contentIdsThatFit, OUTCOMES, RecoveryOutcome, RecoveryType, type Outcome } from '../domain/searchAttributes';

/** A check waits out a coordinator outage this long at most: the schedule's next period looks again. */
const CHECK_OUTAGE_SECONDS = 60;

const { look, notifier } = checkProfiles(CHECK_OUTAGE_SECONDS);

export interface AutoRecoveryResult {
  decision: AutoDecisionName;
  code: AutoReasonCode;
  reason: string;
  actionable: boolean;
  /** The notification hook took the summary of this decision. */
  notified: boolean;
  recovery?: { workflowId: string; runId: string; type: string; outcome: string; error?: string };
}

type Skip = Extract<AutoDecision, { action: 'skip' }>;

const keyOf = (code: string, contents: number[]) => `${code}:${contents.join(',')}`;
const withoutUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Everything the decision needs, read only when the catalog says something needs doing. */
async function gatherFacts(cluster: string, policy: AutoPolicy, activities: ActivityProfiles, base: AutoFacts, needs: AutoNeeds): Promise<AutoFacts> {
  if (!needs.down.length && !needs.rebalance.length) return base;
  const [downSince, probe, lock, lags] = await Promise.all([
    needs.down.length ? look.downSince({ cluster, dbids: needs.down.map((d) => d.dbid) }) : {},
    needs.sources.length ? activities.host.probeTargets({ cluster, dirs: [], sources: needs.sources }) : undefined,
    policy.skipWhileLocked ? lockState(cluster, activities) : undefined,
    Promise.all(needs.rebalance.map(async (c) => [c.content, await activities.catalog.replayLagBytes({ cluster, primaryDbid: c.actingPrimary })] as const)),
  ]);
  return {
    ...base,
    downSince,
    sources: (probe?.sources ?? []).map((s) => ({ dbid: s.dbid, answers: s.reachable && s.inRecovery === false, ...(s.error ? { error: s.error } : {}) })),
    ...(lock ? { lock } : {}),
    ...(lags.length ? { replayLagBytes: Object.fromEntries(lags) } : {}),
  };
}

function lockHolderOf(err: unknown): LockHolder | undefined {
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    const holder = e instanceof ApplicationFailure ? (e.details?.[0] as LockHolder | undefined) : undefined;
    if (holder?.lockHeldBy) return holder;
  }
  return undefined;
}

/** gprecoverseg's lock, only looked at: a live holder is what acquireRecoveryLock refuses as an invalid request. */
async function lockState(cluster: string, activities: ActivityProfiles): Promise<AutoFacts['lock']> {
  try {
    await activities.catalog.acquireRecoveryLock({ cluster, checkOnly: true });
    return { held: false };
  } catch (err) {
    // Held by a gprecover run: a running one is gprecover-<cluster> (a run in progress, looked at before the lock);
    // an ended one (terminated) left its holder behind, and the recovery takes such a lock over.
    if (lockHolderOf(err)?.lockHeldBy === 'gprecover') return { held: false };
    if (rootFailureType(err) === FailureType.InvalidRequest) return { held: true, by: rootMessage(err) };
    throw err;
  }
}

function recoveryInputFor(cluster: string, d: Exclude<AutoDecision, Skip>, policy: AutoPolicy, requestedBy: string): RecoveryInput {
  const type = d.action === 'recover' ? d.type : undefined;
  return {
    cluster,
    ...(type === 'full' ? { full: true } : type === 'differential' ? { differential: true } : {}),
    ...(policy.rebalance ? { rebalance: true, replayLagGB: policy.replayLagGB } : {}),
    requestedBy,
  };
}

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
    const cluster = (input as { cluster?: unknown } | undefined)?.cluster;
    if (typeof cluster === 'string' && cluster) upsertSearchAttributes([{ key: ClusterName, value: cluster }]);
    upsertSearchAttributes([{ key: AutoDecisionAttr, value: 'failed' }]);
    upsertMemo({ reason: `the input was refused: ${message}`.slice(0, 500), code: 'check-failed' });
    throw ApplicationFailure.create({ type: FailureType.InvalidRequest, nonRetryable: true, message });
  }
  const { cluster } = input;
  const policy = withPolicyDefaults(input.policy);
  const info = workflowInfo();
  const requestedBy = typeof info.memo?.requestedBy === 'string' ? info.memo.requestedBy : `auto:${info.workflowId}`;
  upsertSearchAttributes([{ key: ClusterName, value: cluster }]);
  const activities = activityProfiles(CHECK_OUTAGE_SECONDS);
  const hook = policy.notify;

  const notify = async (event: AutoNotification['event'], fields: Omit<AutoNotification, 'event' | 'cluster' | 'time' | 'requestedBy' | 'autoRun'>): Promise<boolean> => {
    if (!hook) return false;
    const summary: AutoNotification = withoutUndefined({
      event, cluster, time: new Date().toISOString(), requestedBy, autoRun: { workflowId: info.workflowId, runId: info.runId }, ...fields,
    });
    try {
      const out = await notifier.notify({ cluster, hook, summary });
      return out.delivered.length > 0;
    } catch (err) {
      log.warn(`notification of '${event}' not sent: ${rootMessage(err)}`);
      return false;
    }
  };

  const record = (decision: AutoDecisionName, memo: AutoRunMemo, contents: number[], type?: string) => {
    upsertSearchAttributes([
      { key: AutoDecisionAttr, value: decision },
      { key: ContentIds, value: contentIdsThatFit(contents) },
      ...(type ? [{ key: RecoveryType, value: type }] : []),
    ]);
    upsertMemo(withoutUndefined({ requestedBy, ...memo }));
  };

  const skipped = async (d: Skip, previous: PreviousDecision | undefined): Promise<AutoRecoveryResult> => {
    const key = keyOf(d.code, d.contents);
    record('skipped', { reason: d.reason, code: d.code, actionable: d.actionable, key }, d.contents);
    log.info(`skipped (${d.code}): ${d.reason}`);
    // A DBA hears of a condition once, not every period: again only when the reason changes.
    const notified = d.actionable && previous?.key !== key
      ? await notify('skipped', { code: d.code, reason: d.reason, actionable: true, contents: d.contents })
      : false;
    return { decision: 'skipped', code: d.code, reason: d.reason, actionable: d.actionable, notified };
  };

  const now = new Date();
  let previous: PreviousDecision | undefined;
  let decision: AutoDecision;
  try {
    const runs = await look.automaticRuns({ cluster, since: new Date(now.getTime() - DAY_MS).toISOString(), thisRunId: info.runId });
    previous = runs.previous;
    const snapshot = await activities.catalog.readCluster({ cluster });
    const needs = autoNeeds(snapshot, policy);
    const facts = await gatherFacts(cluster, policy, activities, { downSince: {}, sources: [], recentRuns: runs.started, runInProgress: runs.runInProgress }, needs);
    decision = decide(snapshot, policy, facts, now);
  } catch (err) {
    if (cancelledCause(err)) throw err;
    const failure = runFailure(err);
    const reason = `the check failed: ${failure.message}`;
    const key = keyOf('check-failed', []);
    record('failed', { reason: reason.slice(0, 500), code: 'check-failed', actionable: true, key }, []);
    if (previous?.key !== key) await notify('skipped', { code: 'check-failed', reason, actionable: true, contents: [] });
    throw failure;
  }
  if (decision.action === 'skip') return skipped(decision, previous);

  const type = decision.action === 'recover' ? decision.type : 'rebalance';
  const code: AutoReasonCode = decision.action;
  const dbids = decision.action === 'recover' ? decision.dbids : undefined;
  const workflowId = clusterWorkflowId(cluster);
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
  record('started', { reason: decision.reason, code, actionable: false, key: keyOf(code, decision.contents), recovery }, decision.contents, type);
  log.info(`started ${workflowId} run ${recovery.runId} (${type}): ${decision.reason}`);
  const common = { code, reason: decision.reason, actionable: false, type, contents: decision.contents, dbids, recovery };
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
    upsertSearchAttributes([{ key: RecoveryOutcome, value: outcome }]);
    if (error) upsertMemo({ error });
    return notify('ended', { ...common, outcome, error });
  });
  if (cancelled) throw cancelled;
  return { decision: 'started', code, reason: decision.reason, actionable: false, notified: toldStart || toldEnd, recovery: { ...recovery, type, outcome, ...(error ? { error } : {}) } };
}
