import path from 'node:path';
import type { SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';

/** gprecoverseg's lock (gppylib mainUtils): a directory under the coordinator's data directory holding a file PID. */
export const GPRECOVERSEG_LOCK_DIR = 'gprecoverseg.lock';

export interface LockState {
  /** The lock directory on the coordinator host. */
  path: string;
  /** The pid in its PID file; null when the file is missing or holds no number. */
  pid: number | null;
  /** No process with that pid exists on the coordinator host (or the directory has no pid): a leftover. */
  stale: boolean;
  /** The holder's command line (gprecoverseg, or the holder process of a gprecover run), when it is alive. */
  command?: string;
}

// $1: the lock directory. Prints nothing without a lock, else `pid <n> alive` and the holder's command line on the
// next line, `pid <n> gone`, or `nopid`.
const PROBE = String.raw`[ -d "$1" ] || exit 0
pid=$(head -c 32 "$1/PID" 2>/dev/null | tr -dc 0-9)
if [ -z "$pid" ]; then echo nopid
elif [ -d "/proc/$pid" ]; then echo "pid $pid alive"; head -c 300 "/proc/$pid/cmdline" 2>/dev/null | tr '\0\n' '  '; echo
else echo "pid $pid gone"; fi`;

export function parseLockProbe(lockPath: string, stdout: string): LockState | null {
  const [head = '', command = ''] = stdout.trim().split('\n');
  if (!head) return null;
  const m = /^pid (\d+) (alive|gone)$/.exec(head.trim());
  if (!m) return { path: lockPath, pid: null, stale: true };
  const alive = m[2] === 'alive';
  return { path: lockPath, pid: Number(m[1]), stale: !alive, ...(alive && command.trim() ? { command: command.trim() } : {}) };
}

/** Reads the lock on the coordinator host (through the cluster's executor: local, or SSH as the OS user). */
export async function readLock(ctx: ClusterContext, coordinator: SegmentRow): Promise<LockState | null> {
  const lockPath = path.posix.join(coordinator.datadir, GPRECOVERSEG_LOCK_DIR);
  const res = await ctx.host(coordinator).run(['sh', '-c', PROBE, 'gprecover-lock', lockPath], { timeoutMs: 20_000 });
  if (res.code !== 0) throw new Error(`reading ${lockPath} on ${coordinator.hostname} failed (exit ${res.code}): ${res.stderr.trim().split('\n').pop() ?? ''}`);
  return parseLockProbe(lockPath, res.stdout);
}

export function lockLine(lock: LockState | null): string {
  if (!lock) return 'gprecoverseg lock: none';
  if (lock.pid === null) return `gprecoverseg lock: ${lock.path} exists without a pid (stale)`;
  const holder = lock.stale ? ' (stale: no such process on the coordinator host)' : lock.command ? `: ${lock.command}` : '';
  return `gprecoverseg lock: held by pid ${lock.pid}${holder} (${lock.path})`;
}
