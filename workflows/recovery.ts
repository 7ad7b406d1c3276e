import {
  ApplicationFailure, CancellationScope, condition, executeChild, getExternalWorkflowHandle, log, ParentClosePolicy, patched, setHandler,
  sleep, startChild, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { FailureType, InvalidRequestError } from '../domain/failures';
import type { ClusterSnapshot } from '../domain/probe';
import { recoveryInputProblems } from '../domain/recoveryInput';
import {
  segmentWorkflowId, type RecoveryInput, type RecoveryPlan, type RecoveryResult, type RecoveryStatus, type SegmentPlan, type SegmentRecoveryInput,
  type SegmentStatus,
} from '../domain/recovery';
import { parseRecoverConfig, type RecoverConfigLine } from '../domain/recoverConfig';
import type { RunControls } from '../domain/liveControls';
import { activityProfiles, type ActivityProfiles } from './activityProfiles';
import { asCancelled, cancelledCause, rootMessage, runFailure } from './failures';
import { liveControls } from './liveControls';
import { PATCHES } from './patches';
import { copyEndedSignal, copySlotGrantedSignal, plannedItemsQuery, recoveryStatusQuery } from './messages';
import { largestFirst, probeRequests, selectTargets, validateTargets, type StartOrder } from '../domain/plan';
import { rebalanceWorkflow } from './rebalance';
import {
  ClusterNameKey, ContentIdsKey, contentIdsThatFit, OUTCOMES, RecoveryEtaKey, RecoveryOutcomeKey, RecoveryTypeKey, segmentSearchAttributes,
} from '../domain/searchAttributes';
import { recordFailure, releaseRunLock } from './runRecord';
import { segmentRecoveryWorkflow } from './segmentRecovery';


function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: FailureType.InvalidRequest, nonRetryable: true });
}

function runType(input: RecoveryInput, plan?: RecoveryPlan): string {
  const types = new Set(plan?.items.map((i) => i.type));
  if (types.size === 1) return [...types][0];
  if (types.size > 1) return 'mixed';
  // Nothing to recover and -r: the run is a rebalance (what an automatic run starts for pairs left out of role).
  if (plan && input.rebalance && !input.dryRun) return 'rebalance';
  return input.full ? 'full' : input.differential ? 'differential' : 'incremental';
}

