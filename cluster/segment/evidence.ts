import type { EvidenceOutcome } from '../../domain/activities';
import type { SegmentPlan } from '../../domain/recovery';
import type { ClusterContext } from '../context';

/** Where bundles go on a segment host unless the cluster's evidenceDirectory says: beside gprecoverseg's own logs. */
export const EVIDENCE_ROOT = 'gpAdminLogs/gprecover_evidence';

/** What one bundle may hold at most: 8 server logs' last MiB, 12 small files, 32 timeline files, a listing; 13.5 MiB in all. */
export const EVIDENCE_LIMITS = { logs: 8, logBytes: 1 << 20, fileBytes: 256 << 10, timelines: 32, timelineBytes: 64 << 10, listingBytes: 512 << 10 };

// Reads the data directory and writes only under the bundle directory (<root>/<name>, a relative root under $HOME),
// which appears whole or
// not at all (built as <name>.partial, then renamed): a retry finds a finished bundle of the same dbid and run, under
// whatever time its attempt was scheduled at (a local activity run again after a crash is scheduled anew), and keeps it. Every read is
// bounded by size; nothing walks the whole directory tree (du of a terabyte segment could take an hour). It starts
// few processes (24 where it started 36): it runs before every full copy, on every host of a big recovery at once.
const KEEP = String.raw`
set -u
d=$1; case $2 in /*) root=$2 ;; *) root="$HOME/$2" ;; esac; name=$3; out="$root/$3"; bin=$4; logs=$5; logBytes=$6; fileBytes=$7; timelines=$8; timelineBytes=$9
shift 9; listingBytes=$1; kin=$2
for e in "$root"/*_"$kin"; do [ -d "$e" ] && out=$e && break; done
umask 077
if [ ! -d "$out" ]; then
  rm -rf "$out.partial" || exit 3
  if [ -d "$d" ]; then mkdir -p "$out.partial/conf" "$out.partial/log" "$out.partial/timelines"; else mkdir -p "$out.partial"; fi && cd "$out.partial" || exit 3
  read -r host 2>/dev/null </proc/sys/kernel/hostname || host=$(hostname)
  { echo "data directory: $d"; echo "host: $host"; echo "kept: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; } > README
  if [ -d "$d" ]; then
    LC_ALL=C "$bin/pg_controldata" "$d" > pg_controldata.txt 2>&1
    # The small files (links followed) in one cp, any above the bound cut to it: the segment's own settings files, sized
    # by find just before (cp keeps their mode, and a file unreadable is left out where head left it empty).
    set --
    while IFS=' ' read -r size f; do
      [ -n "$f" ] || continue
      if [ "$size" -le "$fileBytes" ]; then set -- "$@" "$d/$f"; else head -c "$fileBytes" "$d/$f" > "conf/$f"; fi
    done <<LIST
$(find -L "$d" -mindepth 1 -maxdepth 1 -type f \( -name postgresql.conf -o -name internal.auto.conf -o -name postgresql.auto.conf \
  -o -name pg_hba.conf -o -name postmaster.opts -o -name postmaster.pid -o -name backup_label -o -name tablespace_map \
  -o -name standby.signal -o -name recovery.signal -o -name PG_VERSION -o -name current_logfiles \) -printf '%s %f\n' 2>/dev/null)
LIST
    [ $# -gt 0 ] && cp -L -- "$@" conf/
    ls -t "$d/log" 2>/dev/null | { n=0; while [ $n -lt "$logs" ] && IFS= read -r f; do
      n=$((n + 1))
      [ -f "$d/log/$f" ] && tail -c "$logBytes" "$d/log/$f" > "log/$f"
    done; }
    b=$PWD
    ( cd "$d/pg_wal" 2>/dev/null || exit 0
      set -- *.history
      [ -e "$1" ] || [ -L "$1" ] || exit 0
      [ $# -gt "$timelines" ] && shift $(($# - timelines))
      for f; do head -c "$timelineBytes" "./$f" > "$b/timelines/$f"; done )
    { ls -la "$d"; echo; echo "pg_wal (newest 200):"; ls -lat "$d/pg_wal" | head -n 200; echo; ls -la "$d/pg_tblspc"; echo; df -k "$d"; } 2>&1 | head -c "$listingBytes" > listing.txt
  else
    echo "the data directory does not exist" >> README
    ls -la "$(dirname "$d")" 2>&1 | head -c "$listingBytes" > listing.txt
  fi
  cd .. && mv "$name.partial" "$name" || exit 3
fi
cd "$out" && echo "dir=$out" && echo "du=$(du -sk .)" && find . -type f -printf '%P\n' | sort
`;

/** The bundle's name: when the step was first scheduled, the dbid and the run; a retry keeps the bundle of its dbid and run. */
export function evidenceName(dbid: number, scheduledAt: Date, runId: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new Error(`not a run id: ${runId}`);
  const stamp = scheduledAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '_');
  return `${stamp}_dbid${dbid}_${runId.slice(0, 8)}`;
}

/**
 * Keeps the failed segment's evidence on its host: a bundle the DBA can read after the full copy has replaced the
 * directory. Only reads the data directory. A bundle that cannot be written (a full disk, a home not writable) does
 * not stop the recovery: the outcome says why none was kept.
 */
export async function keepEvidence(ctx: ClusterContext, item: SegmentPlan, name: string): Promise<EvidenceOutcome> {
  const exec = ctx.host(item.target);
  const l = EVIDENCE_LIMITS;
  const root = ctx.cfg.evidenceDirectory ?? EVIDENCE_ROOT;
  const res = await exec.run(['sh', '-c', KEEP, 'gprecover-evidence', item.target.datadir, root, name, ctx.bin,
    String(l.logs), String(l.logBytes), String(l.fileBytes), String(l.timelines), String(l.timelineBytes), String(l.listingBytes),
    // What every bundle of this dbid in this run ends with, whenever its step was scheduled.
    name.replace(/^[^_]*_[^_]*_/, '')], { timeoutMs: 10 * 60_000 });
  if (res.code !== 0) {
    return { kept: false, host: item.target.hostname, note: `no evidence kept in ${root}: ${(res.stderr || res.stdout).trim().split('\n').slice(-2).join(' | ') || `exit ${res.code}`}` };
  }
  const lines = res.stdout.trim().split('\n');
  const directory = /^dir=(.+)$/.exec(lines[0] ?? '')?.[1] ?? `${root}/${name}`;
  const kb = Number(/^du=(\d+)\s/.exec(lines[1] ?? '')?.[1]);
  return { kept: true, host: item.target.hostname, directory, kilobytes: Number.isFinite(kb) ? kb : undefined, files: lines.slice(2) };
}
