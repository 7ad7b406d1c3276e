import { setTimeout as sleep } from 'node:timers/promises';
import type { Executor } from './exec/executor';
import { runChecked } from './exec/executor';

/**
 * Long commands (pg_basebackup, pg_rewind, rsync) run as detached jobs on the segment host: a job outlives a crashed
 * worker, so the next attempt can attach to it instead of starting a second copy into the same directory
 * (gpdb #13620, cloudberry #1654). A job directory holds pid, owner, out (progress) and rc once it has ended.
 */
export type JobState =
  | { state: 'absent' }
  | { state: 'running'; pid: number; owner: string; run: number; lastLine: string }
  | { state: 'exited'; code: number; owner: string; run: number; lastLine: string; output: string }
  /** Killed before it could write its exit code (host reboot, kill -9). */
  | { state: 'vanished'; owner: string; run: number; lastLine: string; output: string };

const START = String.raw`
d=$1; owner=$2; run=$3; shift 3
rm -rf "$d" && mkdir -p "$d" || exit 1
printf '%s\n' "$owner" > "$d/owner"
printf '%s\n' "$run" > "$d/run"
setsid sh -c 'd=$1; shift; if command -v flock > /dev/null 2>&1; then command exec 9> "$d/lock.tmp" && flock -n 9 && mv "$d/lock.tmp" "$d/lock"; fi; echo $$ > "$d/pid.tmp"; mv "$d/pid.tmp" "$d/pid"; "$@" > "$d/out" 2>&1 < /dev/null 9>&-; echo $? > "$d/rc.tmp"; mv "$d/rc.tmp" "$d/rc"' job "$d" "$@" > /dev/null 2>&1 < /dev/null &
i=0
while [ ! -f "$d/pid" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
cat "$d/pid"
`;

// With a wait budget ($2, in 50 ms ticks) the host waits for a running job to end before answering, at the cost of
// one command per second. A job holds an flock on $d/lock from before it publishes its pid until it exits (the file
// appears only once locked), so a waiter wakes the moment the job's process ends, even killed; without flock(1), for
// a job started before the lock was, or when flock refuses, it looks every 50 ms. The lock is opened read-only and
// never created (flock FILE would create one inside a directory being removed), and read in the C locale (flock
// parses -w with strtod: "1,00" under a decimal-comma locale is refused). The job writes rc before it exits, and an
// exited job may linger as a zombie (kill -0 still succeeds) where nothing reaps orphans promptly: a zombie holds no
// lock.
const STATE = String.raw`
d=$1; ticks=$2; [ -n "$ticks" ] || ticks=0
[ -d "$d" ] || { echo absent; exit 0; }
i=0
if [ $ticks -gt 0 ] && [ -f "$d/pid" ] && pid=$(cat "$d/pid"); then
  if [ ! -f "$d/rc" ] && [ -f "$d/lock" ] && command -v flock > /dev/null 2>&1; then
    { LC_ALL=C flock -s -w "$(printf '%d.%02d' $((ticks / 20)) $(( (ticks % 20) * 5 )))" 9; } 2>/dev/null 9< "$d/lock"
    # 0: the job ended; 1: the budget ran out; anything else: flock could not wait, so the loop below does.
    [ $? -le 1 ] && ticks=0
  fi
  while [ $i -lt $ticks ] && [ ! -f "$d/rc" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; i=$((i+1)); done
fi
# Liveness before the exit code: a job that ends between the two checks then reads as exited, never as vanished.
if [ -f "$d/pid" ] && pid=$(cat "$d/pid") && [ -r "/proc/$pid/cmdline" ] && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "$d"; then echo "running $pid"
elif [ -f "$d/rc" ]; then echo "exited $(cat "$d/rc")"
elif [ -f "$d/pid" ]; then echo vanished
else echo absent; exit 0
fi
cat "$d/owner" 2>/dev/null || echo
cat "$d/run" 2>/dev/null || echo 1
echo ---
tail -c 16384 "$d/out" 2>/dev/null | tr '\r' '\n'
`;

// `kill -s SIG -- -PGID`: dash (sh on Debian) rejects `kill -TERM -- -PGID`, and a job must die whatever sh is.
const KILL = String.raw`
d=$1
[ -f "$d/pid" ] || exit 0
pid=$(cat "$d/pid")
# A zombie (ended, not yet reaped) has an empty cmdline: only a job still running matches.
running() { [ -r "/proc/$pid/cmdline" ] && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "$d"; }
running || exit 0
kill -s TERM -- "-$pid" 2>/dev/null
i=0
while running && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
kill -s KILL -- "-$pid" 2>/dev/null
exit 0
`;

/** Starts `argv` as the job, the `run`-th tool run of its owner (a failed run is counted, not forgotten). */
export async function startJob(exec: Executor, jobDir: string, owner: string, argv: string[], run = 1): Promise<number> {
  const res = await runChecked(exec, ['sh', '-c', START, 'gprecover-job', jobDir, owner, String(run), ...argv], { timeoutMs: 30_000 });
  return Number(res.stdout.trim());
}