/** gprecoverseg as a workflow: plan from the catalog and live probes, then one child workflow per failed segment. */
export async function recoveryWorkflow(input: RecoveryInput): Promise<RecoveryResult> {
  const problems = recoveryInputProblems(input);
  if (problems.length) throw invalid(problems.join('; '));
  const status: RecoveryStatus = { cluster: input.cluster, phase: 'planning', dryRun: !!input.dryRun, segments: [], skipped: [], warnings: [] };
  let plan: RecoveryPlan | undefined;
  setHandler(recoveryStatusQuery, () => status);
  // A child is admitted only for an item of this plan (activities/admit.ts).
  setHandler(plannedItemsQuery, () => plan?.items ?? []);
  const controls = liveControls(input, status);
  status.controls = controls;
  upsertSearchAttributes([{ key: ClusterNameKey, value: input.cluster }, { key: RecoveryTypeKey, value: runType(input) }]);
  const activities = activityProfiles(input.outageSeconds);
  const lockRequest = { cluster: input.cluster, coordinatorDataDirectory: input.coordinatorDataDirectory };
  let lockHeld = false;

  try {
    // gprecoverseg's lock for the whole run (a dry run only makes sure gprecoverseg is not at work), taken while
    // the catalog is read and the plan's read-only probes run: nothing changes before all of them are done.
    const planning = activities.catalog.readCluster({ cluster: input.cluster }).then((snapshot) => makePlan(input, snapshot, activities));
    const locking = activities.catalog.acquireRecoveryLock({ ...lockRequest, checkOnly: !!input.dryRun });
    const [locked, planned] = await Promise.allSettled([locking, planning]);
    if (locked.status === 'rejected') throw locked.reason;
    const lock = locked.value;
    lockHeld = lock.held;
    if (planned.status === 'rejected') throw planned.reason;
    plan = planned.value.plan;
    const startOrder = planned.value.startOrder;
    status.skipped = plan.skipped;
    status.warnings = [...(lock.note ? [lock.note] : []), ...plan.warnings];
    status.segments = plan.items.map((it) => segmentStatus(it));
    upsertSearchAttributes([
      { key: ContentIdsKey, value: contentIdsThatFit(plan.items.map((i) => i.content)) },
      { key: RecoveryTypeKey, value: runType(input, plan) },
    ]);
    for (const s of plan.skipped) log.warn(`dbid ${s.dbid} (content ${s.content}) skipped: ${s.reason}`);
    log.info(`plan: ${plan.items.map((i) => `dbid ${i.dbid} ${i.type}${i.moved ? ` -> ${i.target.hostname}:${i.target.datadir}` : ''}`).join(', ') || 'no segments to recover'}`);
    if (input.dryRun) {
      status.phase = 'done';
      upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: OUTCOMES.dryRun }]);
      return result(status, plan);
    }
    status.phase = 'recovering';
    let toRun = plan.items;
    if (plan.items.length) {
      const hba = await activities.host.trustRecoveryHosts({ cluster: input.cluster, items: plan.items, hostnames: input.hbaHostnames });
      if (hba.warning) status.warnings.push(hba.warning);
      for (const r of hba.refused) {
        const st = status.segments.find((s) => s.dbid === r.dbid)!;
        // Skipped meanwhile (gprecover skip during this step): the DBA's word stands, it is not a failure of the run.
        if (st.state === 'skipped') continue;
        Object.assign(st, { state: 'failed', error: r.reason });
        log.warn(`dbid ${r.dbid} failed: ${r.reason}`);
      }
      toRun = plan.items.filter((i) => !hba.refused.some((r) => r.dbid === i.dbid));
    }
    await withProgressFile(input, plan, activities, () => withEta(input.cluster, status, controls, activities, () => runSegments(input, inStartOrder(toRun, startOrder), status.segments, controls, startOrder)));
    const failed = status.segments.filter((s) => s.state === 'failed');
    if (failed.length > 0) {
      throw ApplicationFailure.create({
        type: FailureType.RecoveryFailed,
        nonRetryable: true,
        message: `${failed.length} of ${status.segments.length} segment(s) failed: ${failed.map((s) => `dbid ${s.dbid}: ${s.error}`).join('; ')}`,
        details: [result(status, plan)],
      });
    }
    if (input.rebalance) {
      status.phase = 'rebalancing';
      status.rebalance = await executeChild(rebalanceWorkflow, {
        workflowId: `${workflowInfo().workflowId}-rebalance`,
        args: [{
          cluster: input.cluster, replayLagGB: input.replayLagGB, disableReplayLag: input.disableReplayLag, requestedBy: input.requestedBy,
          syncTimeoutMinutes: input.syncTimeoutMinutes, outageSeconds: input.outageSeconds,
        }],
      });
    }
    status.phase = 'done';
    upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: OUTCOMES.succeeded }]);
    return result(status, plan);
  } catch (err) {
    if (cancelledCause(err)) {
      status.phase = 'cancelled';
      for (const s of status.segments) if (s.state === 'pending' || s.state === 'running') s.state = 'cancelled';
      await CancellationScope.nonCancellable(async () => upsertSearchAttributes([{ key: RecoveryOutcomeKey, value: OUTCOMES.cancelled }]));
      throw asCancelled(err, 'recovery cancelled');
    }
    const failure = runFailure(err);
    status.phase = 'failed';
    status.error = failure.message;
    recordFailure(failure);
    throw failure;
  } finally {
    if (lockHeld) await releaseRunLock(activities, lockRequest);
  }
}

/**
 * gprecoverseg's recovery_progress.file (for gpstate -e) beside the copies: written every second while `copies`
 * runs, removed when it is over, whatever its outcome. --no-progress and -q write none, as gprecoverseg.
 */
async function withProgressFile(input: RecoveryInput, plan: RecoveryPlan, activities: ActivityProfiles, copies: () => Promise<void>): Promise<void> {
  if (input.progressFile === false || !plan.items.length) return copies();
  const scope = new CancellationScope();
  const writer = scope.run(() => activities.watch.writeRecoveryProgress({
    cluster: input.cluster, logDirectory: input.logDirectory, copies: plan.items.map((i) => ({ dbid: i.dbid, type: i.type, target: i.target })),
  })).catch((err) => {
    if (!cancelledCause(err)) log.warn(`recovery_progress.file not kept up: ${rootMessage(err)}`);
  });
  try {
    await copies();
  } finally {
    scope.cancel();
    await writer;
  }
}

/** The first ETA once copies have had a minute to show a rate, then one every few minutes: a few events each. */
const ETA_FIRST_MS = 60_000;
const ETA_EVERY_MS = 5 * 60_000;

