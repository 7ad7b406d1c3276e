import type { Executor } from './exec/executor';
import { runChecked } from './exec/executor';

/** gprecoverseg's lock: a directory under the coordinator data directory holding PID (gppylib mainUtils PIDLockFile). */
export const LOCK_DIRECTORY = 'gprecoverseg.lock';

export const lockPath = (coordinatorDataDirectory: string) => `${coordinatorDataDirectory.replace(/\/+$/, '')}/${LOCK_DIRECTORY}`;

export type LockState =
  | { state: 'free' }
  | { state: 'acquired'; pid: number; removedStale?: string }
  /** Held already by this very owner (a retried acquire). */
  | { state: 'ours'; pid: number }
  /** Held by a live process: gprecoverseg, or another gprecover run (its holder names it). */
  | { state: 'held'; pid: number; cmdline: string; gprecoverOwner?: string }
  /** A lock whose PID does not run (or is not a number): what a killed gprecoverseg leaves. */
  | { state: 'stale'; pid: string }
  /** Someone took the lock between our look and our mkdir. */
  | { state: 'raced' };

const HOLDER_TAG = 'gprecover-lock';

// The holder is what gprecoverseg and gpstate see in PID: a process alive exactly as long as the run holds the lock
// (it ends within 5 s of the directory going away). Its command line names the owning run.
const ACQUIRE = String.raw`
L=$1; owner=$2; check=$3; take_stale=$4
alive() { case "$1" in ''|*[!0-9]*) return 1;; esac; [ -d "/proc/$1" ]; }
cmd() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }
removed=
if [ -d "$L" ]; then
  pid=$(cat "$L/PID" 2>/dev/null)
  # gprecoverseg writes PID right after its mkdir: give it that moment.
  [ -n "$pid" ] || { sleep 1; pid=$(cat "$L/PID" 2>/dev/null); }
  if alive "$pid"; then
    if cmd "$pid" | grep -qF -- "${HOLDER_TAG} $owner "; then echo "ours $pid"; exit 0; fi
    echo "held $pid"; cmd "$pid"; echo; exit 0
  fi
  if [ "$check" = 1 ] || [ "$take_stale" != 1 ]; then echo "stale $pid"; exit 0; fi
  rm -rf "$L" || exit 1
  removed=$pid
fi
[ "$check" = 1 ] && { echo free; exit 0; }
mkdir -p "$(dirname "$L")"
mkdir "$L" 2>/dev/null || { echo raced; exit 0; }
# The directory first: a holder started before it would find nothing to hold and end at once.
setsid sh -c 'while [ -d "$3" ]; do sleep 5; done' ${HOLDER_TAG} "$owner" x "$L" < /dev/null > /dev/null 2>&1 &
hp=$!
printf %s "$hp" > "$L/PID"
echo "acquired $hp $removed"
`;

const RELEASE = String.raw`
L=$1; owner=$2
pid=$(cat "$L/PID" 2>/dev/null)
case "$pid" in ''|*[!0-9]*) echo absent; exit 0;; esac
if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "${HOLDER_TAG} $owner "; then
  rm -rf "$L"; kill "$pid" 2>/dev/null; echo released
else
  echo "not ours"
fi
`;

/** A lock held by another gprecover run: the holder's command line names the run that owns it. */
function gprecoverOwnerOf(cmdline: string): string | undefined {
  const m = new RegExp(`${HOLDER_TAG} (\\S+) `).exec(cmdline);
  return m?.[1];
}

/**
 * Looks at the lock and, unless `checkOnly`, takes it: a free lock, or a stale one when `takeStale` (its owner is
 * dead). Never takes a lock a live process holds.
 */
export async function acquireLock(exec: Executor, path: string, owner: string, opts: { checkOnly?: boolean; takeStale?: boolean } = {}): Promise<LockState> {
  const res = await runChecked(exec, ['sh', '-c', ACQUIRE, 'gprecover-lock-acquire', path, owner, opts.checkOnly ? '1' : '0', opts.takeStale ? '1' : '0'], { timeoutMs: 30_000 });
  const [head, cmdline = ''] = res.stdout.split('\n');
  const [state, pid, removed] = head.trim().split(' ');
  switch (state) {
    case 'free':
      return { state };
    case 'ours':
      return { state, pid: Number(pid) };
    case 'held':
      return { state, pid: Number(pid), cmdline: cmdline.trim(), gprecoverOwner: gprecoverOwnerOf(`${cmdline.trim()} `) };
    case 'stale':
      return { state, pid: pid ?? '' };
    case 'acquired':
      return { state, pid: Number(pid), ...(removed ? { removedStale: removed } : {}) };
    default:
      return { state: 'raced' };
  }
}

/** Removes the lock if this owner holds it (and ends its holder); anything else is left alone. */
export async function releaseLock(exec: Executor, path: string, owner: string): Promise<boolean> {
  const res = await runChecked(exec, ['sh', '-c', RELEASE, 'gprecover-lock-release', path, owner], { timeoutMs: 30_000 });
  return res.stdout.trim() === 'released';
}

/** Ends the holder of another gprecover run's lock (its run is over) and removes the directory. */
export async function breakLock(exec: Executor, path: string, pid: number): Promise<void> {
  await runChecked(exec, ['sh', '-c', 'rm -rf "$1"; kill "$2" 2>/dev/null; exit 0', 'gprecover-unlock', path, String(pid)], { timeoutMs: 30_000 });
}
