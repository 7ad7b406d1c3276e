import type { StopOutcome } from '../../domain/activities';
import type { Location, SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import type { Executor } from '../exec/executor';
import { commandFailure, runChecked } from '../exec/executor';
import { commandLine } from '../exec/quote';
import { commandArgv } from '../flavor';
import { SegmentStartError } from './errors';
import { POSITIVE_PID, probePostmaster } from './probeDir';
import { configureAsMirror, setAutoConf } from './recoveryConf';
import { replicationConninfo } from './sql';
import { startFailure } from './startLog';

/** gpsegstop's timeouts: a failed segment gets 120 s of fast shutdown (SEGMENT_STOP_TIMEOUT_DEFAULT), rebalance 600 s. */
export const STOP_TIMEOUT_SECONDS = { failed: 120, rebalance: 600 } as const;

/** A process of this directory's: a postmaster runs with its data directory ($real) as its working one, a recycled pid not. */
const OURS = String.raw`ours() { [ -n "$1" ] && [ -n "$real" ] && [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$real" ]; }`;

// gpsegstop (gpMgmt/sbin/gpsegstop.py SegStop.run, unix.kill_sequence, kill_9_segment_processes): the postmaster and
// its direct children are noted first; a fast pg_ctl stop; if the postmaster lives on, SIGCONT, SIGTERM (3 s),
// SIGINT (3 s), SIGQUIT (5 s), SIGABRT to it; then kill -9 of every noted process still alive. Two departures, both
// safer: a postmaster stopped by SIGSTOP (state T, a hung host) cannot answer pg_ctl, so its 120 s are not waited;
// and a noted pid is killed only while it still runs in this data directory (a pid may be recycled meanwhile).
const STOP = String.raw`
d=$1; bin=$2; timeout=$3
real=$(cd "$d" 2>/dev/null && pwd -P) || { echo notrunning; exit 0; }
pid=$(head -1 "$d/postmaster.pid" 2>/dev/null)
${POSITIVE_PID}
${OURS}
ours "$pid" || { echo notrunning; exit 0; }
kids=$(pgrep -P "$pid" 2>/dev/null)
state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
how=fast
if [ "$state" = T ]; then how=killed
elif ! "$bin/pg_ctl" stop -D "$d" -m fast -w -t "$timeout" >/dev/null 2>&1; then how=killed
fi
if ours "$pid"; then
  how=killed
  kill -s CONT "$pid" 2>/dev/null
  for step in "TERM 3" "INT 3" "QUIT 5" "ABRT 0"; do
    ours "$pid" || break
    set -- $step
    kill -s "$1" "$pid" 2>/dev/null
    i=0; while [ $i -lt "$2" ] && ours "$pid"; do sleep 1; i=$((i+1)); done
  done
fi
for p in $pid $kids; do ours "$p" && kill -s KILL "$p" 2>/dev/null; done
i=0; while ours "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
if ours "$pid"; then echo "alive $pid"; else echo "stopped $how"; fi
`;

/**
 * Stops the postgres in the directory, as gpsegstop does, if its postmaster.pid points to a live postgres running in
 * it (gprecoverseg step 4). A host that cannot be reached runs no postgres for us to stop: said, not thrown.
 */
export async function stopSegment(exec: Executor, bin: string, location: Location, timeoutSeconds: number): Promise<StopOutcome> {
  const probe = await probePostmaster(exec, location.datadir);
  if (!probe.reachable) return { wasRunning: false, unreachable: probe.error ?? 'unreachable' };
  if (!probe.postmasterLive) return { wasRunning: false };
  const res = await runChecked(exec, ['sh', '-c', STOP, 'gprecover-stop', location.datadir, bin, String(timeoutSeconds)],
    { timeoutMs: (timeoutSeconds + 60) * 1000 });
  const [word, how] = res.stdout.trim().split('\n').pop()!.split(' ');
  if (word === 'notrunning') return { wasRunning: false };
  if (word === 'alive') throw new Error(`postgres in ${location.datadir} on ${exec.host} (pid ${how}) survived gpsegstop's kill sequence and kill -9`);
  return { wasRunning: true, mode: how === 'fast' ? 'fast' : 'killed' };
}

/** The start script's exits of its own (no pg_ctl exits with them): log/ not made, the port not set, a postgres already running. */
const LOG_DIR_FAILED = 97;
const PORT_FAILED = 96;
const ALREADY_RUNNING = 95;

// The flavour's pg_ctl -w start, as gpsegrecovery runs it, with the test of readiness pg_ctl -w makes
// (wait_for_postmaster_start: a postmaster.pid written since this start whose status line says ready or standby,
// naming the postmaster this pg_ctl started), made about every 10 ms for the first 100 looks and every 100 ms after,
// where pg_ctl makes it every 100 ms from the start: a mirror is ready about 10 ms after its postmaster.pid appears,
// and pg_ctl says so up to 100 ms later. This pg_ctl's postmaster is its child (pg_ctl forks it and is alive while
// this looks), or a child's child where a wrapper runs the real pg_ctl; it must also run in this directory, as every
// probe here requires. Once ready, the script ends and pg_ctl is left to notice it on its own; a pg_ctl that ends
// first (a refusal, a postmaster that exited, its -t) ends the script with its exit code, stdout and stderr, as
// before. Before it, in the same round trip: a postgres already running in the directory (a start retried, a hung
// one stopped by SIGSTOP) is left as it is, and nothing else done; a postmaster.pid left by a killed postgres is
// removed (it names a pid the system may have given to another process since, and postgres would then refuse to
// start: "lock file already exists"); the flavour's port setting runs (gpsegrecovery's ModifyConfSetting); log/ is
// made for pg_ctl's -l, where pg_ctl's output waits too (nothing of the start needs /tmp). Arguments: the data
// directory, the port setting's command line (quoted, empty for none), then the start's command line.
const START = String.raw`
d=$1; port=$2; shift 2
${OURS}
if [ -f "$d/postmaster.pid" ]; then
  pid=$(head -1 "$d/postmaster.pid" 2>/dev/null)
  ${POSITIVE_PID}
  real=$(cd "$d" 2>/dev/null && pwd -P)
  if kill -0 "$pid" 2>/dev/null && ours "$pid"; then echo "gprecover: a postgres runs in $d (pid $pid)"; exit ${ALREADY_RUNNING}; fi
  rm -f "$d/postmaster.pid"
fi
if [ -n "$port" ]; then
  said=$(sh -c "$port" 2>&1 </dev/null); rc=$?
  [ $rc = 0 ] || { printf '%s\n' "$said" >&2; echo "gprecover: port setting exit $rc"; exit ${PORT_FAILED}; }
fi
mkdir -p "$d/log" || exit ${LOG_DIR_FAILED}
real=$(cd "$d" 2>/dev/null && pwd -P)
since=$(date +%s)
# What an earlier start killed outright (SIGKILL) left behind; this one's goes however the script ends.
rm -f "$d"/log/gprecover-start.*
out="$d/log/gprecover-start.$$"
trap 'rm -f "$out.out" "$out.err"' EXIT
trap 'exit 143' HUP INT TERM
"$@" >"$out.out" 2>"$out.err" </dev/null &
ctl=$!
running() {
  read -r st 2>/dev/null <"/proc/$ctl/stat" || return 1
  case $st in *") Z "*) return 1 ;; esac
}
# The pid's parent, or its parent's, ... up to 3 levels, is this pg_ctl (a command name with a space reads as no).
startedHere() {
  p=$1
  for _ in 1 2 3; do
    read -r _ _ _ p _ 2>/dev/null <"/proc/$p/stat" || return 1
    [ "$p" = "$ctl" ] && return 0
  done
  return 1
}
ready() {
  { read -r pid; read -r _; read -r started; read -r _; read -r _; read -r _; read -r _; read -r status; } 2>/dev/null <"$d/postmaster.pid" || return 1
  case $status in ready|standby) ;; *) return 1 ;; esac
  [ "$started" -ge $((since - 2)) ] 2>/dev/null && ours "$pid" && startedHere "$pid"
}
n=0
while running; do
  if ready; then echo "gprecover: the postmaster of $d is $status (pid $pid)"; exit 0; fi
  n=$((n + 1)); if [ $n -le 100 ]; then sleep 0.01; else sleep 0.1; fi
done
wait "$ctl"; rc=$?
cat "$out.out" 2>/dev/null; cat "$out.err" >&2 2>/dev/null; exit $rc
`;

export interface StartRequest {
  ctx: ClusterContext;
  target: Location;
  /** The acting primary it mirrors; none when the segment starts as a primary again (a rebalance undone). */
  source?: SegmentRow;
  /** The coordinator's era (GPERA): read meanwhile; a failure to read it matters only to a segment not running. */
  era: Promise<string>;
}

/**
 * gprecoverseg step 9: the segment's port, then the flavour's start, unless it already runs: one round trip, but where
 * settings are written first (plain PostgreSQL's recovery settings, the demo's listen address), which a look at the
 * directory precedes, as the start script's own.
 */
export async function startSegment(req: StartRequest): Promise<{ alreadyRunning: boolean }> {
  const { ctx, target } = req;
  const exec = ctx.host(target);
  const era = await req.era.then((value) => ({ value }), (error: unknown) => ({ error }));
  const mirrorSettings = req.source && !ctx.flavor.toolsWriteRecoverySettings ? req.source : undefined;
  if (mirrorSettings || ctx.cfg.listenOnCatalogAddress) {
    const probe = await probePostmaster(exec, target.datadir);
    if (probe.postmasterLive) return { alreadyRunning: true };
    if (mirrorSettings) {
      await configureAsMirror(exec, target.datadir, { port: target.port, primaryConninfo: replicationConninfo(ctx.cfg, mirrorSettings) });
    }
    // Hosts that share one machine (the demo) tell their instances apart by address only.
    if (ctx.cfg.listenOnCatalogAddress) await setAutoConf(exec, target.datadir, { listen_addresses: target.address });
  }
  const setPort = ctx.flavor.setPort(target.datadir, target.port);
  if ('error' in era) {
    // A segment already running needs no era: a retried start of one does not fail for the coordinator's sake.
    if ((await probePostmaster(exec, target.datadir)).postmasterLive) return { alreadyRunning: true };
    throw era.error;
  }
  const start = ctx.flavor.start({ bin: ctx.bin, datadir: target.datadir, port: target.port, era: era.value });
  const port = setPort ? commandLine(commandArgv(setPort)) : '';
  const res = await exec.run(['sh', '-c', START, 'gprecover-start', target.datadir, port, ...commandArgv(start)], { timeoutMs: 660_000 });
  if (res.code === ALREADY_RUNNING && /^gprecover: a postgres runs in /m.test(res.stdout)) return { alreadyRunning: true };
  const portExit = res.code === PORT_FAILED ? /^gprecover: port setting exit (\d+)$/m.exec(res.stdout) : null;
  if (portExit) throw commandFailure(exec.host, commandArgv(setPort!), { ...res, code: Number(portExit[1]), stdout: res.stdout.replace(portExit[0], '').trim() });
  if (res.code === LOG_DIR_FAILED) throw commandFailure(exec.host, ['mkdir', '-p', `${target.datadir}/log`], res);
  if (res.code !== 0) throw await startFailure(exec, target, res);
  return { alreadyRunning: false };
}

export { SegmentStartError };
