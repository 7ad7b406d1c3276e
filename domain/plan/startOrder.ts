import type { ProbeResult } from '../probe';
import type { SegmentPlan } from '../recovery';
import { GiB } from '../units';

export interface StartOrder {
  order: SegmentPlan[];
  /** Said once in the run's log. */
  reason: string;
  /** dbids whose steps before the copy may run while they wait for a copy slot (see AHEAD_MIN_BYTES). */
  ahead: ReadonlySet<number>;
  /** Said once in the run's log, when a run starts segments ahead. */
  aheadReason: string;
}

/**
 * A full or differential copy of a source this big takes seconds to hours, longer than the steps before it (admit,
 * stop, verify 'd', catalog, evidence, wipe: a fraction of a second each on Greenplum), so those steps run while the
 * segment waits for its -B/-b slot and the slot goes straight to the copy, as gprecoverseg stops and updates every
 * failed segment before its copies. Below it, or of unknown size, or incremental (its copy is the divergence, not the source), the
 * segment starts when a slot frees: waiting costs a signal and a workflow task more than it saves. A mirror still
 * marked up (one being moved) is never stopped before its slot.
 */
export const AHEAD_MIN_BYTES = GiB;

const size = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`);

/**
 * The order segments take the free -B/-b slots in: the largest source first, so that the longest copies do not start
 * last and hold the run open alone (gpdb #12139: six 400 GB segments waited 15 hours behind two 2.1 TB ones). Sizes are
 * the plan's probe of each source (every database and its WAL); a source of unknown size goes after the known ones;
 * equal sizes keep the catalog's order.
 */
export function largestFirst(items: SegmentPlan[], probe: Pick<ProbeResult, 'sources'>): StartOrder {
  const bytes = new Map(probe.sources.filter((s) => s.sizeBytes !== undefined).map((s) => [s.dbid, s.sizeBytes!]));
  const bytesOf = (it: SegmentPlan) => bytes.get(it.source.dbid) ?? -1;
  const order = [...items].sort((a, b) => bytesOf(b) - bytesOf(a));
  const named = order.map((it) => `dbid ${it.dbid} (${bytes.has(it.source.dbid) ? size(bytesOf(it)) : 'size unknown'})`);
  // Never one still marked up (a mirror being moved): stopped ahead, its content would lose a live mirror for as long
  // as it waits.
  const ahead = order.filter((it) => it.type !== 'incremental' && it.failed.status !== 'u' && bytesOf(it) >= AHEAD_MIN_BYTES);
  return {
    order,
    reason: `start order, largest source first: ${named.join(', ')}`,
    ahead: new Set(ahead.map((it) => it.dbid)),
    aheadReason: `while every copy slot is taken, the next of ${ahead.map((it) => `dbid ${it.dbid}`).join(', ')} (full or differential, source `
      + `${size(AHEAD_MIN_BYTES)} or more) runs its steps before the copy (stop, verify down, catalog, evidence, wipe), then waits for a slot`,
  };
}
