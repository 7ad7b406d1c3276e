import { activityInfo, getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { LockOutcome, LockRequest, RecoveryActivities } from '../domain/activities';
import { InvalidRequestError, LockHeldError, PermanentError, UnavailableError } from '../domain/failures';
import { decideHeldLock, type RunState } from '../domain/lockPolicy';
import { normalizeDirectory } from '../domain/values';
import { acquireLock, breakLock, lockPath, releaseLock } from '../cluster/lock';
import type { ActivityContext } from './context';

/**
 * The run that owns the lock, spelled without spaces (the holder's command line carries it): the run itself, or for a
 * rebalance a recovery started, that recovery, which must be running on this task queue and hold the lock already.
 */
async function ownerOfThisRun(): Promise<{ owner: string; underParent: boolean }> {
  const run = activityInfo().workflowExecution;
  if (!run) return { owner: `standalone/${process.pid}`, underParent: false };
  if (activityInfo().workflowType !== 'rebalanceWorkflow') return { owner: `${encodeURIComponent(run.workflowId)}/${run.runId}`, underParent: false };
  const parent = (await getClient().workflow.getHandle(run.workflowId, run.runId).describe()).parentExecution;
  if (!parent?.workflowId || !parent.runId) return { owner: `${encodeURIComponent(run.workflowId)}/${run.runId}`, underParent: false };
  const desc = await getClient().workflow.getHandle(parent.workflowId, parent.runId).describe();
  if (desc.type !== 'recoveryWorkflow' || desc.status.name !== 'RUNNING' || desc.taskQueue !== activityInfo().taskQueue) {
    throw new InvalidRequestError(`a rebalance started by ${parent.workflowId} (${desc.type}, ${desc.status.name}) runs only under a recovery of this worker that holds the lock`);
  }
  return { owner: `${encodeURIComponent(parent.workflowId)}/${parent.runId}`, underParent: true };
}

/** Has that gprecover run (owner `<workflowId>/<runId>`) ended? Only a definite answer counts. */
async function runState(owner: string): Promise<RunState> {
  const [workflowId, runId] = owner.split('/');
  try {
    const desc = await getClient().workflow.getHandle(decodeURIComponent(workflowId), runId).describe();
    return desc.status.name === 'RUNNING' ? 'running' : 'ended';
  } catch (err) {
    // Past retention it is gone from history: it has ended. Any other failure says nothing.
    return err instanceof WorkflowNotFoundError ? 'ended' : 'unknown';
  }
}

export function createLockActivities(actx: ActivityContext) {
  /** gprecoverseg's lock lives under the catalog's coordinator data directory, whatever -d says: one lock per cluster. */
  async function locate(input: LockRequest) {
    const ctx = await actx.cluster(input.cluster);
    const coordinator = (await actx.segments(ctx)).find((s) => s.content === -1 && s.role === 'p');
    if (!coordinator) throw new PermanentError(`cluster '${input.cluster}' has no coordinator row (content -1) in gp_segment_configuration`);
    const given = input.coordinatorDataDirectory;
    if (given !== undefined && normalizeDirectory(given) !== coordinator.datadir) {
      throw new InvalidRequestError(`-d ${given} is not the coordinator data directory of cluster '${input.cluster}' (the catalog has ${coordinator.hostname}:${coordinator.datadir})`);
    }
    const path = lockPath(coordinator.datadir);
    return { exec: ctx.host(coordinator), path, where: `${coordinator.hostname}:${path}` };
  }

  return {
    /**
     * gprecoverseg's lock for the whole run (gppylib mainUtils): gprecoverseg then refuses to start while we run, and
     * we refuse while it runs. A stale lock (its PID dead) is removed, and an ended gprecover run's taken over, said so.
     */
    async acquireRecoveryLock(input: LockRequest): Promise<LockOutcome> {
      const { exec, path, where } = await locate(input);
      const { owner, underParent } = await ownerOfThisRun();
      let tookOver: string | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        // Under its recovery, a rebalance only looks: the lock must be the recovery's already.
        const st = await acquireLock(exec, path, owner, { checkOnly: input.checkOnly || underParent, takeStale: !underParent });
        if (underParent && st.state !== 'ours') throw new InvalidRequestError(`the recovery that started this rebalance does not hold ${where}`);
        if (st.state === 'free') return { where, held: false };
        if (st.state === 'ours') return { where, held: true };
        if (st.state === 'stale' && input.checkOnly) {
          return { where, held: false, note: `${where} is a stale gprecoverseg lock (pid ${st.pid || 'none'} is not running); a recovery will remove it` };
        }
        if (st.state === 'acquired') {
          const note = tookOver
            ?? (st.removedStale !== undefined ? `removed a stale gprecoverseg lock at ${where} (pid ${st.removedStale || 'none'} was not running)` : undefined);
          log.info(`lock ${where} taken (holder pid ${st.pid})${note ? `; ${note}` : ''}`);
          return { where, held: true, ...(note ? { note } : {}) };
        }
        if (st.state === 'held') {
          const run = st.gprecoverOwner ? decodeURIComponent(st.gprecoverOwner) : undefined;
          const decision = decideHeldLock({ where, pid: st.pid, cmdline: st.cmdline, run }, input.cluster,
            st.gprecoverOwner ? await runState(st.gprecoverOwner) : undefined, !!input.checkOnly);
          log.info(`lock ${where}: ${decision.action}: ${decision.reason}`);
          if (decision.action === 'ignore') return { where, held: false, note: decision.reason };
          if (decision.action === 'retry') throw new UnavailableError(`the state of gprecover run ${run}`, 'unknown', decision.reason);
          if (decision.action === 'refuse') {
            throw new LockHeldError(decision.reason, { lockHeldBy: run ? 'gprecover' : 'gprecoverseg', pid: st.pid, ...(run ? { run } : {}) });
          }
          tookOver = decision.reason;
          await breakLock(exec, path, st.pid);
        }
      }
      throw new PermanentError(`could not take the lock ${where}: another program keeps taking it`);
    },

    /** Gives the lock back when this run holds it; a retry after the release changes nothing. */
    async releaseRecoveryLock(input: LockRequest): Promise<boolean> {
      const { exec, path, where } = await locate(input);
      const { owner, underParent } = await ownerOfThisRun();
      // Under its recovery, the lock is the recovery's to give back.
      if (underParent) return false;
      const released = await releaseLock(exec, path, owner);
      log.info(`lock ${where} ${released ? 'released' : 'not held by this run'}`);
      return released;
    },
  } satisfies Pick<RecoveryActivities, 'acquireRecoveryLock' | 'releaseRecoveryLock'>;
}
