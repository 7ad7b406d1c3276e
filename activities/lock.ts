import { activityInfo, getClient, log } from '@temporalio/activity';
import { acquireLock, breakLock, lockPath, releaseLock } from '../cluster/lock';
import { LockHeldError, PermanentError } from '../domain/failures';
import type { SegmentRow } from '../domain/segment';
import type { ActivityContext } from './context';

export interface LockRequest {
  cluster: string;
  /** -d; default: the catalog's coordinator. */
  coordinatorDataDirectory?: string;
  /** A dry run only looks: it refuses to plan while gprecoverseg works, and takes nothing. */
  checkOnly?: boolean;
}

export interface LockOutcome {
  /** host:path of the lock. */
  where: string;
  held: boolean;
  /** Said in the run's warnings: a stale lock was found (and removed). */
  note?: string;
}

/** The run that owns the lock, spelled without spaces (the holder's command line carries it). */
function ownerOfThisRun(): string {
  const run = activityInfo().workflowExecution;
  return run ? `${encodeURIComponent(run.workflowId)}/${run.runId}` : `standalone/${process.pid}`;
}

/** Is that gprecover run (owner `<workflowId>/<runId>`) still running? */
async function runIsOpen(owner: string): Promise<boolean> {
  const [workflowId, runId] = owner.split('/');
  try {
    const desc = await getClient().workflow.getHandle(decodeURIComponent(workflowId), runId).describe();
    return desc.status.name === 'RUNNING';
  } catch {
    return false;
  }
}

export function createLockActivities(actx: ActivityContext) {
  async function locate(cluster: string, dir?: string) {
    const ctx = await actx.cluster(cluster);
    const coordinator = (await actx.segments(ctx)).find((s) => s.content === -1 && s.role === 'p') as SegmentRow | undefined;
    if (!coordinator) throw new PermanentError(`cluster '${cluster}' has no coordinator row (content -1) in gp_segment_configuration`);
    const path = lockPath(dir ?? coordinator.datadir);
    return { exec: ctx.host(coordinator), path, where: `${coordinator.hostname}:${path}` };
  }

  return {
    /**
     * gprecoverseg's lock for the whole run (gppylib mainUtils): gprecoverseg then refuses to start while we run, and
     * we refuse while it runs. A stale lock (its PID dead, or an ended gprecover run's) is removed and said so.
     */
    async acquireRecoveryLock(input: LockRequest): Promise<LockOutcome> {
      const { exec, path, where } = await locate(input.cluster, input.coordinatorDataDirectory);
      const owner = ownerOfThisRun();
      let tookOver: string | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        const st = await acquireLock(exec, path, owner, { checkOnly: input.checkOnly, takeStale: true });
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
        if (st.state === 'held' && st.gprecoverOwner && !input.checkOnly && !(await runIsOpen(st.gprecoverOwner))) {
          // Our own run that ended without releasing it (terminated, say): its holder lives on, nothing else does.
          tookOver = `took over ${where} from gprecover run ${decodeURIComponent(st.gprecoverOwner)}, which ended without releasing it`;
          log.warn(tookOver);
          await breakLock(exec, path, st.pid);
          continue;
        }
        if (st.state === 'held') {
          const who = st.gprecoverOwner ? `gprecover run ${decodeURIComponent(st.gprecoverOwner)}` : `gprecoverseg (pid ${st.pid}${st.cmdline ? `: ${st.cmdline.slice(0, 100)}` : ''})`;
          throw new LockHeldError(
            `${who} is recovering cluster '${input.cluster}': it holds ${where}; wait for it to finish, or remove that directory if nothing runs`,
            { lockHeldBy: st.gprecoverOwner ? 'gprecover' : 'gprecoverseg', pid: st.pid, ...(st.gprecoverOwner ? { run: decodeURIComponent(st.gprecoverOwner) } : {}) },
          );
        }
      }
      throw new PermanentError(`could not take the lock ${where}: another program keeps taking it`);
    },

    /** Gives the lock back when this run holds it; a retry after the release changes nothing. */
    async releaseRecoveryLock(input: LockRequest): Promise<boolean> {
      const { exec, path, where } = await locate(input.cluster, input.coordinatorDataDirectory);
      const released = await releaseLock(exec, path, ownerOfThisRun());
      log.info(`lock ${where} ${released ? 'released' : 'not held by this run'}`);
      return released;
    },
  };
}
