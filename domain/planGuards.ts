// Whether the catalog, as it is now, lets one step of a planned segment act: the check every step repeats before it
// touches anything, whatever the plan it was handed says. Pure: a list of segment rows in, a refusal or nothing out.
import type { SegmentPlan } from './recovery';
import { isActingPrimary, sameHost, sameLocation, where, type Location, type SegmentRow } from './segment';

/**
 * The steps of a segment's recovery, by what the catalog must say for them:
 * - before: stop, verify 'd', admission — the row is still where the plan found it (or already at its target, when
 *   the catalog step ran and the step is retried);
 * - catalog: the catalog update itself (and its back-out);
 * - write: wipe, copy — the row is at the target and down;
 * - start: the row is at the target (FTS may have marked it up once started);
 * - removeOld: the row is at the target and nothing in the catalog lives at the old location any more.
 */
export type GuardedStep = 'before' | 'catalog' | 'write' | 'start' | 'removeOld';

/** The same directory on the same host, whatever port. */
const sameDirectory = (a: Location, b: Location): boolean => sameHost(a, b) && a.datadir === b.datadir;

/** Why the catalog forbids `step` of `item` now, or undefined when it allows it. */
export function planRefusal(step: GuardedStep, item: SegmentPlan, segments: SegmentRow[]): string | undefined {
  const label = `dbid ${item.dbid} (content ${item.content})`;
  const row = segments.find((s) => s.dbid === item.dbid);
  if (!row) return `${label} is not in gp_segment_configuration`;
  if (row.content !== item.content) return `${label}: the catalog has dbid ${item.dbid} as content ${row.content}`;
  if (isActingPrimary(row)) return `${label} is the acting primary of content ${row.content}; a recovery never stops, wipes or writes into it`;
  const source = segments.find((s) => s.dbid === item.source.dbid);
  if (!source || source.content !== item.content || !isActingPrimary(source) || !sameLocation(source, item.source)) {
    return `${label}: dbid ${item.source.dbid} at ${where(item.source)} is not the acting primary of content ${item.content} in the catalog`;
  }
  const atFailed = sameLocation(row, item.failed);
  const atTarget = sameLocation(row, item.target);
  if (!item.moved && !sameLocation(item.failed, item.target)) return `${label}: an in-place recovery whose target is not its own location`;
  switch (step) {
    case 'before':
    case 'catalog':
      if (!atFailed && !atTarget) return `${label}: the catalog places it at ${where(row)}, not at ${where(item.failed)} as planned`;
      if (row.status === 'u' && !item.moved) return `${label} is marked up in the catalog; nothing to recover`;
      break;
    case 'write':
      if (!atTarget) return `${label}: the catalog places it at ${where(row)}, not at the planned target ${where(item.target)}`;
      if (row.status !== 'd') return `${label} is marked up in the catalog; its directory is not written into`;
      break;
    case 'start':
      if (!atTarget) return `${label}: the catalog places it at ${where(row)}, not at the planned target ${where(item.target)}`;
      break;
    case 'removeOld': {
      if (!item.moved) return `${label} did not move: its location is not an old one`;
      if (!atTarget) return `${label}: the catalog places it at ${where(row)}, not at its new location ${where(item.target)}`;
      const user = segments.find((s) => sameDirectory(s, item.failed));
      if (user) return `${label}: the catalog places dbid ${user.dbid} at ${where(user)}`;
      break;
    }
  }
  if (step === 'write' || step === 'start') {
    const other = segments.find((s) => s.dbid !== item.dbid && sameDirectory(s, item.target));
    if (other) return `${label}: the catalog places dbid ${other.dbid} at ${where(other)}, the planned target's directory`;
  }
  return undefined;
}