/**
 * The run's ETA on its visibility record while copies run: the RecoveryEta search attribute (a column the Web UI's
 * list can show) and the memo's eta, removed when the copies are over. Runs started before it existed do without.
 */
async function withEta(cluster: string, status: RecoveryStatus, controls: RunControls, activities: ActivityProfiles, copies: () => Promise<void>): Promise<void> {
  if (!status.segments.length || !patched(PATCHES.etaInVisibility)) return copies();
  let shown = false;
  const scope = new CancellationScope();
  const loop = scope.run(async () => {
    await sleep(ETA_FIRST_MS);
    for (;;) {
      // Nothing running (paused, or every copy over and the rest skipped): no rounds, no events, until one runs.
      await condition(() => status.segments.some((s) => s.state === 'running'));
      const running = status.segments.filter((s) => s.state === 'running' && !s.waitingForSlot);
      const done = status.segments.filter((s) => s.state === 'succeeded' && s.startedAt && s.endedAt);
      const eta = await activities.eta.estimateRunEta({
        cluster, hostParallelism: controls.hostParallelism, segmentParallelism: controls.segmentParallelism,
        running: running.map((s) => ({ childWorkflowId: s.childWorkflowId, startedAt: s.startedAt })),
        pending: status.segments.filter((s) => s.state === 'pending' || s.waitingForSlot).length,
        finished: { count: done.length, totalSeconds: done.reduce((a, s) => a + (Date.parse(s.endedAt!) - Date.parse(s.startedAt!)) / 1000, 0) },
      }).catch((err: unknown) => {
        if (cancelledCause(err)) throw err;
        log.warn(`ETA not estimated this round: ${rootMessage(err)}`);
        return undefined;
      });
      if (eta) {
        upsertMemo({ eta: { at: eta.at ?? null, seconds: eta.seconds ?? null, basis: eta.basis } });
        if (eta.searchAttribute && eta.at) {
          upsertSearchAttributes([{ key: RecoveryEtaKey, value: new Date(eta.at) }]);
          shown = true;
        }
      }
      await sleep(ETA_EVERY_MS);
    }
  }).catch((err: unknown) => {
    if (!cancelledCause(err)) log.warn(`ETA no longer kept up: ${rootMessage(err)}`);
  });
  try {
    await copies();
  } finally {
    scope.cancel();
    await loop;
    await CancellationScope.nonCancellable(async () => {
      if (shown) upsertSearchAttributes([{ key: RecoveryEtaKey, value: null }]);
      upsertMemo({ eta: null });
    });
  }
}

interface Planned {
  plan: RecoveryPlan;
  /** The plan's items by the size of their sources, largest first. */
  startOrder: StartOrder;
}

async function makePlan(input: RecoveryInput, snapshot: ClusterSnapshot, activities: ActivityProfiles): Promise<Planned> {
  let lines: RecoverConfigLine[] | undefined;
  try {
    lines = input.recoverConfig !== undefined ? parseRecoverConfig(input.recoverConfig) : undefined;
  } catch (err) {
    throw invalid((err as Error).message);
  }
  let items: SegmentPlan[];
  try {
    items = selectTargets(snapshot, input, lines);
  } catch (err) {
    if (err instanceof InvalidRequestError) throw invalid(err.message);
    throw err;
  }
  const sources = [...new Map(items.map((i) => [i.source.dbid, i.source])).values()];
  const probe = items.length ? await activities.host.probeTargets({ cluster: input.cluster, dirs: probeRequests(items), sources }) : { dirs: [], sources: [] };
  try {
    const plan = validateTargets(input.cluster, items, probe);
    return { plan, startOrder: largestFirst(plan.items, probe) };
  } catch (err) {
    if (err instanceof InvalidRequestError) throw invalid(err.message);
    throw err;
  }
}

function segmentStatus(it: SegmentPlan): SegmentStatus {
  const info = workflowInfo();
  return {
    dbid: it.dbid,
    content: it.content,
    type: it.type,
    target: it.target,
    moved: it.moved,
    state: 'pending',
    childWorkflowId: segmentWorkflowId(info, it.dbid),
  };
}

/**
 * The segments to run, in the order they take free slots: largest first since 0.2.0; a run started before keeps the
 * catalog's order it was started with.
 */
function inStartOrder(items: SegmentPlan[], startOrder: StartOrder): SegmentPlan[] {
  if (items.length < 2 || !patched(PATCHES.largestFirst)) return items;
  log.info(startOrder.reason);
  return startOrder.order.filter((it) => items.includes(it));
}

