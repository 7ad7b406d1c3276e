// Pure planning, second pass: with the live probes of targets and sources, refuse what cannot work and skip the
// contents something else is copying already (gprecoverseg's rules).
import type { DirProbe, DirProbeRequest, ProbeResult, SourceProbe } from '../probe';
import type { RecoveryPlan, SegmentPlan, SkippedContent } from '../recovery';
import { where } from '../segment';
import { GiB } from '../units';
import { PlanError } from './planError';

const gb = (bytes: number) => `${(bytes / GiB).toFixed(1)} GB`;

/** What to probe on the segment hosts for these items: each target directory (and port and room, for moves). */
export function probeRequests(items: SegmentPlan[]): DirProbeRequest[] {
  return items.map((it) => ({ location: it.target, checkPort: it.moved, checkSpace: it.moved, checkRsync: it.type === 'differential' }));
}

/** gprecoverseg's skip rules: a content whose source is already being copied from is left to that copy. */
function copyFromSource(src: SourceProbe): string | undefined {
  if (src.copiesFromIt?.basebackup) return 'Found pg_basebackup running for it (application_name pg_basebackup on its primary), skipping recovery';
  if (src.copiesFromIt?.rewind) return 'Found pg_rewind running for it, skipping recovery';
  if (src.copiesFromIt?.backupMode) return 'Found differential recovery running for it (its primary is in backup mode), skipping recovery';
  return undefined;
}

/** A new location must be creatable by the OS user and have room for the whole source. */
function roomProblem(label: string, it: SegmentPlan, dir: DirProbe, src: SourceProbe): string | undefined {
  const space = dir.space;
  if (!space) return undefined;
  if (!space.writable) {
    return `${label}: the OS user cannot create ${it.target.datadir} on host ${it.target.hostname} (${space.ancestor} is not writable for it: permission denied)`;
  }
  if (space.freeKb !== undefined && src.sizeBytes !== undefined && space.freeKb * 1024 < src.sizeBytes) {
    return `${label}: ${it.target.hostname}:${space.ancestor} has ${gb(space.freeKb * 1024)} free, the copy of dbid ${it.source.dbid} needs ${gb(src.sizeBytes)}`;
  }
  return undefined;
}

/** gprecoverseg's minimum for --differential: --info=progress2 needs rsync 3.1.0. */
export const MIN_RSYNC_VERSION = '3.1.0';

/** Dotted versions compared numerically, part by part: '3.0.9' is below '3.1.0'. */
export const versionBelow = (v: string, min: string) => {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) < b[i];
  return false;
};

function rsyncProblem(it: SegmentPlan, dir: DirProbe): string | undefined {
  if (it.type !== 'differential' || dir.rsyncVersion === undefined) return undefined;
  if (dir.rsyncVersion && !versionBelow(dir.rsyncVersion, MIN_RSYNC_VERSION)) return undefined;
  const found = dir.rsyncVersion ? `rsync ${dir.rsyncVersion}` : 'no rsync';
  return `To perform a differential recovery, a minimum rsync version of ${MIN_RSYNC_VERSION} is required. `
    + `Please ensure that rsync is updated to version ${MIN_RSYNC_VERSION} or higher. (host ${it.target.hostname} has ${found})`;
}

/**
 * gprecoverseg's heap checksum check (validate_heap_checksum_consistency): every source must have the coordinator's
 * data page checksum setting, or a copy carries the wrong one into the cluster. A failed directory that an incremental
 * or differential recovery keeps must have it too; one that -F copies over need not (-F is what repairs it).
 */
function checksumProblem(items: SegmentPlan[], probe: ProbeResult): string | undefined {
  const want = probe.coordinatorChecksumVersion;
  if (want === undefined) return undefined;
  const differing: string[] = [];
  const seen = new Set<number>();
  for (const it of items) {
    const src = probe.sources.find((s) => s.dbid === it.source.dbid);
    if (src?.checksumVersion !== undefined && src.checksumVersion !== want && !seen.has(src.dbid)) {
      seen.add(src.dbid);
      differing.push(`${it.source.hostname} (dbid ${src.dbid}) checksum set to ${src.checksumVersion} differs from coordinator checksum set to ${want}`);
    }
    const dir = it.moved || it.type === 'full' ? undefined : probe.dirs.find((d) => d.location.address === it.target.address && d.location.datadir === it.target.datadir);
    if (dir?.checksumVersion !== undefined && dir.checksumVersion !== want && !seen.has(it.dbid)) {
      seen.add(it.dbid);
      differing.push(`${it.target.hostname} (dbid ${it.dbid}) checksum set to ${dir.checksumVersion} differs from coordinator checksum set to ${want}`);
    }
  }
  return differing.length ? `Heap checksum setting differences reported on segments: ${differing.join('; ')}` : undefined;
}

