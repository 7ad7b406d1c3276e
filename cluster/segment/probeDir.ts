import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../../domain/failures';
import type { Executor } from '../exec/executor';
import type { DirProbe, DirProbeRequest } from '../../domain/probe';

/** A single-user postgres writes its pid negated (PostgreSQL's CreateLockFile); read positive, as pg_ctl reads it. */
export const POSITIVE_PID = String.raw`[ "$pid" -lt 0 ] 2>/dev/null && pid=$((0 - pid))`;

/** The pid postmaster.pid names, and whether a postgres of that pid runs in the directory. */
const POSTMASTER = String.raw`
if [ -f "$d/postmaster.pid" ]; then
  pid=$(head -1 "$d/postmaster.pid"); ${POSITIVE_PID}; echo "pid=$pid"
  # A postmaster runs with its data directory as working directory; a recycled pid does not.
  if kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$d" 2>/dev/null && pwd -P)" ]; then echo live=1; fi
fi`;

/** The command lines of the copy tools running on the host (pg_basebackup, pg_rewind, rsync). */
const COPY_TOOLS = String.raw`ps -eo args= 2>/dev/null | grep -E '^([^ ]*/)?(pg_basebackup|pg_rewind|rsync) '`;

/** A copy tool whose command line names the directory. */
const COPY = String.raw`
${COPY_TOOLS} | grep -F -- "$d" | head -1 | sed 's/^/copy=/'`;

// Several directories of one host in one round trip: what does not depend on the directory (the tools, the copy
// tools running, rsync's version, the listening sockets) is looked at once, each directory's answer follows its
// "@<nonce>:<index>" line (a nonce of the call's own, so that nothing read from the host can pass for one).
// Arguments: the PostgreSQL bin directory, the nonce, then five per directory (directory, address, port if its port
// is to be checked, 1 to check space, 1 to check rsync).
const PROBE = String.raw`
bin=$1; nonce=$2; shift 2
nobin=; [ -x "$bin/pg_ctl" ] && [ -x "$bin/pg_controldata" ] || nobin=1
copies=$(${COPY_TOOLS})
rsyncv=-; listening=-
i=0
while [ $# -ge 5 ]; do
d=$1; addr=$2; port=$3; space=$4; rsync=$5; shift 5
echo "@$nonce:$i"; i=$((i+1))
[ -n "$nobin" ] && echo nobin=1
if [ -d "$d" ]; then echo exists=1; [ -z "$(ls -A "$d" 2>/dev/null)" ] && echo empty=1 || echo empty=0; else echo exists=0; echo empty=1; fi
[ -f "$d/PG_VERSION" ] && printf 'pg_version=%s\n' "$(head -n 1 "$d/PG_VERSION")"
[ -f "$d/standby.signal" ] && echo standby=1
${POSTMASTER}
if [ -f "$d/global/pg_control" ]; then
  LC_ALL=C "$bin/pg_controldata" "$d" 2>/dev/null | sed -n \
    -e 's/^Database system identifier: *\(.*\)$/sysid=\1/p' \
    -e "s/^Latest checkpoint's TimeLineID: *\(.*\)$/timeline=\1/p" \
    -e 's/^Database cluster state: *\(.*\)$/state=\1/p' \
    -e 's/^Data page checksum version: *\(.*\)$/checksum=\1/p'
fi
[ -n "$copies" ] && printf '%s\n' "$copies" | grep -F -- "$d" | head -1 | sed 's/^/copy=/'
if [ "$space" = 1 ]; then
  a=$d; while [ ! -e "$a" ] && [ "$a" != / ]; do a=$(dirname "$a"); done
  printf 'ancestor=%s\n' "$a"
  [ -d "$a" ] && [ -w "$a" ] && [ -x "$a" ] && echo writable=1
  df -Pk "$a" 2>/dev/null | awk 'NR == 2 { print "free_kb=" $4 }'
fi
if [ "$rsync" = 1 ]; then
  [ "$rsyncv" = - ] && rsyncv=$(rsync --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)
  echo "rsync_version=$rsyncv"
fi
if [ -n "$port" ]; then
  [ "$listening" = - ] && listening=" $(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { printf "%s ", $2 }')"
  # The address may be a name (the catalog's usual), resolved here, on the host, to every address it stands for.
  case "$addr" in *[!0-9.]*) ips=$(getent ahostsv4 "$addr" | awk '{ print $1 }' | sort -u) ;; *) ips=$addr ;; esac
  hp=$(printf '%04X' "$port")
  pats="00000000:$hp 00000000000000000000000000000000:$hp"
  # Not with set --: the loop reads its directories from the positional parameters.
  for ip in $ips; do pats="$pats $(echo "$ip" | awk -F. '{ printf "%02X%02X%02X%02X", $4, $3, $2, $1 }'):$hp"; done
  for p in $pats; do case "$listening" in *" $p "*) echo port_in_use=1; break ;; esac; done
fi
done
exit 0
`;

