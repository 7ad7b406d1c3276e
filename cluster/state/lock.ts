import type { SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { acquireLock, lockPath, type LockState } from '../lock';

export interface LockView {
  /** The lock directory on the coordinator host. */
  path: string;
  /** The pid in its PID file; null when the file is missing or holds no number. */
  pid: number | null;
  /** No process with that pid exists on the coordinator host (or the directory has no pid): a leftover. */
  stale: boolean;
  /** The holder's command line (gprecoverseg, or the holder process of a gprecover run), when it is alive. */
  command?: string;
}

/** What a check-only look at the lock (cluster/lock.ts, as a recovery takes it) means for the view. */
export function lockViewOf(lockPath: string, look: LockState): LockView | null {
  switch (look.state) {
    case 'held':
    case 'ours':
      return { path: lockPath, pid: look.pid, stale: false, ...(look.state === 'held' && look.cmdline ? { command: look.cmdline } : {}) };
    case 'stale':
      return { path: lockPath, pid: /^\d+$/.test(look.pid) ? Number(look.pid) : null, stale: true };
    default:
      return null;
  }
}

/** Reads the lock on the coordinator host (through the cluster's executor: local, or SSH as the OS user). */
export async function readLock(ctx: ClusterContext, coordinator: SegmentRow): Promise<LockView | null> {
  const path = lockPath(coordinator.datadir);
  return lockViewOf(path, await acquireLock(ctx.host(coordinator), path, '', { checkOnly: true }));
}

export function lockLine(lock: LockView | null): string {
  if (!lock) return 'gprecoverseg lock: none';
  if (lock.pid === null) return `gprecoverseg lock: ${lock.path} exists without a pid (stale)`;
  const holder = lock.stale ? ' (stale: no such process on the coordinator host)' : lock.command ? `: ${lock.command}` : '';
  return `gprecoverseg lock: held by pid ${lock.pid}${holder} (${lock.path})`;
}