/** Second pass, with live state: refuse what cannot work, skip contents already being copied. */
export function validateTargets(cluster: string, items: SegmentPlan[], probe: ProbeResult): RecoveryPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const skipped: SkippedContent[] = [];
  const kept: SegmentPlan[] = [];
  for (const it of items) {
    const dir: DirProbe | undefined = probe.dirs.find((d) => d.location.address === it.target.address && d.location.datadir === it.target.datadir);
    const src = probe.sources.find((s) => s.dbid === it.source.dbid);
    const label = `dbid ${it.dbid} (content ${it.content})`;
    if (!dir || !dir.reachable) {
      const why = `host ${it.target.hostname} (${it.target.address}) is not reachable${dir?.error ? `: ${dir.error}` : ''}`;
      // gprecoverseg skips in-place recoveries on hosts it cannot reach and recovers the rest; a new location must work.
      if (it.moved) problems.push(`${label}: ${why}`);
      else skipped.push({ content: it.content, dbid: it.dbid, reason: `${why}; skipping its in-place recovery` });
      continue;
    }
    if (dir.pgBinMissing) {
      problems.push(`${label}: PostgreSQL binaries missing on host ${it.target.hostname}: no pg_ctl in the cluster's pgBin (fix pgBin in the worker's clusters file or install PostgreSQL there)`);
      continue;
    }
    if (!src || !src.reachable) {
      problems.push(`content ${it.content}: its acting primary dbid ${it.source.dbid} at ${where(it.source)} is not reachable either, so dbid ${it.dbid} has nothing to recover from (double fault?)${src?.error ? `: ${src.error}` : ''}`);
      continue;
    }
    if (src.inRecovery) {
      problems.push(`${label}: source dbid ${it.source.dbid} is in recovery, not an acting primary; wait for FTS to finish promoting it`);
      continue;
    }
    if (dir.copyRunning) {
      skipped.push({ content: it.content, dbid: it.dbid, reason: `a copy is already running for ${it.target.hostname}:${it.target.datadir} (${dir.copyRunning.slice(0, 120)})` });
      continue;
    }
    const running = copyFromSource(src);
    if (running) {
      skipped.push({ content: it.content, dbid: it.dbid, reason: running });
      continue;
    }
    if (it.moved) {
      if (dir.portInUse) problems.push(`${label}: port ${it.target.port} on host ${it.target.hostname} is already in use`);
      if (dir.exists && !dir.empty) problems.push(`${label}: target directory ${it.target.datadir} on host ${it.target.hostname} is not empty`);
      const room = roomProblem(label, it, dir, src);
      if (room) problems.push(room);
    }
    if (it.type === 'incremental') {
      if (!dir.exists || !dir.pgVersion) {
        problems.push(`${label}: no data directory at ${it.target.hostname}:${it.target.datadir} to rewind; use -F (full) or --differential`);
      } else if (dir.systemIdentifier && src.systemIdentifier && dir.systemIdentifier !== src.systemIdentifier) {
        problems.push(`${label}: ${it.target.datadir} has system identifier ${dir.systemIdentifier} but its source has ${src.systemIdentifier}; it belongs to another cluster, use -F (full)`);
      }
    }
    const rsync = rsyncProblem(it, dir);
    if (rsync) problems.push(rsync);
    if (dir.postmasterLive && it.failed.status === 'd') warnings.push(`${label}: a postmaster is still running in ${it.target.datadir}; it will be stopped`);
    kept.push(it);
  }
  const checksums = checksumProblem(kept, probe);
  if (checksums) problems.push(checksums);
  if (problems.length) throw new PlanError(problems);
  return { cluster, items: kept, skipped, warnings };
}