/** A probe script's output, or why the host did not answer. */
async function runScript(exec: Executor, argv: string[], timeoutMs = 30_000): Promise<{ out: string } | { error: string | undefined }> {
  try {
    const res = await exec.run(argv, { timeoutMs });
    if (res.code !== 0) return { error: (res.stderr || res.stdout).trim().split('\n').pop() };
    return { out: res.stdout };
  } catch (err) {
    // A refused host key or login is not an unreachable host: it fails the probe, for the DBA to fix.
    if (err instanceof InvalidRequestError) throw err;
    return { error: (err as Error).message };
  }
}

/** `key=value` lines into `kv`, the first value of a key kept. */
function addKeyValue(kv: Map<string, string>, line: string): void {
  const eq = line.indexOf('=');
  if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
}

/** The probe's `key=value` lines, or why the host did not answer. */
async function runProbe(exec: Executor, argv: string[]): Promise<{ kv: Map<string, string> } | { error: string | undefined }> {
  const ran = await runScript(exec, argv);
  if (!('out' in ran)) return ran;
  const kv = new Map<string, string>();
  for (const line of ran.out.split('\n')) addKeyValue(kv, line);
  return { kv };
}

/** What the probe's lines of one directory say of it. */
function dirProbeFrom(req: DirProbeRequest, kv: Map<string, string>): DirProbe {
  return {
    location: req.location,
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
 * Everything about data directories of one host that one round trip to it can tell, in the order asked. A host that
 * does not answer leaves every one of them unreachable, with its reason.
 */
export async function probeDirs(exec: Executor, pgBin: string, reqs: DirProbeRequest[]): Promise<DirProbe[]> {
  if (!reqs.length) return [];
  const args = reqs.flatMap((r) => [r.location.datadir, r.location.address, r.checkPort ? String(r.location.port) : '', r.checkSpace ? '1' : '', r.checkRsync ? '1' : '']);
  const nonce = randomBytes(8).toString('hex');
  const ran = await runScript(exec, ['sh', '-c', PROBE, 'gprecover-probe', pgBin, nonce, ...args], 30_000 + 2_000 * reqs.length);
  const error = 'out' in ran ? undefined : (ran.error ?? 'the probe failed');
  const sections = reqs.map(() => new Map<string, string>());
  const answered = new Set<number>();
  let kv: Map<string, string> | undefined;
  for (const line of 'out' in ran ? ran.out.split('\n') : []) {
    if (line.startsWith(`@${nonce}:`)) {
      const i = Number(line.slice(nonce.length + 2));
      kv = sections[i];
      if (kv) answered.add(i);
    } else if (kv) addKeyValue(kv, line);
  }
  return reqs.map((req, i) => {
    const unreachable: DirProbe = { location: req.location, reachable: false, exists: false, empty: true, postmasterLive: false, standbySignal: false };
    if (error) return { ...unreachable, error };
    // A directory the host's answer stops short of (cut off) is not known: said, never guessed.
    if (!answered.has(i)) return { ...unreachable, error: `the probe of ${req.location.datadir} on ${exec.host} gave no answer` };
    return dirProbeFrom(req, sections[i]);
  });
}

/** Everything about a data directory that one round trip to its host can tell. */
export async function probeDir(exec: Executor, pgBin: string, req: DirProbeRequest): Promise<DirProbe> {
  return (await probeDirs(exec, pgBin, [req]))[0];
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