/** Status waits holding one of an executor's channels now. */
const waitsHeld = new WeakMap<Executor, number>();

/**
 * How many status waits may hold a channel of the executor at once: half of its channels, so that the commands of
 * every other step (a start, a stop, a probe) always find one free. Each copy polls its job with a wait of a second:
 * with as many copies on a host as it has channels (gprecoverseg's -B 16 against sshd's MaxSessions of 10), every
 * other command to that host waited behind them.
 */
export function waitShare(exec: Executor): number {
  return exec.maxConcurrency === undefined ? Infinity : Math.floor(exec.maxConcurrency / 2);
}

/**
 * The job's state; with `waitMs`, the host first waits that long for a running job to end (its end is then known the
 * moment it comes). When the executor's share of channels for waits is taken, the wait is here, holding none, and the
 * state is read after it: that job's end is known up to `waitMs` later.
 */
export async function jobState(exec: Executor, jobDir: string, waitMs = 0): Promise<JobState> {
  if (waitMs <= 0) return readJobState(exec, jobDir, 0);
  const held = waitsHeld.get(exec) ?? 0;
  if (held >= waitShare(exec)) {
    await sleep(waitMs);
    return readJobState(exec, jobDir, 0);
  }
  waitsHeld.set(exec, held + 1);
  try {
    return await readJobState(exec, jobDir, waitMs);
  } finally {
    waitsHeld.set(exec, (waitsHeld.get(exec) ?? 1) - 1);
  }
}

async function readJobState(exec: Executor, jobDir: string, waitMs: number): Promise<JobState> {
  const ticks = String(Math.max(0, Math.round(waitMs / 50)));
  const res = await runChecked(exec, ['sh', '-c', STATE, 'gprecover-job', jobDir, ticks], { timeoutMs: 30_000 + waitMs });
  const [head, owner = '', runText = '1', ...rest] = res.stdout.split('\n');
  const sep = rest.indexOf('---');
  const output = rest.slice(sep + 1).join('\n').trim();
  const lastLine = output.split('\n').filter(Boolean).pop() ?? '';
  const [state, value] = head.split(' ');
  const run = Number(runText) || 1;
  if (state === 'running') return { state, pid: Number(value), owner, run, lastLine };
  if (state === 'exited') return { state, code: Number(value), owner, run, lastLine, output };
  if (state === 'vanished') return { state, owner, run, lastLine, output };
  return { state: 'absent' };
}

// A job's whole output but the lines that match an ERE (an rsync's progress), up to a byte budget: the tail the
// state shows keeps the last 16 KiB, and hours of progress lines push an early error out of it.
const LINES = String.raw`
d=$1; drop=$2; max=$3
[ -f "$d/out" ] || exit 0
tr '\r' '\n' < "$d/out" | LC_ALL=C grep -avE -- "$drop" | head -c "$max"
`;

/** The job's output lines that do not match `drop` (ERE); `complete` false if the budget cut them. */
export async function jobOutputLines(exec: Executor, jobDir: string, drop: string, maxBytes = 65_536): Promise<{ lines: string; complete: boolean }> {
  const res = await runChecked(exec, ['sh', '-c', LINES, 'gprecover-job-lines', jobDir, drop, String(maxBytes)], { timeoutMs: 600_000 });
  return { lines: res.stdout, complete: Buffer.byteLength(res.stdout) < maxBytes };
}

export async function killJob(exec: Executor, jobDir: string): Promise<void> {
  await runChecked(exec, ['sh', '-c', KILL, 'gprecover-job', jobDir], { timeoutMs: 30_000 });
}

export async function removeJob(exec: Executor, jobDir: string): Promise<void> {
  await runChecked(exec, ['rm', '-rf', jobDir], { timeoutMs: 30_000 });
}

// The last non-empty line of each job's output (rsync and pg_basebackup end progress lines with \r), one
// '<dir>\t<line>' per job, in one round trip to the host.
const TAILS = String.raw`
for d in "$@"; do
  [ -f "$d/out" ] || continue
  line=$(tail -c 4096 "$d/out" 2>/dev/null | tr '\r' '\n' | grep -v '^[[:space:]]*$' | tail -n 1)
  printf '%s\t%s\n' "$d" "$line"
done
`;

/** The latest output line of each job that has output (a copy's progress), by job directory. */
export async function jobTails(exec: Executor, jobDirs: string[]): Promise<Map<string, string>> {
  const res = await runChecked(exec, ['sh', '-c', TAILS, 'gprecover-tails', ...jobDirs], { timeoutMs: 30_000 });
  const out = new Map<string, string>();
  for (const line of res.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}

/** Where a segment's jobs live on its host: beside the data directory, so they share its disk and owner. */
export function jobDirFor(datadir: string, kind: string): string {
  const slash = datadir.lastIndexOf('/');
  const parent = slash > 0 ? datadir.slice(0, slash) : '/';
  const base = datadir.slice(slash + 1);
  return `${parent}/.gprecover/${base}.${kind}`;
}
