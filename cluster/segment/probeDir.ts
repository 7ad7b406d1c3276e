import { InvalidRequestError } from '../../domain/failures';
import type { Executor } from '../exec/executor';
import type { DirProbe, DirProbeRequest } from '../../domain/probe';

/** The pid postmaster.pid names, and whether a postgres of that pid runs in the directory. */
const POSTMASTER = String.raw`
if [ -f "$d/postmaster.pid" ]; then
  pid=$(head -1 "$d/postmaster.pid"); echo "pid=$pid"
  # A postmaster runs with its data directory as working directory; a recycled pid does not.
  if kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$d" 2>/dev/null && pwd -P)" ]; then echo live=1; fi
fi`;

/** A copy tool (pg_basebackup, pg_rewind, rsync) whose command line names the directory. */
const COPY = String.raw`
ps -eo args= 2>/dev/null | grep -E '^([^ ]*/)?(pg_basebackup|pg_rewind|rsync) ' | grep -F -- "$d" | head -1 | sed 's/^/copy=/'`;

const PROBE = String.raw`
d=$1; bin=$2; addr=$3; port=$4; space=$5; rsync=$6
[ -x "$bin/pg_ctl" ] && [ -x "$bin/pg_controldata" ] || echo nobin=1
if [ -d "$d" ]; then echo exists=1; [ -z "$(ls -A "$d" 2>/dev/null)" ] && echo empty=1 || echo empty=0; else echo exists=0; echo empty=1; fi
[ -f "$d/PG_VERSION" ] && echo "pg_version=$(cat "$d/PG_VERSION")"
[ -f "$d/standby.signal" ] && echo standby=1
${POSTMASTER}
if [ -f "$d/global/pg_control" ]; then
  LC_ALL=C "$bin/pg_controldata" "$d" 2>/dev/null | sed -n \
    -e 's/^Database system identifier: *\(.*\)$/sysid=\1/p' \
    -e "s/^Latest checkpoint's TimeLineID: *\(.*\)$/timeline=\1/p" \
    -e 's/^Database cluster state: *\(.*\)$/state=\1/p' \
    -e 's/^Data page checksum version: *\(.*\)$/checksum=\1/p'
fi
${COPY}
if [ "$space" = 1 ]; then
  a=$d; while [ ! -e "$a" ] && [ "$a" != / ]; do a=$(dirname "$a"); done
  echo "ancestor=$a"
  [ -d "$a" ] && [ -w "$a" ] && [ -x "$a" ] && echo writable=1
  df -Pk "$a" 2>/dev/null | awk 'NR == 2 { print "free_kb=" $4 }'
fi
if [ "$rsync" = 1 ]; then
  echo "rsync_version=$(rsync --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)"
fi
if [ -n "$port" ]; then
  # The address may be a name (the catalog's usual), resolved here, on the host, to every address it stands for.
  case "$addr" in *[!0-9.]*) ips=$(getent ahostsv4 "$addr" | awk '{ print $1 }' | sort -u) ;; *) ips=$addr ;; esac
  hp=$(printf '%04X' "$port")
  pats="00000000:$hp 00000000000000000000000000000000:$hp"
  for ip in $ips; do set -- $(echo "$ip" | tr . ' '); pats="$pats $(printf '%02X%02X%02X%02X' "$4" "$3" "$2" "$1"):$hp"; done
  for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && awk -v want="$pats" '$4 == "0A" { n = split(want, w, " "); for (i = 1; i <= n; i++) if ($2 == w[i]) { print "port_in_use=1"; exit } }' "$f"; done
fi
`;

/** The probe's `key=value` lines, or why the host did not answer. */
async function runProbe(exec: Executor, argv: string[]): Promise<{ kv: Map<string, string> } | { error: string | undefined }> {
  let out: string;
  try {
    const res = await exec.run(argv, { timeoutMs: 30_000 });
    if (res.code !== 0) return { error: (res.stderr || res.stdout).trim().split('\n').pop() };
    out = res.stdout;
  } catch (err) {
    // A refused host key or login is not an unreachable host: it fails the probe, for the DBA to fix.
    if (err instanceof InvalidRequestError) throw err;
    return { error: (err as Error).message };
  }
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return { kv };
}

