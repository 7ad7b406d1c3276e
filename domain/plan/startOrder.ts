import type { ProbeResult } from '../probe';
import type { SegmentPlan } from '../recovery';
import { GiB } from '../units';

export interface StartOrder {
  order: SegmentPlan[];
  /** Said once in the run's log. */
  reason: string;
}

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
  return { order, reason: `start order, largest source first: ${named.join(', ')}` };
}