/**
 * Children under -B hosts at once and -b copies per host: since 0.3.0 a slot frees when its copy ends (the child
 * signals; since 0.5.0 its copy step, activities/copyEndInterceptor.ts), as gprecoverseg's -b bounds its copies, and
 * the next segment starts while that one starts and syncs. Since 0.4.0 a big full or differential segment
 * (startOrder.ahead) may start before a slot frees: its steps before the copy run while every slot is taken, at most
 * -B segments at a time, and it copies when the run grants it a slot. Free slots go in start order to a waiting
 * segment or a new one alike. The limits, a pause (no new start, no grant) and skipped segments are the run's live
 * controls, read each time a slot frees. Returns only when every child has ended, backing out included: the run
 * holds gprecoverseg's lock until then.
 */
async function runSegments(input: RecoveryInput, items: SegmentPlan[], statuses: SegmentStatus[], controls: RunControls, startOrder: Pick<StartOrder, 'ahead' | 'aheadReason'>): Promise<void> {
  // The wait below is evaluated on every workflow activation (each child's start and end), over every pending
  // segment: each test is kept O(1), or a run of 1,000 segments spends its worker's CPU here.
  const active = new Map<string, number>();
  let busyHosts = 0;
  const take = (host: string, by: 1 | -1) => {
    const before = active.get(host) ?? 0;
    const after = Math.max(0, before + by);
    active.set(host, after);
    busyHosts += Number(after > 0) - Number(before > 0);
  };
  const canStart = (it: SegmentPlan) => {
    const n = active.get(it.target.hostname) ?? 0;
    return n < controls.segmentParallelism && (n > 0 || busyHosts < controls.hostParallelism);
  };
  const byDbid = new Map(statuses.map((s) => [s.dbid, s]));
  const statusOf = (it: SegmentPlan) => byDbid.get(it.dbid)!;
  // dbid -> its slot's host, while it holds one; a copy's end (0.3.0) or the child's end gives it back, once.
  const holding = new Map<number, string>();
  const release = (dbid: number) => {
    const host = holding.get(dbid);
    if (host === undefined) return;
    holding.delete(dbid);
    take(host, -1);
  };
  // Started ahead and not yet granted a slot, in start order; declared before the copyEnded handler, which a signal
  // buffered before this point (a forged one, or one reapplied by a reset) runs as soon as it is set.
  const waiting: SegmentPlan[] = [];
  // One at a time, each once the one before it has started: a burst of them would take the worker from the segments
  // that hold a slot and have yet to reach their copy. Nor is one granted a slot before it exists to hear it.
  let startingAhead: SegmentPlan | undefined;
  const reportCopyEnd = items.length > 1 && patched(PATCHES.slotAtCopyEnd);
  if (reportCopyEnd) {
    setHandler(copyEndedSignal, ({ dbid }) => {
      // A segment still counted as waiting that says its copy is over (a worker of 0.3.0 ran its first task and copied
      // at once, or the signal is forged or stale) is granted its copy without a slot: one that copied ignores it, one
      // that did not copies at once, which is no more than a forged signal may do, rather than wait for ever.
      const w = waiting.findIndex((it) => it.dbid === dbid && it !== startingAhead);
      if (w >= 0) {
        const [it] = waiting.splice(w, 1);
        delete statusOf(it).waitingForSlot;
        grant(it);
      }
      release(dbid);
    });
  }
  const startsAhead = reportCopyEnd && items.some((it) => startOrder.ahead.has(it.dbid)) && patched(PATCHES.copySlotAhead);
  if (startsAhead) log.info(startOrder.aheadReason);
  const rank = new Map(items.map((it, i) => [it.dbid, i]));
  const skipped = (it: SegmentPlan) => statusOf(it).state === 'skipped';
  const pending = [...items];
  const nextSlot = (): SegmentPlan | undefined => {
    const w = waiting.find((it) => it !== startingAhead && canStart(it));
    const p = pending.find(canStart);
    return w && (!p || rank.get(w.dbid)! < rank.get(p.dbid)!) ? w : p;
  };
  const nextAhead = () => (startsAhead && !startingAhead && waiting.length < controls.hostParallelism
    ? pending.find((it) => startOrder.ahead.has(it.dbid)) : undefined);
  const running: Promise<void>[] = [];
  let interrupted: unknown;
  try {
    await startAll();
  } catch (err) {
    // Cancelled while waiting for a slot: the running children still back out before the run lets go of its lock.
    interrupted = err;
  }
  const ended = await Promise.allSettled(running);
  if (interrupted) throw interrupted;
  const cancelled = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (cancelled) throw cancelled.reason;

  async function startAll(): Promise<void> {
    for (;;) {
      for (let i = pending.length - 1; i >= 0; i--) if (skipped(pending[i])) pending.splice(i, 1);
      if (!pending.length && !waiting.length) return;
      // A segment waiting for its slot may end without one (its stop or catalog update failed, it was cancelled).
      await condition(() => (!pending.length && !waiting.length) || pending.some(skipped)
        || (!controls.paused && (nextSlot() !== undefined || nextAhead() !== undefined)));
      if (!pending.length && !waiting.length) return;
      if (pending.some(skipped)) continue;
      const it = nextSlot();
      if (it) {
        take(it.target.hostname, 1);
        holding.set(it.dbid, it.target.hostname);
        const w = waiting.indexOf(it);
        if (w >= 0) {
          waiting.splice(w, 1);
          const st = statusOf(it);
          delete st.waitingForSlot;
          // The ETA's clock for a segment is its copy's: the time it waited is not part of its recovery.
          st.startedAt = new Date().toISOString();
          grant(it);
          continue;
        }
        pending.splice(pending.indexOf(it), 1);
        start(it, false);
      } else {
        const ahead = nextAhead()!;
        pending.splice(pending.indexOf(ahead), 1);
        waiting.push(ahead);
        start(ahead, true);
      }
    }
  }

  function grant(it: SegmentPlan): void {
    // Not awaited: it leaves with this workflow task's commands. A child that ended meanwhile gives its slot back when
    // its end is seen; one still running that was not told waits again, with its slot given back.
    void getExternalWorkflowHandle(statusOf(it).childWorkflowId).signal(copySlotGrantedSignal)
      .catch((err) => {
        log.warn(`dbid ${it.dbid}: not told its copy slot is free: ${rootMessage(err)}`);
        const st = statusOf(it);
        if (st.state !== 'running' || waiting.includes(it)) return;
        release(it.dbid);
        st.waitingForSlot = true;
        const at = waiting.findIndex((x) => rank.get(x.dbid)! > rank.get(it.dbid)!);
        waiting.splice(at < 0 ? waiting.length : at, 0, it);
      });
  }

  function start(it: SegmentPlan, ahead: boolean): void {
    const st = statusOf(it);
    st.state = 'running';
    st.startedAt = new Date().toISOString();
    const options = {
      workflowId: st.childWorkflowId,
      // Set at its start rather than upserted by the child: an event and a visibility write less per segment.
      typedSearchAttributes: segmentSearchAttributes(input.cluster, it),
      args: [{
        cluster: input.cluster, item: it, syncTimeoutMinutes: input.syncTimeoutMinutes ?? 24 * 60, outageSeconds: input.outageSeconds, maxRate: input.maxRate,
        ...(reportCopyEnd ? { reportCopyEnd } : {}),
        ...(ahead ? { startedAhead: true } : {}),
      }] as [SegmentRecoveryInput],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    };
    if (ahead) {
      startingAhead = it;
      st.waitingForSlot = true;
    }
    const child = ahead
      ? startChild(segmentRecoveryWorkflow, options).then(
        (handle) => {
          startingAhead = undefined;
          return handle.result();
        },
        (err: unknown) => {
          startingAhead = undefined;
          throw err;
        },
      )
      : executeChild(segmentRecoveryWorkflow, options);
    running.push(
      child.then(
        (r) => {
          st.state = 'succeeded';
          if (r.evidence) st.evidence = r.evidence;
        },
        (err) => {
          if (cancelledCause(err)) {
            st.state = 'cancelled';
            throw err;
          }
          st.state = 'failed';
          st.error = rootMessage(err);
          log.warn(`dbid ${st.dbid} failed: ${st.error}`);
        },
      ).finally(() => {
        st.endedAt = new Date().toISOString();
        const w = waiting.indexOf(it);
        if (w >= 0) waiting.splice(w, 1);
        delete st.waitingForSlot;
        release(it.dbid);
      }),
    );
  }
}

function result(status: RecoveryStatus, plan: RecoveryPlan): RecoveryResult {
  return {
    ...status,
    plan,
    succeeded: status.segments.filter((s) => s.state === 'succeeded').length,
    failed: status.segments.filter((s) => s.state === 'failed').length,
  };
}