/** Everything about a data directory that one round trip to its host can tell. */
export async function probeDir(exec: Executor, pgBin: string, req: DirProbeRequest): Promise<DirProbe> {
  const { location } = req;
  const base: DirProbe = { location, reachable: false, exists: false, empty: true, postmasterLive: false, standbySignal: false };
  const probed = await runProbe(exec,
    ['sh', '-c', PROBE, 'gprecover-probe', location.datadir, pgBin, location.address, req.checkPort ? String(location.port) : '', req.checkSpace ? '1' : '', req.checkRsync ? '1' : '']);
  if (!('kv' in probed)) return { ...base, error: probed.error };
  const { kv } = probed;
  return {
    ...base,
    reachable: true,
    exists: kv.get('exists') === '1',
    empty: kv.get('empty') === '1',
    pgVersion: kv.get('pg_version'),
    standbySignal: kv.get('standby') === '1',
    postmasterPid: kv.has('pid') ? Number(kv.get('pid')) : undefined,
    postmasterLive: kv.get('live') === '1',
    systemIdentifier: kv.get('sysid'),
    timeline: kv.has('timeline') ? Number(kv.get('timeline')) : undefined,
    clusterState: kv.get('state'),
    checksumVersion: kv.has('checksum') ? Number(kv.get('checksum')) : undefined,
    ...(req.checkRsync ? { rsyncVersion: kv.get('rsync_version') ?? '' } : {}),
    copyRunning: kv.get('copy'),
    ...(req.checkPort ? { portInUse: kv.get('port_in_use') === '1' } : {}),
    ...(kv.get('nobin') === '1' ? { pgBinMissing: true } : {}),
    ...(req.checkSpace ? { space: { ancestor: kv.get('ancestor') ?? '/', writable: kv.get('writable') === '1', freeKb: kv.has('free_kb') ? Number(kv.get('free_kb')) : undefined } } : {}),
  };
}

/**
 * What the write guard needs of the directory: what could be writing into it (a postmaster, a copy tool), without
 * probeDir's pg_controldata and listing: a third of its time, before every copy and wipe.
 */
export type WritersProbe = Pick<DirProbe, 'reachable' | 'error' | 'postmasterPid' | 'postmasterLive' | 'copyRunning'>;

export async function probeWriters(exec: Executor, datadir: string): Promise<WritersProbe> {
  const probed = await runProbe(exec, ['sh', '-c', `d=$1${POSTMASTER}${COPY}`, 'gprecover-probe', datadir]);
  if (!('kv' in probed)) return { reachable: false, postmasterLive: false, error: probed.error };
  const { kv } = probed;
  return { reachable: true, postmasterPid: kv.has('pid') ? Number(kv.get('pid')) : undefined, postmasterLive: kv.get('live') === '1', copyRunning: kv.get('copy') };
}

/** What a stop or a start needs of the directory: its postmaster (probeDir's look at it alone, without the rest's forks). */
export type PostmasterProbe = Pick<DirProbe, 'reachable' | 'error' | 'postmasterPid' | 'postmasterLive'>;

export async function probePostmaster(exec: Executor, datadir: string): Promise<PostmasterProbe> {
  const probed = await runProbe(exec, ['sh', '-c', `d=$1${POSTMASTER}`, 'gprecover-probe', datadir]);
  if (!('kv' in probed)) return { reachable: false, postmasterLive: false, error: probed.error };
  return { reachable: true, postmasterPid: probed.kv.has('pid') ? Number(probed.kv.get('pid')) : undefined, postmasterLive: probed.kv.get('live') === '1' };
}
