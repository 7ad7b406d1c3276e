import { sameHost, type Location, type SegmentRow } from '../../domain/segment';
import type { DirProbe } from '../../domain/probe';
import { CopyConflictError, SafetyError } from './errors';

/**
 * The checks before anything deletes a data directory: never one the catalog marks up (an acting primary above all),
 * never one a live postmaster or a running copy uses, never a path too short to be a segment directory.
 */
export function assertSafeToWipe(target: Location, segments: SegmentRow[], probe: DirProbe): void {
  const parts = target.datadir.split('/').filter(Boolean);
  if (!target.datadir.startsWith('/') || parts.length < 2 || parts.includes('..')) {
    throw new SafetyError(`refusing to wipe '${target.datadir}' on ${target.hostname}: not an absolute segment data directory path`);
  }
  const owner = segments.find((s) => sameHost(s, target) && s.datadir === target.datadir && s.status === 'u');
  if (owner) {
    const what = owner.role === 'p' ? 'the acting primary' : 'a mirror marked up';
    throw new SafetyError(`refusing to wipe ${target.hostname}:${target.datadir}: it belongs to dbid ${owner.dbid} (content ${owner.content}), ${what}`);
  }
  if (probe.postmasterLive) {
    throw new SafetyError(`refusing to wipe ${target.hostname}:${target.datadir}: a postgres (pid ${probe.postmasterPid}) is running in it`);
  }
  if (probe.copyRunning) {
    throw new CopyConflictError(`refusing to wipe ${target.hostname}:${target.datadir}: a copy is running into it (${probe.copyRunning.slice(0, 160)})`);
  }
}
