// Whose gprecoverseg.lock it is and what a run does about it: pure, so the rule and its reason live in one place.

/** What the worker knows of a lock held by a live process. */
export interface HeldLock {
  /** host:path of the lock. */
  where: string;
  pid: number;
  cmdline: string;
  /** `<workflowId>/<runId>` when the holder is a gprecover run's. */
  run?: string;
}

/** What Temporal says of the gprecover run that holds the lock: only a definite answer may free it. */
export type RunState = 'running' | 'ended' | 'unknown';

export type LockDecision =
  | { action: 'take-over'; reason: string }
  /** Only looking (a dry run, an automatic check): the lock of an ended run would be taken over by a recovery. */
  | { action: 'ignore'; reason: string }
  | { action: 'refuse'; reason: string }
  /** The run's state could not be learnt: ask again later, never take a lock that may be live. */
  | { action: 'retry'; reason: string };

export function decideHeldLock(lock: HeldLock, cluster: string, runState: RunState | undefined, checkOnly: boolean): LockDecision {
  if (!lock.run) {
    return {
      action: 'refuse',
      reason: `gprecoverseg (pid ${lock.pid}${lock.cmdline ? `: ${lock.cmdline.slice(0, 100)}` : ''}) is recovering cluster '${cluster}': it holds ${lock.where}; wait for it to finish, or remove that directory if nothing runs`,
    };
  }
  const busy = `gprecover run ${lock.run} is recovering cluster '${cluster}': it holds ${lock.where}; wait for it to finish, or remove that directory if nothing runs`;
  if (runState === 'ended') {
    return checkOnly
      ? { action: 'ignore', reason: `${lock.where} is held for gprecover run ${lock.run}, which has ended; a recovery takes it over` }
      : { action: 'take-over', reason: `took over ${lock.where} from gprecover run ${lock.run}, which ended without releasing it` };
  }
  if (runState === 'unknown') return { action: 'retry', reason: `cannot tell whether gprecover run ${lock.run}, which holds ${lock.where}, has ended` };
  return { action: 'refuse', reason: busy };
}
